//! The JSON shapes of the cases API: cases, case types, their history,
//! messages and attachments, the dashboard, and the queue's parameters.

use super::filter::{self, FilterInput, Form};
use crate::kit::error::ApiError;
use crate::organizations::api::OrgDto;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_services::cases::CaseFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseTypeDto {
    pub id: Uuid,
    pub code: String,
    /// The workflow the type follows: municipal_request or internal_memo.
    pub workflow: String,
    pub prefix: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub default_department_id: Option<Uuid>,
    pub auto_route: bool,
    /// Working days the ministry has to answer.
    pub deadline_days: i32,
    pub active: bool,
    /// The typed fields of this type: `code`, `kind` (text, integer, date, money, choice), `required`, labels.
    #[schema(value_type = Vec<Object>)]
    pub fields: serde_json::Value,
}

impl From<diwan_store::CaseType> for CaseTypeDto {
    fn from(t: diwan_store::CaseType) -> Self {
        CaseTypeDto {
            id: t.id,
            code: t.code,
            workflow: t.workflow,
            prefix: t.prefix,
            name_ar: t.name_ar,
            name_en: t.name_en,
            name_fr: t.name_fr,
            default_department_id: t.default_department_id,
            auto_route: t.auto_route,
            deadline_days: t.deadline_days,
            active: t.active,
            fields: serde_json::to_value(&t.fields).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub id: Uuid,
    pub case_type_id: Uuid,
    /// For example MLG-2026-000123.
    pub tracking_number: String,
    pub subject: String,
    pub body: String,
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
    pub state: String,
    pub filer_org_id: Uuid,
    pub holder_org_id: Option<Uuid>,
    pub holder_since: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub overdue: bool,
    /// The deadline clock waits on the filer.
    pub paused: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<diwan_store::Case> for CaseDto {
    fn from(c: diwan_store::Case) -> Self {
        CaseDto {
            id: c.id,
            case_type_id: c.case_type_id,
            tracking_number: c.tracking_number,
            subject: c.subject,
            body: c.body,
            fields: c.fields,
            state: c.state,
            filer_org_id: c.filer_org_id,
            holder_org_id: c.holder_org_id,
            holder_since: c.holder_since,
            assignee_id: c.assignee_id,
            due_date: c.due_date,
            overdue: c.overdue,
            paused: c.clock == diwan_domain::cases::workflow::Clock::Paused,
            submitted_at: c.submitted_at,
            closed_at: c.closed_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummaryDto {
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

impl From<diwan_store::CaseRow> for CaseSummaryDto {
    fn from(r: diwan_store::CaseRow) -> Self {
        CaseSummaryDto {
            id: r.id,
            tracking_number: r.tracking_number,
            case_type_id: r.case_type_id,
            subject: r.subject,
            state: r.state,
            filer_org_id: r.filer_org_id,
            holder_org_id: r.holder_org_id,
            holder_since: r.holder_since,
            assignee_id: r.assignee_id,
            due_date: r.due_date,
            overdue: r.overdue,
            submitted_at: r.submitted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummaryDto>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub holder_org_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub author_id: Uuid,
    pub author_org_id: Uuid,
    /// Internal notes are never shown to the filing municipality.
    pub internal: bool,
    pub kind: String,
    pub body: String,
}

impl From<diwan_store::Message> for MessageDto {
    fn from(m: diwan_store::Message) -> Self {
        MessageDto {
            id: m.id,
            at: m.at,
            author_id: m.author_id,
            author_org_id: m.author_org_id,
            internal: m.internal,
            kind: m.kind,
            body: m.body,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub internal: bool,
    pub uploaded_by: Uuid,
    pub at: DateTime<Utc>,
}

impl From<diwan_store::Attachment> for AttachmentDto {
    fn from(a: diwan_store::Attachment) -> Self {
        AttachmentDto {
            id: a.id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            internal: a.internal,
            uploaded_by: a.uploaded_by,
            at: a.at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionDto {
    pub action: String,
    pub needs_department: bool,
    pub needs_assignee: bool,
    pub needs_message: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseViewDto {
    pub case: CaseDto,
    pub case_type: CaseTypeDto,
    pub events: Vec<EventDto>,
    pub messages: Vec<MessageDto>,
    pub attachments: Vec<AttachmentDto>,
    /// What the caller may do now.
    pub actions: Vec<ActionDto>,
    pub due_soon: bool,
    pub can_message: bool,
    pub can_note: bool,
    /// Display names of the people in this case's history, by user id.
    pub names: std::collections::BTreeMap<Uuid, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCaseRequest {
    pub case_type_id: Uuid,
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Value>,
    /// File it at once (default: keep a draft).
    #[serde(default)]
    pub submit: bool,
    /// The department a memo is sent to.
    pub department_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditCaseRequest {
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionRequest {
    /// submit, send, route, assign, request_info, reply, forward, answer, reject, withdraw, acknowledge
    pub action: String,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageRequest {
    pub body: String,
    /// An internal note (ministry staff only).
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardEntry {
    pub organization: OrgDto,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
}

/// Filters of a queue or search. Digits may be Arabic-Indic.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// One or more states, comma-separated.
    pub state: Option<String>,
    /// Case type id.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub case_type: Option<String>,
    /// Filing municipality id.
    pub municipality: Option<String>,
    /// Holding department id.
    pub department: Option<String>,
    /// Assignee id.
    pub assignee: Option<String>,
    /// true: only overdue cases; false: only cases not overdue.
    pub overdue: Option<String>,
    /// true: only cases due soon.
    pub due_soon: Option<String>,
    /// Filed on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Filed on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Search text: tracking number, subject, body; Arabic-aware.
    pub q: Option<String>,
    /// updated (default), created, due
    pub sort: Option<String>,
    /// desc (default) or asc
    pub order: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100; 25 by default.
    pub limit: Option<String>,
}

impl CaseListParams {
    /// Turns the query into a service filter, reporting the first bad value.
    pub fn to_filter(&self) -> Result<CaseFilter, ApiError> {
        let input = FilterInput {
            states: self.state.as_deref().into_iter().collect(),
            case_type: self.case_type.as_deref(),
            municipality: self.municipality.as_deref(),
            department: self.department.as_deref(),
            assignee: self.assignee.as_deref(),
            overdue: self.overdue.as_deref(),
            due_soon: self.due_soon.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
            q: self.q.as_deref(),
            sort: self.sort.as_deref(),
            order: self.order.as_deref(),
            after: self.cursor.as_deref(),
            limit: self.limit.as_deref(),
        };
        let read = filter::read(&input, Form::Api);
        match read.errors.first() {
            Some((param, reason)) => Err(ApiError::invalid(param, reason)),
            None => Ok(read.filter),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRef {
    pub id: Uuid,
}
