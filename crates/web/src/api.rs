//! The JSON API under `/api/v1`: everything the pages do, for machine
//! clients. Clients authenticate with a bearer token: a personal API token
//! (`dwt_…`, scoped, revocable) or a session token from `POST /auth/sign-in`.
//! The OpenAPI 3.1 document at `/api/openapi.json` is generated from these
//! handlers and types.

use crate::auth::{client_ip, ApiCaller};
use crate::error::{ApiError, ErrorBody};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::{ErrorCode, Role};
use diwan_services::auth::NewUser;
use diwan_services::cases::{CaseFilter, Move, NewCase};
use diwan_services::Caller;
use diwan_store::{Cursor, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// JSON bodies whose rejections become Diwan's JSON errors. Every string in
/// the body is cleaned of control and bidirectional override characters and
/// bounded in length before the handler sees it.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<serde_json::Value>::from_request(req, state).await?;
        clean_json(&mut value);
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError {
                code: ErrorCode::InvalidInput,
                details: vec![("body".into(), e.to_string().chars().take(300).collect())],
            })
    }
}

fn clean_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(c) = diwan_domain::text::clean_input(s) {
                *s = c;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(clean_json),
        serde_json::Value::Object(o) => o.values_mut().for_each(clean_json),
        _ => {}
    }
}

/// Query strings whose rejections become Diwan's JSON errors; their values
/// are cleaned as JSON strings are.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let fields = crate::pages::form::Fields::from_query(parts.uri.query());
        let uri: axum::http::Uri = format!("/?{}", fields.encode())
            .parse()
            .map_err(|_| ApiError::invalid("query", "field-invalid"))?;
        Ok(ApiQuery(Query::<T>::try_from_uri(&uri)?.0))
    }
}

/// Path parameters; a malformed one names nothing, so it is a 404.
pub struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiPath(
            Path::<T>::from_request_parts(parts, state).await?.0,
        ))
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/sign-in", post(sign_in))
        .route("/auth/sign-out", post(sign_out))
        .route("/me", get(me))
        .route("/me/password", post(change_password))
        .route("/organizations", get(list_orgs).post(create_org))
        .route(
            "/organizations/{id}/holidays",
            get(list_holidays).post(add_holiday),
        )
        .route("/departments/{id}/staff", get(department_staff))
        .route("/case-types", get(list_case_types))
        .route("/cases", get(list_cases).post(create_case))
        .route("/cases/by-tracking/{number}", get(case_by_tracking))
        .route("/cases/{id}", get(get_case).patch(edit_case))
        .route("/cases/{id}/transitions", post(transition))
        .route("/cases/{id}/messages", post(post_message))
        .route("/cases/{id}/attachments", post(upload_attachment))
        .route("/attachments/{id}", get(download_attachment))
        .route("/dashboard", get(dashboard))
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
        .route("/audit", get(audit))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}/password", post(reset_password))
        .fallback(api_not_found)
}

async fn api_not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound)
}

/// `/api/openapi.json`.
pub fn doc_routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(openapi()) }))
}

/// The OpenAPI 3.1 document of the JSON API and of the GovStack Workflow API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::govstack::GovStackDoc::openapi());
    doc
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Diwan API", description = "The JSON API of Diwan: cases, queues, search, messages, attachments, notifications, audit, tokens and accounts. Errors are `{code, message, details}` with stable codes; messages follow Accept-Language (Arabic by default)."),
    paths(sign_in, sign_out, me, change_password, list_orgs, create_org, list_holidays, add_holiday, department_staff, list_case_types, list_cases, create_case, case_by_tracking, get_case, edit_case, transition, post_message, upload_attachment, download_attachment, dashboard, notifications, mark_read, audit, list_tokens, create_token, revoke_token, list_users, create_user, reset_password),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

// ---------------------------------------------------------------- types

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// admin, registry_clerk, department_head, officer, municipal_clerk, municipal_head, auditor
    pub role: String,
    pub org_id: Uuid,
}

impl From<&Caller> for UserDto {
    fn from(c: &Caller) -> Self {
        UserDto {
            id: c.user_id,
            username: c.username.clone(),
            display_name: c.display_name.clone(),
            role: c.role.as_str().into(),
            org_id: c.org_id,
        }
    }
}

impl From<diwan_store::User> for UserDto {
    fn from(u: diwan_store::User) -> Self {
        UserDto {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().into(),
            org_id: u.org_id,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInResponse {
    /// A bearer token for this session.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgDto {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// ministry, department, section, municipality
    pub kind: String,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    pub time_zone: String,
}

impl From<diwan_store::Organization> for OrgDto {
    fn from(o: diwan_store::Organization) -> Self {
        OrgDto {
            id: o.id,
            parent_id: o.parent_id,
            kind: o.kind.as_str().into(),
            code: o.code,
            name_ar: o.name_ar,
            name_en: o.name_en,
            name_fr: o.name_fr,
            time_zone: o.time_zone,
        }
    }
}

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
            paused: c.clock == diwan_domain::workflow::Clock::Paused,
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
pub struct NotificationDto {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    /// assigned, routed, reply_received, message_received, overdue, info_requested, answered, rejected
    pub kind: String,
    pub tracking_number: String,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkReadRequest {
    /// One notification; all when absent.
    pub id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDto {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub org_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditDto>,
    /// Pass as `before` for older records.
    pub next_before: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub name: String,
    /// read, write
    pub scopes: Vec<String>,
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<diwan_store::ApiToken> for TokenDto {
    fn from(t: diwan_store::ApiToken) -> Self {
        TokenDto {
            id: t.id,
            name: t.name,
            scopes: t.scopes,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// Shown once; only its digest is stored.
    pub token: String,
    pub details: TokenDto,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org_id: Uuid,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    pub password: String,
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

fn parse_uuid(field: &str, v: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "field-invalid")),
    }
}

fn parse_bool(field: &str, v: &Option<String>) -> Result<Option<bool>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some("1" | "true" | "on" | "yes") => Ok(Some(true)),
        Some("0" | "false" | "off" | "no") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(field, "field-invalid")),
    }
}

fn parse_day(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => diwan_domain::calendar::parse_date(s)
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "date-invalid")),
    }
}

impl CaseListParams {
    /// Turns the query into a service filter, reporting each bad value.
    pub fn to_filter(&self) -> Result<CaseFilter, ApiError> {
        let sort = match self.sort.as_deref().unwrap_or("updated") {
            "updated" | "" => SortKey::Updated,
            "created" => SortKey::Created,
            "due" => SortKey::Due,
            _ => return Err(ApiError::invalid("sort", "field-invalid")),
        };
        let ascending = match self.order.as_deref().unwrap_or("desc") {
            "desc" | "" => false,
            "asc" => true,
            _ => return Err(ApiError::invalid("order", "field-invalid")),
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                let cur = crate::pages::cursor::decode(c)
                    .ok_or_else(|| ApiError::invalid("cursor", "field-invalid"))?;
                let fits = matches!(
                    (&cur, sort),
                    (Cursor::Date(..), SortKey::Due)
                        | (Cursor::Time(..), SortKey::Updated | SortKey::Created)
                );
                if !fits {
                    return Err(ApiError::invalid("cursor", "field-invalid"));
                }
                Some(cur)
            }
        };
        let limit = match self
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                diwan_domain::text::parse_number(s)
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| ApiError::invalid("limit", "field-invalid"))?
                    as i64,
            ),
        };
        let states = self
            .state
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(CaseFilter {
            states,
            case_type_id: parse_uuid("type", &self.case_type)?,
            municipality_id: parse_uuid("municipality", &self.municipality)?,
            department_id: parse_uuid("department", &self.department)?,
            assignee_id: parse_uuid("assignee", &self.assignee)?,
            overdue: parse_bool("overdue", &self.overdue)?,
            due_soon: parse_bool("due_soon", &self.due_soon)?.unwrap_or(false),
            from: parse_day("from", &self.from)?,
            to: parse_day("to", &self.to)?,
            text: self.q.clone(),
            sort,
            ascending,
            after,
            limit,
        })
    }
}

/// The cursor that continues after `row` in the given order.
pub fn cursor_after(row: &diwan_store::CaseRow, sort: SortKey) -> Cursor {
    match sort {
        SortKey::Updated => Cursor::Time(row.updated_at, row.id),
        SortKey::Created => Cursor::Time(row.created_at, row.id),
        SortKey::Due => Cursor::Date(row.due_date, row.id),
    }
}

// ---------------------------------------------------------------- handlers

/// Signs in with a user name and password; returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "auth", request_body = SignInRequest, security(()),
    responses((status = 200, body = SignInResponse), (status = 400, body = ErrorBody), (status = 401, description = "Unknown user name, wrong password or locked account: the answer does not say which", body = ErrorBody), (status = 429, description = "Too many failed sign-ins from this address; `Retry-After` says when to try again", body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    parts: Parts2,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<SignInResponse> {
    let s = state
        .services
        .sign_in(&req.username, &req.password, parts.0)
        .await?;
    Ok(Json(SignInResponse {
        token: s.token,
        expires_at: s.expires_at,
        user: UserDto::from(&s.caller),
    }))
}

/// The client's address, for audit records.
struct Parts2(Option<String>);

impl FromRequestParts<AppState> for Parts2 {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Parts2(client_ip(parts, state.web.trusted_proxies)))
    }
}

/// Ends the session whose token authenticates this request.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(&headers);
    state.services.sign_out(&c, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password for the signed-in person.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 256)]
    pub current_password: String,
    /// At least 12 characters; common and easily guessed passwords are refused.
    #[schema(min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// Changes the caller's own password. Needs a session token from
/// `/auth/sign-in` (not a personal API token); the person's other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(&headers);
    state
        .services
        .change_password(&c, Some(&token), &req.current_password, &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn bearer_token(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned())
        .unwrap_or_default()
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
async fn me(ApiCaller(c): ApiCaller) -> ApiResult<UserDto> {
    Ok(Json(UserDto::from(&c)))
}

/// The organization tree: the ministry, its departments and sections, the municipalities.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", responses((status = 200, body = Vec<OrgDto>), (status = 401, body = ErrorBody)))]
async fn list_orgs(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
) -> ApiResult<Vec<OrgDto>> {
    Ok(Json(
        state
            .services
            .list_orgs()
            .await?
            .into_iter()
            .map(OrgDto::from)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrgRequest {
    pub parent_id: Option<Uuid>,
    /// ministry, department, section, municipality
    pub kind: String,
    pub code: String,
    pub name_ar: String,
    pub name_en: String,
    pub name_fr: String,
    /// An IANA time zone; Africa/Tripoli by default.
    pub time_zone: Option<String>,
}

/// Adds an organization to the tree (administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = NewOrgRequest, responses((status = 201, body = OrgDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_org(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<NewOrgRequest>,
) -> Result<(StatusCode, Json<OrgDto>), ApiError> {
    let kind = r.kind.parse().map_err(ApiError::from)?;
    let n = diwan_services::orgs::NewOrg {
        parent_id: r.parent_id,
        kind,
        code: r.code,
        name_ar: r.name_ar,
        name_en: r.name_en,
        name_fr: r.name_fr,
        time_zone: r
            .time_zone
            .unwrap_or_else(|| diwan_domain::org::DEFAULT_TIME_ZONE.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(OrgDto::from(state.services.create_org(Some(&c), n).await?)),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolidayParams {
    /// First day (YYYY-MM-DD); today by default.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); a year after `from` by default.
    pub to: Option<String>,
}

/// An organization's holidays, which deadlines skip.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/holidays", tag = "organizations", params(("id" = Uuid, Path), HolidayParams), responses((status = 200, body = Vec<NaiveDate>), (status = 404, body = ErrorBody)))]
async fn list_holidays(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(p): ApiQuery<HolidayParams>,
) -> ApiResult<Vec<NaiveDate>> {
    let from = parse_day("from", &p.from)?.unwrap_or_else(|| Utc::now().date_naive());
    let to = parse_day("to", &p.to)?.unwrap_or(from + chrono::Duration::days(366));
    Ok(Json(state.services.holidays(id, from, to).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HolidayRequest {
    /// YYYY-MM-DD
    pub day: String,
    pub name: String,
}

/// Adds a holiday to an organization's calendar (administrators).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/holidays", tag = "organizations", params(("id" = Uuid, Path)), request_body = HolidayRequest, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_holiday(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<HolidayRequest>,
) -> Result<StatusCode, ApiError> {
    let day = diwan_domain::calendar::parse_date(&r.day)
        .map_err(|_| ApiError::invalid("day", "date-invalid"))?;
    if r.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "field-required"));
    }
    state
        .services
        .add_holiday(Some(&c), id, day, r.name.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Officers and heads of a department, to choose an assignee from.
#[utoipa::path(get, path = "/api/v1/departments/{id}/staff", tag = "organizations", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<UserDto>), (status = 404, body = ErrorBody)))]
async fn department_staff(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Vec<UserDto>> {
    Ok(Json(
        state
            .services
            .department_staff(&c, id)
            .await?
            .into_iter()
            .map(UserDto::from)
            .collect(),
    ))
}

/// The catalogue of case types.
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases", responses((status = 200, body = Vec<CaseTypeDto>), (status = 401, body = ErrorBody)))]
async fn list_case_types(
    State(state): State<AppState>,
    ApiCaller(_c): ApiCaller,
) -> ApiResult<Vec<CaseTypeDto>> {
    Ok(Json(
        state
            .services
            .list_case_types()
            .await?
            .into_iter()
            .map(CaseTypeDto::from)
            .collect(),
    ))
}

/// A queue page or search results, with keyset pagination.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams), responses((status = 200, body = CasePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<CaseListParams>,
) -> ApiResult<CasePage> {
    let mut f = p.to_filter()?;
    let limit = f.limit.unwrap_or(25);
    let sort = f.sort;
    f.limit = Some(limit + 1);
    let mut rows = state.services.list_cases(&c, f).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last()
            .map(|r| crate::pages::cursor::encode(&cursor_after(r, sort)))
    } else {
        None
    };
    Ok(Json(CasePage {
        items: rows.into_iter().map(CaseSummaryDto::from).collect(),
        next_cursor,
    }))
}

/// Files a case: a draft, or submitted at once with `submit: true`.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseRequest,
    responses((status = 201, body = CaseDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_case(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<NewCaseRequest>,
) -> Result<(StatusCode, Json<CaseDto>), ApiError> {
    let case = state
        .services
        .create_case(
            &c,
            NewCase {
                case_type_id: r.case_type_id,
                subject: r.subject,
                body: r.body,
                fields: r.fields,
                submit: r.submit,
                department_id: r.department_id,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CaseDto::from(case))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRef {
    pub id: Uuid,
}

/// Finds a case by its tracking number (any case, Arabic-Indic digits accepted).
#[utoipa::path(get, path = "/api/v1/cases/by-tracking/{number}", tag = "cases", params(("number" = String, Path)), responses((status = 200, body = CaseRef), (status = 404, body = ErrorBody)))]
async fn case_by_tracking(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<CaseRef> {
    let id = state
        .services
        .find_by_tracking(&c, &number)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    Ok(Json(CaseRef { id }))
}

/// One case with its history, messages, attachments and the caller's possible actions. The read is audited.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), responses((status = 200, body = CaseViewDto), (status = 404, body = ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<CaseViewDto> {
    let v = state.services.view_case(&c, id).await?;
    Ok(Json(CaseViewDto {
        case: CaseDto::from(v.case),
        case_type: CaseTypeDto::from(v.case_type),
        events: v
            .events
            .into_iter()
            .map(|e| EventDto {
                at: e.at,
                actor_id: e.actor_id,
                action: e.action,
                from_state: e.from_state,
                to_state: e.to_state,
                holder_org_id: e.holder_org_id,
                assignee_id: e.assignee_id,
            })
            .collect(),
        messages: v.messages.into_iter().map(MessageDto::from).collect(),
        attachments: v.attachments.into_iter().map(AttachmentDto::from).collect(),
        actions: v
            .actions
            .into_iter()
            .map(|a| ActionDto {
                action: a.action,
                needs_department: a.needs_department,
                needs_assignee: a.needs_assignee,
                needs_message: a.needs_message,
            })
            .collect(),
        due_soon: v.due_soon,
        can_message: v.can_message,
        can_note: v.can_note,
        names: v.names,
    }))
}

/// Changes a draft.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), request_body = EditCaseRequest,
    responses((status = 200, body = CaseDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn edit_case(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<EditCaseRequest>,
) -> ApiResult<CaseDto> {
    Ok(Json(CaseDto::from(
        state
            .services
            .update_draft(&c, id, &r.subject, &r.body, r.fields)
            .await?,
    )))
}

/// Moves a case along its workflow.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", params(("id" = Uuid, Path)), request_body = TransitionRequest,
    responses((status = 200, body = CaseDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn transition(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<TransitionRequest>,
) -> ApiResult<CaseDto> {
    let mv = Move {
        action: r.action,
        department_id: r.department_id,
        assignee_id: r.assignee_id,
        message: r.message,
    };
    Ok(Json(CaseDto::from(
        state.services.transition(&c, id, mv).await?,
    )))
}

/// Posts a public message or an internal note.
#[utoipa::path(post, path = "/api/v1/cases/{id}/messages", tag = "cases", params(("id" = Uuid, Path)), request_body = MessageRequest,
    responses((status = 201, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn post_message(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<MessageRequest>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    let m = state
        .services
        .post_message(&c, id, &r.body, r.internal)
        .await?;
    Ok((StatusCode::CREATED, Json(MessageDto::from(m))))
}

/// Attaches a file (multipart field `file`; optional field `internal`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases", params(("id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "Field `file`: the document (PDF, image, office document); optional field `internal`: 1 for ministry-only."),
    responses((status = 201, body = AttachmentDto), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload_attachment(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    mut mp: Multipart,
) -> Result<(StatusCode, Json<AttachmentDto>), ApiError> {
    let mut file = None;
    let mut internal = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("file").to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                file = Some((name, bytes));
            }
            Some("internal") => {
                internal = matches!(
                    field.text().await.map_err(multipart_error)?.trim(),
                    "1" | "true" | "on"
                )
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| ApiError::invalid("file", "field-required"))?;
    let a = state
        .services
        .add_attachment(&c, id, &name, bytes, internal)
        .await?;
    Ok((StatusCode::CREATED, Json(AttachmentDto::from(a))))
}

/// Maps a multipart failure: too large, or malformed.
pub fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError {
            code: ErrorCode::PayloadTooLarge,
            details: vec![("file".into(), "file-too-large".into())],
        }
    } else {
        ApiError::invalid("file", "field-invalid")
    }
}

/// Downloads an attachment, authorized exactly as its case is.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "cases", params(("id" = Uuid, Path)), responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
async fn download_attachment(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (a, got) = state.services.open_attachment(&c, id).await?;
    Ok(file_response(&a, got))
}

/// Streams a stored file with safe headers.
pub fn file_response(a: &diwan_store::Attachment, got: object_store_result::GetResult) -> Response {
    use futures::StreamExt;
    let stream = got.into_stream().map(|r| r.map_err(std::io::Error::other));
    let encoded: String = a
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename*=UTF-8''{encoded}"),
            ),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_owned(),
            ),
            (header::CONTENT_LENGTH, a.size.to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// Re-exported so the web crate needs no direct dependency on object_store.
pub mod object_store_result {
    pub use diwan_services::attachments::GetResult;
}

/// Open, overdue, due-soon and paused counts per department (or for the caller's municipality).
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "cases", responses((status = 200, body = Vec<DashboardEntry>)))]
async fn dashboard(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<DashboardEntry>> {
    let d = state.services.dashboard(&c).await?;
    Ok(Json(
        d.into_iter()
            .map(|e| DashboardEntry {
                organization: OrgDto::from(e.department),
                open: e.counts.open,
                overdue: e.counts.overdue,
                due_soon: e.counts.due_soon,
                paused: e.counts.paused,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// Only unread notifications.
    pub unread: Option<bool>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationParams), responses((status = 200, body = Vec<NotificationDto>)))]
async fn notifications(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<NotificationParams>,
) -> ApiResult<Vec<NotificationDto>> {
    let list = state
        .services
        .notifications(&c, p.unread.unwrap_or(false), 100)
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                case_id: n.case_id,
                kind: n.kind,
                tracking_number: n.tracking_number,
                at: n.at,
                read_at: n.read_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

/// Marks one notification, or all, as read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = MarkReadRequest, responses((status = 200, body = MarkedRead)))]
async fn mark_read(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<MarkReadRequest>,
) -> ApiResult<MarkedRead> {
    Ok(Json(MarkedRead {
        marked: state.services.mark_read(&c, r.id).await?,
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Actor's user name.
    pub actor: Option<String>,
    /// Organization the actor acted for.
    pub org: Option<String>,
    /// Action prefix, e.g. `case.` or `auth.sign_in`.
    pub action: Option<String>,
    /// Object id, e.g. a case id.
    pub object: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// From `next_before` of the previous page.
    pub before: Option<String>,
    pub limit: Option<String>,
}

/// Parses an audit keyset position `<micros>.<uuid>`.
pub fn parse_before(s: &str) -> Option<(DateTime<Utc>, Uuid)> {
    let (t, id) = s.split_once('.')?;
    Some((
        DateTime::from_timestamp_micros(t.parse().ok()?)?,
        Uuid::parse_str(id).ok()?,
    ))
}

/// Searches the audit trail (auditors and administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<AuditPage> {
    let limit = match p.limit.as_deref().filter(|s| !s.is_empty()) {
        None => 50,
        Some(s) => diwan_domain::text::parse_number(s)
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", "field-invalid"))? as i64,
    };
    let q = diwan_store::AuditQuery {
        actor_id: None,
        org_id: parse_uuid("org", &p.org)?,
        action_prefix: p.action.filter(|s| !s.is_empty()),
        object_id: p.object.filter(|s| !s.is_empty()),
        from: parse_day("from", &p.from)?
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc()),
        to: parse_day("to", &p.to)?
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc()),
        before: match p.before.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(b) => {
                Some(parse_before(b).ok_or_else(|| ApiError::invalid("before", "field-invalid"))?)
            }
        },
        limit,
    };
    let items = state
        .services
        .search_audit(&c, q, p.actor.as_deref())
        .await?;
    let next_before = (items.len() as i64 == limit)
        .then(|| {
            items
                .last()
                .map(|r| format!("{}.{}", r.at.timestamp_micros(), r.id))
        })
        .flatten();
    Ok(Json(AuditPage {
        items: items
            .into_iter()
            .map(|r| AuditDto {
                id: r.id,
                at: r.at,
                actor_id: r.actor_id,
                actor_name: r.actor_name,
                org_id: r.org_id,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                ip: r.ip,
                details: r.details,
            })
            .collect(),
        next_before,
    }))
}

/// The caller's personal API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = Vec<TokenDto>)))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<TokenDto>> {
    Ok(Json(
        state
            .services
            .list_api_tokens(&c)
            .await?
            .into_iter()
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Creates a personal API token (from a session, not from another token).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenRequest, responses((status = 201, body = NewTokenResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewTokenResponse>), ApiError> {
    // Sessions act with every right of their owner; a personal token carries
    // its scopes, and the service refuses to let a token mint another.
    let (t, token) = state
        .services
        .create_api_token(&c, &r.name, &r.scopes, r.expires_in_days)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenResponse {
            token,
            details: TokenDto::from(t),
        }),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.services.revoke_api_token(&c, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account (administrators and auditors).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses((status = 200, body = Vec<UserDto>), (status = 404, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<UserDto>> {
    Ok(Json(
        state
            .services
            .list_users(&c)
            .await?
            .into_iter()
            .map(UserDto::from)
            .collect(),
    ))
}

/// Creates an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserRequest, responses((status = 201, body = UserDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let role: Role = r.role.parse().map_err(ApiError::from)?;
    let u = state
        .services
        .create_user(
            Some(&c),
            NewUser {
                username: r.username,
                display_name: r.display_name,
                role,
                org_id: r.org_id,
                password: r.password,
                password_hash: None,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(u))))
}

/// Sets a new password for an account and ends its sessions (administrators).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "admin", params(("id" = Uuid, Path)), request_body = PasswordRequest, responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .services
        .reset_password(Some(&c), id, &r.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
