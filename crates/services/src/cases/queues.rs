//! Queues, search and dashboards.

use super::{facts, row_of};
use crate::frame::Shown;
use crate::organizations::{calendar_for, today_in};
use crate::{Caller, Result, Services};
use chrono::NaiveDate;
use diwan_domain::cases::tracking::TrackingNumber;
use diwan_domain::cases::workflow::{Clock, Scope};
use diwan_domain::organizations::OrgKind;
use diwan_store::{CaseCount, CaseCounts, CaseQuery, CaseRow, CaseType, Organization, ReadTx};
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

/// Matches are counted exactly up to this many; past it a queue says
/// "more than" this.
pub const COUNT_BOUND: i64 = 1000;

/// What a queue or search asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub states: Vec<String>,
    pub case_type_id: Option<Uuid>,
    pub municipality_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub due_soon: bool,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub text: Option<String>,
    pub sort: diwan_store::SortKey,
    pub ascending: bool,
    pub after: Option<diwan_store::Cursor>,
    pub limit: Option<i64>,
}

/// How many cases a queue holds: exact up to [`COUNT_BOUND`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub n: i64,
    /// There are more than `n`.
    pub more: bool,
}

/// A line of a queue, with its deadline read on the same calendar as the
/// case page's.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub row: CaseRow,
    pub due_soon: bool,
}

/// A page of a queue, and how many cases the whole queue holds.
#[derive(Debug, Clone, Serialize)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub count: Count,
}

/// A department's counts for the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentCounts {
    pub department: Organization,
    pub counts: CaseCounts,
}

impl Services {
    /// A page of a queue or of search results, newest first by default.
    pub async fn list_cases(&self, caller: &Caller, f: CaseFilter) -> Result<Vec<CaseRow>> {
        let mut tx = self.store.read().await?;
        let (rows, _) = self.find_cases(&mut *tx, caller, f, false).await?;
        Ok(rows)
    }

    /// A page of a queue with each line's case type; `type_key` (an id or
    /// a code) narrows it to one type, and a key nobody has is "not found".
    pub async fn list_typed(
        &self,
        caller: &Caller,
        type_key: Option<&str>,
        mut f: CaseFilter,
    ) -> Result<Vec<(CaseRow, Option<CaseType>)>> {
        let mut tx = self.store.read().await?;
        let types = self.cache.case_types(&mut *tx).await?;
        if let Some(key) = type_key {
            let t = types
                .iter()
                .find(|t| t.id.to_string() == key || t.code == key)
                .ok_or_else(crate::Error::not_found)?;
            f.case_type_id = Some(t.id);
        }
        let (rows, _) = self.find_cases(&mut *tx, caller, f, false).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let t = types.iter().find(|t| t.id == r.case_type_id).cloned();
                (r, t)
            })
            .collect())
    }

    /// A page of a queue with the size of the whole queue and each line's
    /// due-soon mark.
    pub async fn queue(&self, caller: &Caller, f: CaseFilter) -> Result<QueuePage> {
        let mut tx = self.store.read().await?;
        self.queue_in(&mut *tx, caller, f).await
    }

    /// The queue page: a page of the queue, the catalogue for its filters
    /// and the frame.
    pub async fn queue_page(
        &self,
        caller: &Caller,
        f: CaseFilter,
    ) -> Result<Shown<(QueuePage, Arc<Vec<CaseType>>)>> {
        let mut tx = self.store.read().await?;
        let page = self.queue_in(&mut *tx, caller, f).await?;
        let types = self.cache.case_types(&mut *tx).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown {
            frame,
            body: (page, types),
        })
    }

    /// The dashboard page.
    pub async fn dashboard_page(&self, caller: &Caller) -> Result<Shown<Vec<DepartmentCounts>>> {
        let mut tx = self.store.read().await?;
        let body = self.dashboard_in(&mut *tx, caller).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body })
    }

    pub(crate) async fn queue_in(
        &self,
        tx: &mut dyn ReadTx,
        caller: &Caller,
        f: CaseFilter,
    ) -> Result<QueuePage> {
        let (rows, count) = self.find_cases(tx, caller, f, true).await?;
        let soon = self.due_soon_by(tx).await?;
        let rows = rows
            .into_iter()
            .map(|row| QueueRow {
                due_soon: row.clock == Clock::Running
                    && !row.overdue
                    && row.due_date.is_some_and(|d| d <= soon),
                row,
            })
            .collect();
        Ok(QueuePage {
            rows,
            count: count.unwrap_or(Count { n: 0, more: false }),
        })
    }

    /// The last day a running case counts as due soon: today plus the
    /// configured working days on the ministry's calendar, holidays
    /// included (the case page reads the same).
    pub(crate) async fn due_soon_by(&self, tx: &mut dyn ReadTx) -> Result<NaiveDate> {
        let ministry = self.ministry(tx).await?;
        let today = today_in(&ministry.time_zone, self.now());
        let cal = calendar_for(&self.cache, tx, &[ministry.id]).await?;
        Ok(cal.add_working_days(today, self.config.due_soon_days))
    }

    async fn find_cases(
        &self,
        tx: &mut dyn ReadTx,
        caller: &Caller,
        f: CaseFilter,
        count: bool,
    ) -> Result<(Vec<CaseRow>, Option<Count>)> {
        let mut q = CaseQuery::new(Scope::for_actor(&caller.actor()));
        q.states = f.states;
        q.case_type_id = f.case_type_id;
        q.filer_org_id = f.municipality_id;
        q.holder_org_id = f.department_id;
        q.assignee_id = f.assignee_id;
        q.overdue = f.overdue;
        q.sort = f.sort;
        q.descending = !f.ascending;
        q.after = f.after;
        q.limit = f.limit.unwrap_or(25).clamp(1, 100);
        q.created_from = f
            .from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc());
        q.created_to =
            f.to.and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
        if f.due_soon {
            q.due_by = Some(self.due_soon_by(tx).await?);
            q.overdue = Some(false);
        }
        if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            if let Ok(t) = text.parse::<TrackingNumber>() {
                // A whole tracking number finds exactly that case, if visible.
                let found = tx.case_by_tracking(&t.to_string()).await?;
                let visible: Vec<CaseRow> = found
                    .filter(|c| q.scope.can_see(&facts(c)))
                    .map(|c| row_of(&c))
                    .into_iter()
                    .collect();
                let n = Count {
                    n: visible.len() as i64,
                    more: false,
                };
                return Ok((visible, count.then_some(n)));
            }
            q.terms = diwan_domain::text::search_terms(text);
            q.terms.truncate(8);
        }
        let rows = tx.list_cases(&q).await?;
        let n = if !count {
            None
        } else if q.after.is_none() && (rows.len() as i64) < q.limit {
            // The first page holds them all.
            Some(Count {
                n: rows.len() as i64,
                more: false,
            })
        } else {
            let n = tx.count_matching(&q, COUNT_BOUND + 1).await?;
            Some(Count {
                n: n.min(COUNT_BOUND),
                more: n > COUNT_BOUND,
            })
        };
        Ok((rows, n))
    }

    /// Counts per department (ministry staff) or for the caller's municipality.
    pub async fn dashboard(&self, caller: &Caller) -> Result<Vec<DepartmentCounts>> {
        let mut tx = self.store.read().await?;
        self.dashboard_in(&mut *tx, caller).await
    }

    pub(crate) async fn dashboard_in(
        &self,
        tx: &mut dyn ReadTx,
        caller: &Caller,
    ) -> Result<Vec<DepartmentCounts>> {
        let scope = Scope::for_actor(&caller.actor());
        let ministry = self.ministry(tx).await?;
        let due_soon_by = self.due_soon_by(tx).await?;
        let orgs = self.cache.orgs(tx).await?;
        let targets: Vec<&Organization> = if caller.role.is_municipal() {
            orgs.iter().filter(|o| o.id == caller.org_id).collect()
        } else if caller.role.sees_everything() {
            orgs.iter()
                .filter(|o| o.kind == OrgKind::Department || o.id == ministry.id)
                .collect()
        } else {
            orgs.iter().filter(|o| o.id == caller.org_id).collect()
        };
        let mut out = Vec::new();
        for o in targets {
            let holder = (!caller.role.is_municipal()).then_some(o.id);
            let counts = tx
                .count_cases(&CaseCount {
                    scope,
                    holder_org_id: holder,
                    due_soon_by,
                })
                .await?;
            out.push(DepartmentCounts {
                department: o.clone(),
                counts,
            });
        }
        Ok(out)
    }
}
