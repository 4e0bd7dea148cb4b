//! The frame of every page: the caller's organization and unread
//! notifications for the navigation, and the names of the organizations
//! and of the people the caller may know about. A page's use case reads it
//! in the same transaction as the page's own content, so that a page is one
//! service call ([`Shown`]).

use crate::{Caller, Result, Services};
use diwan_domain::organizations::OrgKind;
use diwan_domain::Role;
use diwan_store::{Organization, ReadTx};
use std::sync::Arc;
use uuid::Uuid;

/// Someone whose name a page may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    pub org_id: Uuid,
    /// An active officer or head of department: a case can be assigned to them.
    pub assignable: bool,
}

/// What every page shows besides its content.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub orgs: Arc<Vec<Organization>>,
    pub unread: i64,
    /// Everybody for administrators and auditors, the ministry's staff for
    /// other ministry staff, only themselves for municipal staff.
    pub people: Vec<Person>,
}

/// A page's content with its frame.
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub frame: Frame,
    pub body: T,
}

impl Services {
    /// The frame alone, for pages that show nothing else (forms, errors);
    /// a visitor who is not signed in gets the organizations only.
    pub async fn frame(&self, caller: Option<&Caller>) -> Result<Frame> {
        let mut tx = self.store.read().await?;
        match caller {
            Some(c) => self.frame_in(&mut *tx, c).await,
            None => Ok(Frame {
                orgs: self.cache.orgs(&mut *tx).await?,
                ..Frame::default()
            }),
        }
    }

    /// The frame, read inside a page's transaction.
    pub(crate) async fn frame_in(&self, tx: &mut dyn ReadTx, caller: &Caller) -> Result<Frame> {
        let orgs = self.cache.orgs(tx).await?;
        let unread = tx.count_unread(caller.user_id).await?;
        let assignable = |r: Role| matches!(r, Role::Officer | Role::DepartmentHead);
        let mut people = Vec::new();
        if matches!(caller.role, Role::Admin | Role::Auditor) {
            for u in tx.list_users(None).await? {
                people.push(Person {
                    id: u.id,
                    assignable: u.active && assignable(u.role),
                    name: u.display_name,
                    org_id: u.org_id,
                });
            }
        } else if !caller.role.is_municipal() {
            let units = orgs.iter().filter(|o| {
                matches!(
                    o.kind,
                    OrgKind::Ministry | OrgKind::Department | OrgKind::Section
                )
            });
            for o in units {
                for u in self.cache.staff(tx, o.id).await?.iter() {
                    if u.active && assignable(u.role) {
                        people.push(Person {
                            id: u.id,
                            name: u.display_name.clone(),
                            org_id: o.id,
                            assignable: true,
                        });
                    }
                }
            }
        }
        if !people.iter().any(|p| p.id == caller.user_id) {
            people.push(Person {
                id: caller.user_id,
                name: caller.display_name.clone(),
                org_id: caller.org_id,
                assignable: false,
            });
        }
        people.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Frame {
            orgs,
            unread,
            people,
        })
    }
}
