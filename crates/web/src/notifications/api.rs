//! The notifications API under `/api/v1`: the caller's notifications and
//! marking them read.

use crate::kit::auth::ApiCaller;
use crate::kit::extract::{ApiJson, ApiQuery, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The notifications routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(notifications))
        .route("/notifications/read", post(mark_read))
}

/// The notifications paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(notifications, mark_read))]
pub struct NotificationsDoc;

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
