//! Message templates in the API (`/api/v1/message-templates`): listed,
//! read, previewed with their samples, saved and replaced.

use crate::kit::auth::ApiCaller;
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use diwan_domain::messaging::Kind;
use diwan_services::messaging::{Rendered, TemplateForm};
use diwan_store::MessageTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

/// The templates' API routes, relative to `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/message-templates",
            get(list_templates).post(create_template),
        )
        .route("/message-templates/preview", post(preview_template))
        .route(
            "/message-templates/{id}",
            get(get_template).put(update_template),
        )
}

/// The templates' paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(
    list_templates,
    create_template,
    preview_template,
    get_template,
    update_template
))]
pub struct TemplatesDoc;

/// A template as it is written.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateRequest {
    /// Unique among the organization's templates, at most 100 characters.
    #[serde(default)]
    pub name: String,
    /// `bulk` (the default) or `transactional` (administrators only).
    #[schema(schema_with = super::api::kind_schema)]
    pub kind: Option<Kind>,
    /// The Arabic text, required. Placeholders are names of small Latin
    /// letters, digits and `_` in braces (`{code}`); `{{` and `}}` stand for
    /// a brace. At most 670 characters.
    #[serde(default)]
    pub text_ar: String,
    /// The English text, with the same placeholders; the Arabic is sent to
    /// English speakers when absent.
    pub text_en: Option<String>,
    /// The French text, likewise.
    pub text_fr: Option<String>,
    /// A sample value for each placeholder, for previews.
    #[serde(default)]
    pub samples: BTreeMap<String, String>,
}

impl From<TemplateRequest> for TemplateForm {
    fn from(r: TemplateRequest) -> Self {
        TemplateForm {
            name: r.name,
            kind: r.kind.map(|k| k.as_str().to_owned()),
            text_ar: r.text_ar,
            text_en: r.text_en,
            text_fr: r.text_fr,
            samples: r.samples,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub kind: String,
    pub text_ar: String,
    pub text_en: Option<String>,
    pub text_fr: Option<String>,
    /// In the order the Arabic text uses them.
    pub placeholders: Vec<String>,
    pub samples: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<MessageTemplate> for TemplateDto {
    fn from(t: MessageTemplate) -> Self {
        let d = t.template;
        TemplateDto {
            id: t.id,
            org_id: t.org_id,
            name: d.name,
            kind: d.kind.as_str().into(),
            text_ar: d.texts.ar,
            text_en: d.texts.en,
            text_fr: d.texts.fr,
            placeholders: d.placeholders,
            samples: d.samples,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// One language of a template filled with its samples.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedDto {
    pub language: String,
    pub text: String,
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    pub characters: usize,
    pub parts: usize,
}

impl From<&Rendered> for RenderedDto {
    fn from(r: &Rendered) -> Self {
        RenderedDto {
            language: r.language.as_str().into(),
            text: r.text.clone(),
            encoding: r.count.encoding.as_str().into(),
            characters: r.count.characters,
            parts: r.count.parts,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateDto>,
}

/// The message templates the caller may use (administrators and auditors
/// every organization's, a municipality's head his own), by name.
#[utoipa::path(get, path = "/api/v1/message-templates", tag = "messaging", responses((status = 200, body = TemplateList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_templates(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<TemplateList> {
    let list = state.services.message_templates(&c).await?.body;
    Ok(Json(TemplateList {
        items: list.into_iter().map(Into::into).collect(),
    }))
}

/// Checks a template and fills each of its languages with its samples,
/// without keeping it.
#[utoipa::path(post, path = "/api/v1/message-templates/preview", tag = "messaging", request_body = TemplateRequest, responses((status = 200, body = Vec<RenderedDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<TemplateRequest>,
) -> ApiResult<Vec<RenderedDto>> {
    let p = state.services.preview_template(&c, r.into())?;
    Ok(Json(p.rendered.iter().map(Into::into).collect()))
}

/// Saves a new template of the caller's organization (administrators and
/// a municipality's head).
#[utoipa::path(post, path = "/api/v1/message-templates", tag = "messaging", request_body = TemplateRequest, responses((status = 201, body = TemplateDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_template(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(r): ApiJson<TemplateRequest>,
) -> Result<(StatusCode, Json<TemplateDto>), ApiError> {
    let t = state.services.save_template(&c, None, r.into()).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// One template; another municipality's answers 404.
#[utoipa::path(get, path = "/api/v1/message-templates/{id}", tag = "messaging", params(("id" = Uuid, Path)), responses((status = 200, body = TemplateDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_template(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<TemplateDto> {
    Ok(Json(
        state.services.message_template(&c, id).await?.body.into(),
    ))
}

/// Replaces a template's texts; what it said before is kept in the audit
/// log, and messages already queued keep the text they were queued with.
#[utoipa::path(put, path = "/api/v1/message-templates/{id}", tag = "messaging", params(("id" = Uuid, Path)), request_body = TemplateRequest, responses((status = 200, body = TemplateDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_template(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<TemplateRequest>,
) -> ApiResult<TemplateDto> {
    Ok(Json(
        state
            .services
            .save_template(&c, Some(id), r.into())
            .await?
            .into(),
    ))
}
