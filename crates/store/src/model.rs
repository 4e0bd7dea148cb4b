//! The records the store keeps. They are plain data; the rules about them
//! live in the domain crate and in the services.

use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::fields::FieldDef;
use diwan_domain::org::OrgKind;
use diwan_domain::workflow::{Clock, Scope};
use diwan_domain::Role;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: OrgKind,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl Organization {
    /// The name in `lang` (ar, en, fr), Arabic when unknown.
    pub fn name(&self, lang: &str) -> &str {
        match lang {
            "en" => &self.name_en,
            "fr" => &self.name_fr,
            _ => &self.name_ar,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: Uuid,
    pub password_hash: String,
    pub locale: Option<String>,
    pub active: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    /// Scopes granted: `read`, `write`.
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// The user name at the time, kept even if the account changes later.
    pub actor_name: String,
    /// The organization the actor acted for.
    pub org_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub action_prefix: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset: records strictly older than this one.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub case_id: Option<Uuid>,
    /// `assigned`, `reply_received`, `overdue`, `answered`, `info_requested`, `routed`.
    pub kind: String,
    pub tracking_number: String,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub database: bool,
    pub migrations_current: bool,
}
