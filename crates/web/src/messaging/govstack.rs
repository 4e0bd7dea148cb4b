//! The outbox through the GovStack Messaging building-block API
//! (`govstack/messaging/swagger.yaml`): e-mail, single and batch, the
//! status of a request and the client's callback. Mounted under
//! `/govstack/messaging`, with the specification's paths below it.
//!
//! The key the specification puts in an `apiKey` header is a Diwan API
//! token (the header `api_key`, which GovStack's compliance tests send, is
//! read too). The request's JSON comes in the body or, as the
//! specification's `body` query parameter says, in the query. A request's
//! `requestUid` is the id of its message (single) or of its batch.

use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::ClientAddr;
use crate::AppState;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use bytes::Bytes;
use diwan_domain::messaging::State as MessageState;
use diwan_domain::{ErrorCode, Reason};
use diwan_services::messaging::SendForm;
use diwan_services::Caller;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

pub const PREFIX: &str = "/govstack/messaging";

pub fn routes() -> Router<AppState> {
    let r = Router::new()
        .route("/send/email/single", post(send_single))
        .route("/send/email/batch", post(send_batch))
        .route("/callback/email", post(callback))
        .route("/status/email", get(status));
    Router::new().nest(PREFIX, r)
}

/// The GovStack Messaging paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(send_single, send_batch, callback, status))]
pub struct GovStackMessagingDoc;

/// A caller who sent a Diwan API token as the `apiKey` header.
pub struct KeyCaller(pub Caller);

impl FromRequestParts<AppState> for KeyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let key = ["apiKey", "api_key"]
            .iter()
            .find_map(|h| parts.headers.get(*h).and_then(|v| v.to_str().ok()))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?
            .to_owned();
        let ClientAddr(ip) = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientAddr(None));
        match state.services.authenticate(&key, ip).await? {
            Some((caller, _)) => Ok(KeyCaller(caller)),
            None => Err(ApiError::new(ErrorCode::Unauthenticated)),
        }
    }
}

/// An error as the specification answers it: invalid input is `405`.
pub struct SpecError(ApiError);

impl From<ApiError> for SpecError {
    fn from(e: ApiError) -> Self {
        SpecError(e)
    }
}

impl From<diwan_services::Error> for SpecError {
    fn from(e: diwan_services::Error) -> Self {
        SpecError(e.into())
    }
}

impl IntoResponse for SpecError {
    fn into_response(self) -> Response {
        let invalid = self.0.code == ErrorCode::InvalidInput;
        let mut res = self.0.into_response();
        if invalid {
            *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        }
        res
    }
}

fn invalid(field: &str, reason: Reason) -> SpecError {
    SpecError(ApiError {
        code: ErrorCode::InvalidInput,
        details: vec![(field.to_owned(), reason)],
        retry_after_secs: None,
    })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SenderInfo {
    pub organisation_name: Option<String>,
    pub organisation_reg_nr: Option<String>,
    pub on_behalf_of_name: Option<String>,
    pub on_behalf_of_reg_nr: Option<String>,
    pub email: Option<String>,
    pub reply_to: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecipientInfo {
    pub email: Option<String>,
    #[serde(rename = "emailCC")]
    pub email_cc: Option<String>,
    #[serde(rename = "emailBCC")]
    pub email_bcc: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EmailContent {
    pub encoding: Option<String>,
    pub title: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CallbackSender {
    #[serde(rename = "URI")]
    pub uri: Option<String>,
}

/// One e-mail to send.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Email {
    pub callback: Option<CallbackSender>,
    pub sender_info: Option<SenderInfo>,
    pub recipient_info: Option<RecipientInfo>,
    pub email_content: Option<EmailContent>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchRecipientInfo {
    /// Base64 of a JSON array of `{"recipientInfo": {"email": …, "name": …}}`.
    pub batch_email_as_base64: Option<String>,
}

/// One e-mail to many recipients.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchEmail {
    #[serde(rename = "callbackURI")]
    pub callback_uri: Option<CallbackSender>,
    pub sender_info: Option<SenderInfo>,
    pub recipient_info: Option<BatchRecipientInfo>,
    pub email_content: Option<EmailContent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseRequestAccepted {
    pub response: String,
    #[serde(rename = "requestUid")]
    pub request_uid: String,
    /// The same, as GovStack's compliance tests read it.
    #[serde(rename = "requestUID")]
    pub request_uid_tests: String,
}

fn accepted(id: Uuid) -> Json<ResponseRequestAccepted> {
    Json(ResponseRequestAccepted {
        response: "Request successfully accepted. Use \"requestUid\" to track its status.".into(),
        request_uid: id.to_string(),
        request_uid_tests: id.to_string(),
    })
}

#[derive(Debug, Deserialize)]
pub struct BodyQuery {
    pub body: Option<String>,
}

/// The request's JSON: the body, or the `body` query parameter.
fn read<T: for<'de> Deserialize<'de> + Default>(
    q: &BodyQuery,
    body: &Bytes,
) -> Result<T, SpecError> {
    let raw: &[u8] = if body.iter().all(|b| b.is_ascii_whitespace()) {
        q.body.as_deref().map(str::as_bytes).unwrap_or(b"{}")
    } else {
        body
    };
    serde_json::from_slice(raw).map_err(|_| invalid("body", Reason::FieldInvalid))
}

/// Sends one e-mail; the answer's `requestUid` is its message.
#[utoipa::path(post, path = "/govstack/messaging/send/email/single", tag = "govstack-messaging", operation_id = "sendSingleEmail",
    params(("apiKey" = String, Header, description = "A Diwan API token.")),
    request_body = Email,
    responses((status = 200, body = ResponseRequestAccepted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 405, description = "Invalid input", body = ErrorBody)))]
async fn send_single(
    State(state): State<AppState>,
    KeyCaller(c): KeyCaller,
    Query(q): Query<BodyQuery>,
    body: Bytes,
) -> Result<Json<ResponseRequestAccepted>, SpecError> {
    let e: Email = read(&q, &body)?;
    let to = e
        .recipient_info
        .and_then(|r| r.email)
        .ok_or_else(|| invalid("recipientInfo.email", Reason::FieldRequired))?;
    let content = e.email_content.unwrap_or_default();
    let m = state
        .services
        .send_message(
            &c,
            SendForm {
                channel: Some("email".into()),
                to,
                subject: content.title,
                text: content.content.unwrap_or_default(),
                ..SendForm::default()
            },
        )
        .await?;
    Ok(accepted(m.id))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchEntry {
    recipient_info: Option<RecipientInfo>,
}

/// Sends one e-mail to every recipient of the base64 list; the answer's
/// `requestUid` is their batch.
#[utoipa::path(post, path = "/govstack/messaging/send/email/batch", tag = "govstack-messaging", operation_id = "sendBatchEmail",
    params(("apiKey" = String, Header, description = "A Diwan API token.")),
    request_body = BatchEmail,
    responses((status = 200, body = ResponseRequestAccepted), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 405, description = "Invalid input", body = ErrorBody)))]
async fn send_batch(
    State(state): State<AppState>,
    KeyCaller(c): KeyCaller,
    Query(q): Query<BodyQuery>,
    body: Bytes,
) -> Result<Json<ResponseRequestAccepted>, SpecError> {
    let b: BatchEmail = read(&q, &body)?;
    let list = b
        .recipient_info
        .and_then(|r| r.batch_email_as_base64)
        .ok_or_else(|| invalid("recipientInfo.batchEmailAsBase64", Reason::FieldRequired))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(list.trim())
        .map_err(|_| invalid("recipientInfo.batchEmailAsBase64", Reason::FieldInvalid))?;
    let entries: Vec<BatchEntry> = serde_json::from_slice(&decoded)
        .map_err(|_| invalid("recipientInfo.batchEmailAsBase64", Reason::FieldInvalid))?;
    let to: Vec<String> = entries
        .into_iter()
        .filter_map(|e| e.recipient_info.and_then(|r| r.email))
        .collect();
    let content = b.email_content.unwrap_or_default();
    let batch = state
        .services
        .send_email_batch(
            &c,
            content.title.as_deref().unwrap_or(""),
            content.content.as_deref().unwrap_or(""),
            &to,
        )
        .await?;
    Ok(accepted(batch.id))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CallbackContent {
    pub meta: Option<String>,
    /// Base64.
    pub content: Option<String>,
}

fn request_uid(h: &HeaderMap) -> Option<String> {
    ["requestUid", "requestUID"]
        .iter()
        .find_map(|n| h.get(*n).and_then(|v| v.to_str().ok()))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// What the client's callback service passes back about a request (a
/// reply, a bounce): kept as a message received for it.
#[utoipa::path(post, path = "/govstack/messaging/callback/email", tag = "govstack-messaging", operation_id = "callbackEmail",
    params(("apiKey" = String, Header, description = "A Diwan API token."), ("requestUid" = String, Header)),
    request_body = CallbackContent,
    responses((status = 200, description = "Request successfully accepted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 405, description = "Invalid input", body = ErrorBody)))]
async fn callback(
    State(state): State<AppState>,
    KeyCaller(c): KeyCaller,
    headers: HeaderMap,
    Query(q): Query<BodyQuery>,
    body: Bytes,
) -> Result<StatusCode, SpecError> {
    let uid = request_uid(&headers).ok_or_else(|| invalid("requestUid", Reason::FieldRequired))?;
    let content: CallbackContent = read(&q, &body)?;
    state
        .services
        .email_callback(
            &c,
            &uid,
            content.meta.as_deref().unwrap_or(""),
            content.content.as_deref().unwrap_or(""),
        )
        .await?;
    Ok(StatusCode::OK)
}

/// How many of a request's e-mails are in each state the specification
/// names: `scheduled` (queued, also those to be tried again after a
/// temporary failure: Diwan keeps no state apart for them, so `deferred`
/// stays 0), `processing` (being handed over), `bounced` (failed for good),
/// `notSent` (expired), `delivered` (taken by the mail relay).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RequestStatus {
    pub scheduled: i64,
    pub processing: i64,
    pub deferred: i64,
    pub bounced: i64,
    #[serde(rename = "notSent")]
    pub not_sent: i64,
    /// The same, as GovStack's compliance tests read it.
    #[serde(rename = "not_sent")]
    pub not_sent_tests: i64,
    pub delivered: i64,
}

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    pub status: Option<String>,
}

/// The states of a request's e-mails; `status` names those wanted
/// (comma-separated or repeated), every one when absent.
#[utoipa::path(get, path = "/govstack/messaging/status/email", tag = "govstack-messaging", operation_id = "getEmailStatus",
    params(("apiKey" = String, Header, description = "A Diwan API token."), ("requestUid" = String, Header),
           ("status" = Option<String>, Query, description = "scheduled, processing, deferred, bounced, notSent, delivered")),
    responses((status = 200, body = RequestStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 405, description = "Invalid input", body = ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    KeyCaller(c): KeyCaller,
    headers: HeaderMap,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Json<RequestStatus>, SpecError> {
    let uid = request_uid(&headers).ok_or_else(|| invalid("requestUid", Reason::FieldRequired))?;
    let id = Uuid::parse_str(&uid).map_err(|_| SpecError(ApiError::new(ErrorCode::NotFound)))?;
    let wanted: Vec<String> = url_pairs(raw.as_deref().unwrap_or(""))
        .into_iter()
        .filter(|(k, _)| k == "status")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let counts = state.services.request_counts(&c, id).await?;
    let mut out = RequestStatus::default();
    let want = |name: &str| {
        wanted.is_empty()
            || wanted
                .iter()
                .any(|w| w == name || (name == "notSent" && (w == "not sent" || w == "not_sent")))
    };
    for s in counts {
        let slot = match s.state {
            MessageState::Queued => "scheduled",
            MessageState::Sending => "processing",
            MessageState::Failed => "bounced",
            MessageState::Expired => "notSent",
            MessageState::Sent | MessageState::Delivered => "delivered",
        };
        if !want(slot) {
            continue;
        }
        match slot {
            "scheduled" => out.scheduled += s.count,
            "processing" => out.processing += s.count,
            "bounced" => out.bounced += s.count,
            "notSent" => {
                out.not_sent += s.count;
                out.not_sent_tests += s.count;
            }
            _ => out.delivered += s.count,
        }
    }
    Ok(Json(out))
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    crate::kit::form::Fields::from_query(Some(q)).0
}
