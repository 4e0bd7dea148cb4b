//! The cases API under `/api/v1`: the case-type catalogue, queues and
//! search, filing, moves, messages, attachments and the dashboard.

use super::dto::*;
use super::filter::cursor_after;
use crate::kit::auth::ApiCaller;
use crate::kit::cursor;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::organizations::api::OrgDto;
use crate::AppState;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::cases::{Move, NewCase, Upload};
use utoipa::OpenApi;
use uuid::Uuid;

/// The cases routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/case-types", get(list_case_types))
        .route("/cases", get(list_cases).post(create_case))
        .route("/cases/by-tracking/{number}", get(case_by_tracking))
        .route("/cases/{id}", get(get_case).patch(edit_case))
        .route("/cases/{id}/transitions", post(transition))
        .route("/cases/{id}/messages", post(post_message))
        .route("/cases/{id}/attachments", post(upload_attachment))
        .route("/attachments/{id}", get(download_attachment))
        .route("/dashboard", get(dashboard))
}

/// The cases paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list_case_types,
    list_cases,
    create_case,
    case_by_tracking,
    get_case,
    edit_case,
    transition,
    post_message,
    upload_attachment,
    download_attachment,
    dashboard
))]
pub struct CasesDoc;

/// The catalogue of case types.
#[utoipa::path(get, path = "/api/v1/case-types", tag = "cases", responses((status = 200, body = Vec<CaseTypeDto>, links(
        ("FileFirstType" = (operation_id = "create_case", request_body = json!({"case_type_id": "$response.body#/0/id"}), description = "File a case of the first type listed.")),
        ("FileSecondType" = (operation_id = "create_case", request_body = json!({"case_type_id": "$response.body#/1/id"}), description = "File a case of the second type listed."))
    )), (status = 401, body = ErrorBody)))]
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
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams), responses((status = 200, body = CasePage, links(
        ("GetFirstCase" = (operation_id = "get_case", parameters(("id" = "$response.body#/items/0/id")), description = "The first case of the page.")),
        ("NextPage" = (operation_id = "list_cases", parameters(("cursor" = "$response.body#/next_cursor")), description = "The next page, in the default order."))
    )), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
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
        rows.last().map(|r| cursor::encode(&cursor_after(r, sort)))
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
    responses((status = 201, body = CaseDto, links(
        ("GetCase" = (operation_id = "get_case", parameters(("id" = "$response.body#/id")), description = "The case just filed.")),
        ("FindByTracking" = (operation_id = "case_by_tracking", parameters(("number" = "$response.body#/tracking_number")), description = "The case by its tracking number.")),
        ("EditCase" = (operation_id = "edit_case", parameters(("id" = "$response.body#/id")), description = "Change the draft.")),
        ("Transition" = (operation_id = "transition", parameters(("id" = "$response.body#/id")), description = "Move the case.")),
        ("PostMessage" = (operation_id = "post_message", parameters(("id" = "$response.body#/id")), description = "Write on the case.")),
        ("UploadAttachment" = (operation_id = "upload_attachment", parameters(("id" = "$response.body#/id")), description = "Attach a file to the case."))
    )), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
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
                case_type_id: Some(r.case_type_id),
                audience: None,
                subject: r.subject,
                body: r.body,
                fields: r.fields,
                submit: r.submit,
                department_id: r.department_id,
                ..NewCase::default()
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CaseDto::from(case))))
}

/// Finds a case by its tracking number (any case, Arabic-Indic digits accepted).
#[utoipa::path(get, path = "/api/v1/cases/by-tracking/{number}", tag = "cases", params(("number" = String, Path, description = "A tracking number such as MLG-2026-000123, in any letter case, with Arabic-Indic digits, and with spaces, slashes or underscores instead of dashes.")),
    responses((status = 200, body = CaseRef, links(("GetCase" = (operation_id = "get_case", parameters(("id" = "$response.body#/id")), description = "The case found."))))))]
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
    responses((status = 200, body = CaseDto, links(("GetCase" = (operation_id = "get_case", parameters(("id" = "$response.body#/id")), description = "The case after the move.")))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
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
        file: None,
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
    request_body(content_type = "multipart/form-data", content = UploadForm, description = "Field `file`: the document (PDF, image, office document); optional field `internal`: 1 for ministry-only."),
    responses((status = 201, body = AttachmentDto, links(("DownloadAttachment" = (operation_id = "download_attachment", parameters(("id" = "$response.body#/id")), description = "The file just attached.")))), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload_attachment(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    mp: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<AttachmentDto>), ApiError> {
    // A body that is not a multipart form is refused as the API refuses
    // any malformed body: as JSON.
    let mut mp = mp.map_err(|r| {
        tracing::debug!(reason = %r.body_text(), "not a multipart body");
        ApiError::invalid("body", Reason::BodyMalformed)
    })?;
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
    let (name, bytes) = file.ok_or_else(|| ApiError::invalid("file", Reason::FieldRequired))?;
    let a = state
        .services
        .add_attachment(
            &c,
            id,
            Upload {
                filename: name,
                data: bytes,
                truncated: false,
            },
            internal,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(AttachmentDto::from(a))))
}

/// Maps a multipart failure: too large, or malformed.
pub fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError {
            code: ErrorCode::PayloadTooLarge,
            details: vec![("file".into(), Reason::FileTooLarge)],
            retry_after_secs: None,
        }
    } else {
        ApiError::invalid("file", Reason::FieldInvalid)
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
    pub use diwan_services::cases::attachments::GetResult;
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
