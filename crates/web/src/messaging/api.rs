//! The outbox's API under `/api/v1`: sending one SMS and following a
//! message or a batch.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiResult};
use crate::kit::openapi::text;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use diwan_domain::messaging::{Kind, State as MessageState};
use diwan_services::messaging::{BulkForm, SendForm};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The outbox routes, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/messages", post(send_message))
        .route("/messages/{id}", get(get_message))
        .route("/message-batches", post(send_batch))
        .route("/message-batches/{id}", get(get_batch))
}

/// The outbox paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(send_message, get_message, send_batch, get_batch))]
pub struct MessagingDoc;

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: Uuid,
    pub batch_id: Option<Uuid>,
    #[schema(schema_with = channel_schema)]
    pub channel: String,
    #[schema(schema_with = kind_out_schema)]
    pub kind: String,
    /// E.164 number or e-mail address.
    pub recipient: String,
    pub subject: Option<String>,
    pub text: String,
    /// Parts the network bills.
    pub parts: i32,
    #[schema(schema_with = state_schema)]
    pub state: String,
    pub attempts: i32,
    /// Why the last attempt failed, or why the message failed for good.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl From<diwan_store::OutboxMessage> for MessageDto {
    fn from(m: diwan_store::OutboxMessage) -> Self {
        MessageDto {
            id: m.id,
            batch_id: m.batch_id,
            channel: m.channel.as_str().into(),
            kind: m.kind.as_str().into(),
            recipient: m.recipient,
            subject: m.subject,
            text: m.body,
            parts: m.parts,
            state: m.state.as_str().into(),
            attempts: m.attempts,
            error: m.error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            delivered_at: m.delivered_at,
            expires_at: m.expires_at,
        }
    }
}

fn channel_schema() -> Object {
    text::one_of(["sms", "email"], "How the message travels.")
}

fn kind_out_schema() -> Object {
    text::one_of(
        Kind::ALL.map(Kind::as_str),
        "Bulk messages are not sent to those who opted out; transactional ones are.",
    )
}

fn state_schema() -> Object {
    text::one_of(
        MessageState::ALL.map(MessageState::as_str),
        "queued, sending (a worker holds it), sent (the gateway took it), delivered, failed or expired.",
    )
}

/// One SMS or e-mail to send.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageRequest {
    #[schema(schema_with = channel_in_schema)]
    pub channel: Option<String>,
    #[schema(schema_with = to_schema)]
    pub to: String,
    /// An e-mail's subject (required for e-mail, at most 200 characters on
    /// one line).
    pub subject: Option<String>,
    /// The text; not given when a template is.
    #[serde(default)]
    #[schema(schema_with = text_schema)]
    pub text: String,
    #[schema(schema_with = kind_schema)]
    pub kind: Option<Kind>,
    /// A template to send instead of the text: in the language given, or
    /// else the recipient's as the registry knows it, or else Arabic. Its
    /// kind is the message's unless `kind` is given.
    pub template_id: Option<Uuid>,
    /// A value for each of the template's placeholders.
    pub values: Option<BTreeMap<String, String>>,
    #[schema(schema_with = language_schema)]
    pub language: Option<diwan_domain::persons::Language>,
}

fn language_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            diwan_domain::persons::Language::ALL
                .map(|l| serde_json::Value::from(l.as_str()))
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .description(Some(
            "The language it is written in (an e-mail's direction follows it); ar when the text has Arabic letters, en otherwise, when absent.",
        ))
        .build()
}

fn channel_in_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            ["sms", "email"]
                .map(serde_json::Value::from)
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .description(Some("sms when absent."))
        .build()
}

fn to_schema() -> Object {
    let mobile = crate::persons::api::mobile_pattern();
    let (b, s) = (text::blank(), text::SPACE);
    let email = format!("^{b}*[^{s}@]+@[^{s}@.]+(?:\\.[^{s}@.]+)+{b}*{}", text::END);
    text::matching(
        format!("(?:{mobile})|(?:{email})"),
        "A mobile number as people type it (a Libyan one without its country code) for an SMS, an e-mail address for an e-mail.",
    )
}

fn text_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(format!("[^{}]", text::SPACE)))
        .max_length(Some(20_000))
        .description(Some(
            "The text. An SMS goes as GSM-7 when every character allows, UCS-2 otherwise, in at most 10 parts (670 UCS-2 units).",
        ))
        .build()
}

pub(super) fn kind_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            Kind::ALL
                .map(|k| serde_json::Value::from(k.as_str()))
                .into_iter()
                .chain([serde_json::Value::Null]),
        ))
        .description(Some("bulk when absent."))
        .build()
}

/// Queues one SMS or e-mail on behalf of the caller's organization
/// (administrators and a municipality's head); the outbox's worker sends
/// it. An SMS must take at most ten parts; an e-mail needs a subject and
/// takes at most 20,000 characters.
#[utoipa::path(post, path = "/api/v1/messages", tag = "messaging", request_body = MessageRequest, responses(
    (status = 201, body = MessageDto, links(("GetMessage" = (operation_id = "get_message", parameters(("id" = "$response.body#/id")), description = "The message and how it fared.")))),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn send_message(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<MessageRequest>,
) -> Result<(StatusCode, Json<MessageDto>), ApiError> {
    let m = state
        .services
        .send_message(
            &c,
            SendForm {
                channel: r.channel,
                to: r.to,
                subject: r.subject,
                text: r.text,
                kind: r.kind.map(|k| k.as_str().to_owned()),
                language: r.language.map(|l| l.as_str().to_owned()),
                template_id: r.template_id,
                values: r.values.unwrap_or_default(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// One message and how it fared; another municipality's answers 404.
#[utoipa::path(get, path = "/api/v1/messages/{id}", tag = "messaging", params(("id" = Uuid, Path)), responses((status = 200, body = MessageDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_message(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<MessageDto> {
    Ok(Json(
        state.services.outbox_message(&c, id).await?.body.into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    pub id: Uuid,
    pub text: String,
    pub total: i64,
    pub created_at: DateTime<Utc>,
    /// Messages per state.
    pub states: Vec<StateCountDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StateCountDto {
    #[schema(schema_with = state_schema)]
    pub state: String,
    pub count: i64,
}

/// A bulk SMS to the registry's persons.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// The text; not given when a template is.
    #[serde(default)]
    #[schema(schema_with = text_schema)]
    pub text: String,
    /// A bulk template to send instead of the text, each person getting
    /// the text of their preferred language.
    pub template_id: Option<Uuid>,
    /// A value for each of the template's placeholders, the same for all.
    pub values: Option<BTreeMap<String, String>>,
    /// Residents of these municipalities; everyone when absent or empty (a
    /// municipality's head: his own residents, always).
    pub municipalities: Option<Vec<Uuid>>,
}

/// Queues one SMS to every person of the audience with a mobile number
/// who has not opted out of bulk messages (administrators, and a
/// municipality's head for his own residents). The municipalities must be
/// existing ones, and the text take at most ten parts.
#[utoipa::path(post, path = "/api/v1/message-batches", tag = "messaging", request_body = BatchRequest, responses(
    (status = 201, body = BatchDto, links(("GetBatch" = (operation_id = "get_batch", parameters(("id" = "$response.body#/id")), description = "The batch and its progress.")))),
    (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn send_batch(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<BatchRequest>,
) -> Result<(StatusCode, Json<BatchDto>), ApiError> {
    let b = state
        .services
        .send_bulk(
            &c,
            BulkForm {
                text: r.text,
                template_id: r.template_id,
                values: r.values.unwrap_or_default(),
                municipalities: r.municipalities.unwrap_or_default(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(BatchDto {
            id: b.id,
            text: b.body,
            total: b.total,
            created_at: b.created_at,
            states: vec![StateCountDto {
                state: MessageState::Queued.as_str().into(),
                count: b.total,
            }],
        }),
    ))
}

/// A batch of messages and how many are in each state.
#[utoipa::path(get, path = "/api/v1/message-batches/{id}", tag = "messaging", params(("id" = Uuid, Path)), responses((status = 200, body = BatchDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_batch(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<BatchDto> {
    let v = state.services.message_batch(&c, id).await?.body;
    Ok(Json(BatchDto {
        id: v.batch.id,
        text: v.batch.body,
        total: v.batch.total,
        created_at: v.batch.created_at,
        states: v
            .counts
            .into_iter()
            .map(|c| StateCountDto {
                state: c.state.as_str().into(),
                count: c.count,
            })
            .collect(),
    }))
}
