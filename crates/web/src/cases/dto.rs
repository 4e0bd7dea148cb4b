//! The JSON shapes of the cases API: cases, case types, their history,
//! messages and attachments, the dashboard, and the queue's parameters.

use super::filter::{self, FilterInput, Form};
use crate::kit::error::ApiError;
use crate::kit::openapi::text;
use crate::organizations::api::OrgDto;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_services::cases::queues::CaseFilter;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;
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

/// A new case. The case type must be an active one of the catalogue, and
/// `fields` must hold the typed fields it declares (`fields` of the case
/// type), each checked against its kind.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCaseRequest {
    pub case_type_id: Uuid,
    #[schema(schema_with = subject_schema)]
    pub subject: String,
    #[serde(default)]
    #[schema(schema_with = body_schema)]
    pub body: String,
    #[schema(schema_with = fields_schema)]
    pub fields: Option<serde_json::Value>,
    /// File it at once (default: keep a draft).
    #[serde(default)]
    pub submit: bool,
    /// The department a memo is sent to.
    pub department_id: Option<Uuid>,
}

/// A draft's new text. `fields`, when given, must hold the typed fields
/// its case type declares; when absent the draft keeps its own.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditCaseRequest {
    #[schema(schema_with = subject_schema)]
    pub subject: String,
    #[serde(default)]
    #[schema(schema_with = body_schema)]
    pub body: String,
    #[schema(schema_with = fields_schema)]
    pub fields: Option<serde_json::Value>,
}

/// Typed field values by code: each code one the case type declares, each
/// value a string, number or yes/no that its kind accepts (blank or null
/// for none).
fn fields_schema() -> Object {
    let value = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::String,
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]));
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^[a-z0-9_]+{}", text::END)));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property_names(Some(code))
        .additional_properties(Some(value))
        .description(Some("The typed fields, by code: only codes the case type declares (`fields` of the case type), each with a value its kind accepts (text, a whole number, a date YYYY-MM-DD, an amount, one of the choices), blank or null for none. Fields the type marks required must have a value."))
        .build()
}

fn subject_schema() -> Object {
    text::trimmed(3, Some(200), "3 to 200 characters once trimmed.")
}

fn body_schema() -> Object {
    let blank = format!("^{}*$", text::blank());
    text::matching(
        format!("{blank}|{}", text::trimmed_pattern(1, Some(20_000))),
        "The letter itself: at most 20,000 characters once trimmed (may be blank).",
    )
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
    #[schema(schema_with = message_schema)]
    pub body: String,
    /// An internal note (ministry staff only).
    #[serde(default)]
    pub internal: bool,
}

/// The multipart form of an upload: the file, whether it is internal, and
/// any other fields, which are ignored. Field names are written in the
/// parts' headers, so they cannot hold control characters.
pub struct UploadForm;

impl utoipa::PartialSchema for UploadForm {
    fn schema() -> RefOr<Schema> {
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .min_length(Some(1))
            .description(Some("The document: a PDF, image or office document, recognized by its content (415 otherwise), not empty, and no larger than the server accepts (413)."));
        let internal = ObjectBuilder::new().schema_type(Type::String).description(Some(
            "`1`, `true` or `on` (once trimmed) for an internal attachment, which only ministry staff may add and see; anything else for a public one.",
        ));
        let names = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(r"^[^\x00-\x08\x0a-\x1f\x7f]*{}", text::END)));
        ObjectBuilder::new()
            .property("file", file)
            .required("file")
            .property("internal", internal)
            .property_names(Some(names))
            .into()
    }
}

impl ToSchema for UploadForm {}

fn message_schema() -> Object {
    text::trimmed(
        1,
        Some(20_000),
        "Not blank; at most 20,000 characters once trimmed.",
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardEntry {
    pub organization: OrgDto,
    pub open: i64,
    pub overdue: i64,
    pub due_soon: i64,
    pub paused: i64,
}

/// Filters of a queue or search. Digits may be Arabic-Indic. A blank
/// value is the same as none.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListParams {
    /// One or more states, comma-separated; a state no workflow has finds nothing.
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type", schema_with = case_type_param)]
    pub case_type: Option<String>,
    #[param(schema_with = municipality_param)]
    pub municipality: Option<String>,
    #[param(schema_with = department_param)]
    pub department: Option<String>,
    #[param(schema_with = assignee_param)]
    pub assignee: Option<String>,
    #[param(schema_with = overdue_param)]
    pub overdue: Option<String>,
    #[param(schema_with = due_soon_param)]
    pub due_soon: Option<String>,
    #[param(schema_with = from_param)]
    pub from: Option<String>,
    #[param(schema_with = to_param)]
    pub to: Option<String>,
    /// Search text: tracking number, subject, body; Arabic-aware.
    pub q: Option<String>,
    #[param(schema_with = sort_param)]
    pub sort: Option<String>,
    #[param(schema_with = order_param)]
    pub order: Option<String>,
    #[param(schema_with = cursor_param)]
    pub cursor: Option<String>,
    #[param(schema_with = limit_param)]
    pub limit: Option<String>,
}

fn id_param(description: &str) -> Object {
    text::matching(text::optional_pattern(&text::uuid_forms()), description)
}

fn case_type_param() -> Object {
    id_param("Case type id.")
}

fn municipality_param() -> Object {
    id_param("Filing municipality id.")
}

fn department_param() -> Object {
    id_param("Holding department id.")
}

fn assignee_param() -> Object {
    id_param("Assignee id.")
}

fn yes_no_param(description: &str) -> Object {
    text::matching(
        text::optional_pattern("1|true|on|yes|0|false|off|no"),
        description,
    )
}

fn overdue_param() -> Object {
    yes_no_param("Yes (1, true, on, yes): only overdue cases; no (0, false, off, no): only cases not overdue.")
}

fn due_soon_param() -> Object {
    yes_no_param("Yes (1, true, on, yes): only cases due soon; no: every case.")
}

fn from_param() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "Filed on or after this day (YYYY-MM-DD).",
    )
}

fn to_param() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "Filed on or before this day (YYYY-MM-DD).",
    )
}

fn sort_param() -> Object {
    text::one_of(
        ["", "updated", "created", "due"],
        "updated (default), created or due.",
    )
}

fn order_param() -> Object {
    text::one_of(["", "desc", "asc"], "desc (default) or asc.")
}

/// A queue position: `t.<microseconds>.<id>` after a time sort,
/// `d.<YYYY-MM-DD or ->.<id>` after the due-date sort.
fn cursor_param() -> Object {
    let id = text::uuid_forms();
    text::matching(
        format!(
            r"^[{removed}]*(?:t\.-?[0-9]{{1,18}}\.(?:{id})|d\.(?:{}|-)\.(?:{id}))?[{removed}]*{}",
            text::iso_day_forms(),
            text::END,
            removed = text::REMOVED
        ),
        "From `next_cursor` of the previous page, with the same `sort`.",
    )
}

fn limit_param() -> Object {
    text::matching(
        text::optional_pattern(&text::any_digits(r"0*(?:[1-9]\d?|100)")),
        "1 to 100 cases; 25 when blank.",
    )
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
            Some((param, reason)) => Err(ApiError::invalid(param, *reason)),
            None => Ok(read.filter),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRef {
    pub id: Uuid,
}
