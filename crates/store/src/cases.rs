//! Cases: the case-type catalogue, cases and their queues and counts,
//! history, messages and attachments.

use crate::{AuditRecord, Notification, Result};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::cases::fields::FieldDef;
use diwan_domain::cases::workflow::{Clock, Scope};
use serde::Serialize;
use uuid::Uuid;

/// An entry of the case-type catalogue: which workflow it follows, its
/// tracking-number prefix, where it goes and how long the ministry has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseType {
    pub id: Uuid,
    pub code: String,
    pub workflow: String,
    pub prefix: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub default_department_id: Option<Uuid>,
    /// Submitted cases go straight to the default department.
    pub auto_route: bool,
    pub deadline_days: i32,
    pub active: bool,
    /// The typed fields every case of this type carries.
    pub fields: Vec<FieldDef>,
}

impl CaseType {
    pub fn name(&self, lang: &str) -> &str {
        match lang {
            "en" => &self.name_en,
            "fr" => &self.name_fr,
            _ => &self.name_ar,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    pub id: Uuid,
    pub case_type_id: Uuid,
    pub tracking_number: String,
    pub subject: String,
    pub body: String,
    /// Typed fields of the case type, as a JSON object.
    pub fields: serde_json::Value,
    pub filer_org_id: Uuid,
    pub filer_user_id: Uuid,
    pub holder_org_id: Option<Uuid>,
    pub holder_since: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub state: String,
    /// The deadline clock of the current state (kept with the case so queues
    /// can filter on it without knowing workflows).
    pub clock: Clock,
    pub due_date: Option<NaiveDate>,
    /// While the clock is paused: the working days that were left.
    pub paused_days_left: Option<i32>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Normalized tracking number, subject and body (see `diwan_domain::text`).
    #[serde(skip)]
    pub search_text: String,
}

/// One line of a queue: a case with the names people need to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub id: Uuid,
    pub tracking_number: String,
    pub case_type_id: Uuid,
    pub subject: String,
    pub state: String,
    /// What the deadline clock does in the case's state.
    pub clock: Clock,
    pub filer_org_id: Uuid,
    pub holder_org_id: Option<Uuid>,
    pub holder_since: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Most recently changed first (the default).
    #[default]
    Updated,
    Created,
    /// Earliest due date first; cases without a due date last.
    Due,
}

/// Where a page of a queue starts: the sort value and id of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    Time(DateTime<Utc>, Uuid),
    Date(Option<NaiveDate>, Uuid),
}

/// A queue or search query. Every field narrows; `scope` is always applied.
#[derive(Debug, Clone)]
pub struct CaseQuery {
    pub scope: Scope,
    pub states: Vec<String>,
    pub case_type_id: Option<Uuid>,
    pub filer_org_id: Option<Uuid>,
    pub holder_org_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub overdue: Option<bool>,
    /// Only cases whose clock runs and that are due on or before this date.
    pub due_by: Option<NaiveDate>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Normalized search terms; each must occur in the case's search text.
    pub terms: Vec<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub limit: i64,
}

impl CaseQuery {
    pub fn new(scope: Scope) -> Self {
        CaseQuery {
            scope,
            states: Vec::new(),
            case_type_id: None,
            filer_org_id: None,
            holder_org_id: None,
            assignee_id: None,
            overdue: None,
            due_by: None,
            created_from: None,
            created_to: None,
            terms: Vec::new(),
            sort: SortKey::Updated,
            descending: true,
            after: None,
            limit: 25,
        }
    }
}

/// What to count for a dashboard.
#[derive(Debug, Clone)]
pub struct CaseCount {
    pub scope: Scope,
    pub holder_org_id: Option<Uuid>,
    /// Cases due on or before this date count as due soon.
    pub due_soon_by: NaiveDate,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseCounts {
    /// Open cases (clock running or paused).
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    /// Cases waiting on their filer.
    pub paused: i64,
}

/// One transition in a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEvent {
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub holder_org_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: DateTime<Utc>,
    pub author_id: Uuid,
    pub author_org_id: Uuid,
    /// Internal notes are never shown to the filing municipality.
    pub internal: bool,
    /// The action the message went with (`request_info`, `answer` …) or `message`/`note`.
    pub kind: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: Uuid,
    pub case_id: Uuid,
    pub message_id: Option<Uuid>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    #[serde(skip)]
    pub storage_key: String,
    pub uploaded_by: Uuid,
    pub internal: bool,
    pub at: DateTime<Utc>,
}

/// A new case with everything that goes with it, for
/// [`crate::Store::file_case`]: decided in full, but for its tracking
/// number, which the store takes from the case type's sequence (prefix and
/// year) as it writes it all.
#[derive(Debug, Clone)]
pub struct Filing {
    pub prefix: String,
    pub year: i32,
    /// The case; its `tracking_number` and `search_text` are the store's to fill.
    pub case: Case,
    pub events: Vec<CaseEvent>,
    pub messages: Vec<Message>,
    pub attachments: Vec<Attachment>,
    /// Audit records; those whose details have a `tracking_number` get the
    /// case's.
    pub audit: Vec<AuditRecord>,
    /// Notifications about the case; each gets its tracking number.
    pub notifications: Vec<Notification>,
}

impl Filing {
    /// The tracking number of the `seq`-th case of the filing's sequence.
    pub fn tracking_number(&self, seq: u64) -> Result<String> {
        diwan_domain::cases::tracking::TrackingNumber::new(&self.prefix, self.year, seq)
            .map(|t| t.to_string())
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))
    }

    /// Gives the case its tracking number wherever the filing names it.
    pub fn name(&mut self, tracking: &str) {
        self.case.tracking_number = tracking.to_owned();
        self.case.search_text = search_text(&self.case);
        for n in &mut self.notifications {
            n.tracking_number = tracking.to_owned();
        }
        for r in &mut self.audit {
            if let Some(d) = r.details.as_object_mut() {
                if d.contains_key("tracking_number") {
                    d.insert("tracking_number".into(), tracking.into());
                }
            }
        }
    }
}

/// What search reads of a case: its tracking number, subject and body,
/// normalized (see `diwan_domain::text`).
pub fn search_text(c: &Case) -> String {
    diwan_domain::text::normalize_for_search(&format!(
        "{} {} {}",
        c.tracking_number, c.subject, c.body
    ))
}

#[async_trait]
pub trait CaseRead {
    async fn list_case_types(&mut self) -> Result<Vec<CaseType>>;
    async fn get_case_type(&mut self, id: Uuid) -> Result<Option<CaseType>>;
    /// Reads a case and, in a transaction that writes on backends that can,
    /// locks it until the transaction ends.
    async fn get_case(&mut self, id: Uuid) -> Result<Option<Case>>;
    async fn case_by_tracking(&mut self, tracking: &str) -> Result<Option<Case>>;
    async fn list_cases(&mut self, q: &CaseQuery) -> Result<Vec<CaseRow>>;
    /// How many cases `q` matches (its cursor and limit aside), counted no
    /// further than `bound`.
    async fn count_matching(&mut self, q: &CaseQuery, bound: i64) -> Result<i64>;
    async fn count_cases(&mut self, q: &CaseCount) -> Result<CaseCounts>;
    async fn list_events(&mut self, case_id: Uuid) -> Result<Vec<CaseEvent>>;
    async fn list_messages(
        &mut self,
        case_id: Uuid,
        include_internal: bool,
    ) -> Result<Vec<Message>>;
    async fn list_attachments(&mut self, case_id: Uuid) -> Result<Vec<Attachment>>;
    async fn get_attachment(&mut self, id: Uuid) -> Result<Option<Attachment>>;
    /// How many cases wait to be marked overdue (the job queue's depth).
    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64>;
}

#[async_trait]
pub trait CaseRepo: CaseRead {
    async fn upsert_case_type(&mut self, t: &CaseType) -> Result<()>;

    /// Takes the next number of the per-prefix, per-year sequence. On
    /// PostgreSQL this locks the sequence's row until the transaction ends,
    /// so a use case takes it as late as it can.
    async fn next_tracking_seq(&mut self, prefix: &str, year: i32) -> Result<u64>;
    /// Adds a case; may be held back until the next read or the commit.
    async fn insert_case(&mut self, c: &Case) -> Result<()>;
    /// Saves every mutable column of a case; may be held back until the
    /// next read or the commit.
    async fn update_case(&mut self, c: &Case) -> Result<()>;
    /// Adds history, in one statement; may be held back.
    async fn insert_events(&mut self, e: &[CaseEvent]) -> Result<()>;
    /// Adds a message; may be held back.
    async fn insert_message(&mut self, m: &Message) -> Result<()>;
    /// Adds an attachment's record; may be held back.
    async fn insert_attachment(&mut self, a: &Attachment) -> Result<()>;

    /// Marks as overdue every case whose clock runs and whose due date is
    /// before `today`, and returns them. Safe to run on several nodes at once:
    /// each case is returned by exactly one run.
    async fn mark_overdue(&mut self, today: NaiveDate, limit: i64) -> Result<Vec<Case>>;
}
