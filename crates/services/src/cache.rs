//! What rarely changes, kept in memory: the case-type catalogue, the
//! organization tree, each organization's holidays and its staff.
//!
//! A filing needs all four, and reading them from the database made up
//! most of its statements. Each entry is dropped when a use case of this
//! process changes what it holds, after the change commits, and is read
//! again at most `ttl` after it was filled, so that a change made by
//! another node (or by `diwan admin` in another process) is seen within
//! that time. A read that started before a change never fills the cache
//! with what it saw: each kind carries a generation that a change moves on.

use crate::Result;
use chrono::NaiveDate;
use diwan_domain::Role;
use diwan_store::{CaseType, Organization, ReadTx};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A person as the cache keeps them: no password hash, only what deciding
/// whom to notify, and showing their name, needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

struct Entry<T> {
    value: Arc<T>,
    filled: Instant,
}

/// One kind of entry: values by key, and the generation changes move on.
struct Slot<K, T> {
    entries: HashMap<K, Entry<T>>,
    generation: u64,
}

impl<K, T> Default for Slot<K, T> {
    fn default() -> Self {
        Slot {
            entries: HashMap::new(),
            generation: 0,
        }
    }
}

/// The cache of one [`crate::Services`].
pub struct Cache {
    ttl: Duration,
    case_types: Mutex<Slot<(), Vec<CaseType>>>,
    orgs: Mutex<Slot<(), Vec<Organization>>>,
    holidays: Mutex<Slot<Uuid, Vec<NaiveDate>>>,
    staff: Mutex<Slot<Uuid, Vec<StaffMember>>>,
}

/// Looks `key` up in `slot`; on a miss, or an entry older than `ttl`,
/// fills it with `load` unless the slot changed meanwhile.
async fn cached<K, T, F>(slot: &Mutex<Slot<K, T>>, ttl: Duration, key: K, load: F) -> Result<Arc<T>>
where
    K: std::hash::Hash + Eq + Copy,
    F: std::future::Future<Output = Result<T>>,
{
    let generation = {
        let s = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = s.entries.get(&key) {
            if e.filled.elapsed() < ttl {
                return Ok(e.value.clone());
            }
        }
        s.generation
    };
    let value = Arc::new(load.await?);
    let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
    if s.generation == generation {
        s.entries.insert(
            key,
            Entry {
                value: value.clone(),
                filled: Instant::now(),
            },
        );
    }
    Ok(value)
}

fn forget<K: std::hash::Hash + Eq, T>(slot: &Mutex<Slot<K, T>>, key: Option<&K>) {
    let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
    s.generation += 1;
    match key {
        Some(k) => {
            s.entries.remove(k);
        }
        None => s.entries.clear(),
    }
}

impl Cache {
    pub fn new(ttl: Duration) -> Self {
        Cache {
            ttl,
            case_types: Mutex::default(),
            orgs: Mutex::default(),
            holidays: Mutex::default(),
            staff: Mutex::default(),
        }
    }

    /// The whole case-type catalogue.
    pub async fn case_types(&self, tx: &mut dyn ReadTx) -> Result<Arc<Vec<CaseType>>> {
        cached(&self.case_types, self.ttl, (), async {
            Ok(tx.list_case_types().await?)
        })
        .await
    }

    /// One case type of the catalogue.
    pub async fn case_type(&self, tx: &mut dyn ReadTx, id: Uuid) -> Result<Option<CaseType>> {
        Ok(self
            .case_types(tx)
            .await?
            .iter()
            .find(|t| t.id == id)
            .cloned())
    }

    /// Every organization.
    pub async fn orgs(&self, tx: &mut dyn ReadTx) -> Result<Arc<Vec<Organization>>> {
        cached(&self.orgs, self.ttl, (), async {
            Ok(tx.list_orgs().await?)
        })
        .await
    }

    /// One organization.
    pub async fn org(&self, tx: &mut dyn ReadTx, id: Uuid) -> Result<Option<Organization>> {
        Ok(self.orgs(tx).await?.iter().find(|o| o.id == id).cloned())
    }

    /// Every holiday of an organization.
    pub async fn holidays(&self, tx: &mut dyn ReadTx, org: Uuid) -> Result<Arc<Vec<NaiveDate>>> {
        cached(&self.holidays, self.ttl, org, async {
            let (from, to) = (
                NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2999, 12, 31).unwrap_or_default(),
            );
            Ok(tx.holidays(org, from, to).await?)
        })
        .await
    }

    /// The people of an organization.
    pub async fn staff(&self, tx: &mut dyn ReadTx, org: Uuid) -> Result<Arc<Vec<StaffMember>>> {
        cached(&self.staff, self.ttl, org, async {
            Ok(tx
                .list_users(Some(org))
                .await?
                .into_iter()
                .map(|u| StaffMember {
                    id: u.id,
                    display_name: u.display_name,
                    role: u.role,
                    active: u.active,
                })
                .collect())
        })
        .await
    }

    /// The catalogue changed.
    pub fn forget_case_types(&self) {
        forget(&self.case_types, None);
    }

    /// The organization tree changed.
    pub fn forget_orgs(&self) {
        forget(&self.orgs, None);
    }

    /// An organization's holidays changed.
    pub fn forget_holidays(&self, org: Uuid) {
        forget(&self.holidays, Some(&org));
    }

    /// An organization's staff changed.
    pub fn forget_staff(&self, org: Uuid) {
        forget(&self.staff, Some(&org));
    }
}
