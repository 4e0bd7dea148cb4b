//! The audit API under `/api/v1`: searching the audit trail.

use crate::kit::auth::ApiCaller;
use crate::kit::cursor;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{parse_day, parse_uuid, ApiQuery, ApiResult};
use crate::kit::openapi::text;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use diwan_domain::Reason;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The audit routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

/// The audit paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(audit))]
pub struct AuditDoc;

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

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Actor's user name.
    pub actor: Option<String>,
    #[param(schema_with = org_schema)]
    pub org: Option<String>,
    /// Action prefix, e.g. `case.` or `auth.sign_in`.
    pub action: Option<String>,
    /// Object id, e.g. a case id.
    pub object: Option<String>,
    #[param(schema_with = from_schema)]
    pub from: Option<String>,
    #[param(schema_with = to_schema)]
    pub to: Option<String>,
    #[param(schema_with = before_schema)]
    pub before: Option<String>,
    #[param(schema_with = limit_schema)]
    pub limit: Option<String>,
}

fn org_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::uuid_forms()),
        "Organization the actor acted for (an id).",
    )
}

fn from_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "Records from this day on (YYYY-MM-DD, UTC).",
    )
}

fn to_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::day_forms()),
        "Records up to this day (YYYY-MM-DD, UTC).",
    )
}

/// The position after which older records follow: `next_before` as the
/// previous page gave it (microseconds since the epoch, a dot, an id).
fn before_schema() -> Object {
    text::matching(
        format!(
            "^[{removed}]*(?:[0-9]{{1,18}}\\.(?:{}))?[{removed}]*{}",
            text::uuid_forms(),
            text::END,
            removed = text::REMOVED
        ),
        "From `next_before` of the previous page.",
    )
}

fn limit_schema() -> Object {
    text::matching(
        text::optional_pattern(&text::any_digits(r"0*(?:[1-9]\d?|1\d\d|200)")),
        "1 to 200 records; 50 when blank.",
    )
}

/// Searches the audit trail (auditors and administrators).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams), responses((status = 200, body = AuditPage), (status = 404, body = ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<AuditPage> {
    let limit = match p.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 50,
        Some(s) => diwan_domain::text::parse_number(s)
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", Reason::FieldInvalid))?
            as i64,
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
            Some(b) => Some(
                cursor::decode_before(b)
                    .ok_or_else(|| ApiError::invalid("before", Reason::FieldInvalid))?,
            ),
        },
        limit,
    };
    let items = state
        .services
        .search_audit(&c, q, p.actor.as_deref())
        .await?;
    let next_before = (items.len() as i64 == limit)
        .then(|| items.last().map(|r| cursor::encode_before(r.at, r.id)))
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
