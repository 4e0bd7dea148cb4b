//! Message templates, in the API (`/api/v1/message-templates`) and on
//! pages (`/messages/templates`): written per language with named
//! placeholders, previewed with their samples before they are saved.

use crate::i18n::Tr;
use crate::kit::auth::{ApiCaller, NavUser, PageCtx};
use crate::kit::error::{status_of, ApiError, ErrorBody};
use crate::kit::extract::{ApiJson, ApiPath, ApiResult, PagePath};
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, frame_only, path_id, render, render_status,
    see_other, signed_in, Chrome, FieldErrors, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::Kind;
use diwan_domain::ErrorCode;
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

// ---- Pages ----

/// The templates' pages.
pub fn page_routes() -> Routes {
    Routes::new()
        .get("/messages/templates", list_page)
        .get("/messages/templates/new", new_page)
        .post("/messages/templates/new", save_new)
        .get("/messages/templates/{id}", edit_page)
        .post("/messages/templates/{id}", save_edit)
}

/// Reads `name = value` lines (samples, values of placeholders); a line
/// without `=` is refused at `field`.
pub fn read_pairs(text: &str, field: &str, errors: &mut FieldErrors) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.insert(k.trim().to_owned(), v.trim().to_owned());
            }
            _ => errors.add(field, diwan_domain::Reason::TemplatePlaceholderInvalid),
        }
    }
    out
}

/// `name = value` lines of `pairs`, for a textarea.
pub fn write_pairs(pairs: &BTreeMap<String, String>) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub struct TemplateRow {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub languages: String,
    pub placeholders: String,
}

#[derive(Template)]
#[template(path = "messaging/templates.html")]
struct ListPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    rows: Vec<TemplateRow>,
    may_write: bool,
    saved: bool,
}

pub struct RenderedView {
    pub language: String,
    pub code: &'static str,
    pub dir: &'static str,
    pub text: String,
    pub encoding: String,
    pub characters: usize,
    pub parts: usize,
}

impl RenderedView {
    pub fn of(tr: &Tr<'static>, r: &Rendered) -> Self {
        RenderedView {
            language: tr.t_code("language-", r.language.as_str()),
            code: r.language.as_str(),
            dir: if r.language == diwan_domain::persons::Language::Ar {
                "rtl"
            } else {
                "ltr"
            },
            text: r.text.clone(),
            encoding: tr.t_code("encoding-", r.count.encoding.as_str()),
            characters: r.count.characters,
            parts: r.count.parts,
        }
    }
}

#[derive(Template)]
#[template(path = "messaging/template_form.html")]
struct FormPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    action: String,
    editing: bool,
    name: String,
    transactional: bool,
    may_transactional: bool,
    text_ar: String,
    text_en: String,
    text_fr: String,
    samples: String,
    preview: Vec<RenderedView>,
    error: String,
    errors: FieldErrors,
}

fn may_write(user: &Option<NavUser>) -> bool {
    user.as_ref()
        .is_some_and(|u| u.may_message && !u.is_auditor && (u.is_admin || u.is_municipal))
}

/// `GET /messages/templates`.
pub async fn list_page(
    ctx: PageCtx,
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = list_inner(&ctx, &state, q.unwrap_or_default()).await;
    finish(&ctx, &state, r).await
}

async fn list_inner(ctx: &PageCtx, state: &AppState, q: String) -> PageResult {
    let caller = signed_in(ctx)?;
    let shown = state.services.message_templates(caller).await?;
    let c = chrome(ctx, &shown.frame);
    let tr = c.tr;
    let rows = shown
        .body
        .iter()
        .map(|t| {
            let d = &t.template;
            TemplateRow {
                href: format!("/messages/templates/{}", t.id),
                name: d.name.clone(),
                kind: tr.t_code("message-kind-", d.kind.as_str()),
                languages: d
                    .texts
                    .written()
                    .iter()
                    .map(|(l, _)| tr.t_code("language-", l.as_str()))
                    .collect::<Vec<_>>()
                    .join("، "),
                placeholders: d.placeholders.join(", "),
            }
        })
        .collect();
    let may_write = may_write(&c.user);
    Ok(render(&ListPage {
        tr,
        user: c.user,
        csrf: c.csrf,
        path: c.path,
        rows,
        may_write,
        saved: Fields::parse(q.as_bytes()).get("done") == "saved",
    }))
}

struct Typed {
    form: TemplateForm,
    samples: String,
}

impl Typed {
    fn read(f: &Fields, errors: &mut FieldErrors) -> Typed {
        let samples = f.get("samples").to_owned();
        let opt = |k: &str| Some(f.get(k).to_owned()).filter(|t| !t.trim().is_empty());
        Typed {
            form: TemplateForm {
                name: f.get("name").to_owned(),
                kind: opt("kind"),
                text_ar: f.get("text_ar").to_owned(),
                text_en: opt("text_en"),
                text_fr: opt("text_fr"),
                samples: read_pairs(&samples, "samples", errors),
            },
            samples,
        }
    }

    fn of(t: &MessageTemplate) -> Typed {
        let d = &t.template;
        Typed {
            form: TemplateForm {
                name: d.name.clone(),
                kind: Some(d.kind.as_str().into()),
                text_ar: d.texts.ar.clone(),
                text_en: d.texts.en.clone(),
                text_fr: d.texts.fr.clone(),
                samples: d.samples.clone(),
            },
            samples: write_pairs(&d.samples),
        }
    }
}

fn form_page(
    c: Chrome,
    id: Option<Uuid>,
    typed: &Typed,
    preview: &[Rendered],
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = c;
    let f = &typed.form;
    let may_transactional = user.as_ref().is_some_and(|u| u.is_admin);
    let preview = preview.iter().map(|r| RenderedView::of(&tr, r)).collect();
    render_status(
        status,
        &FormPage {
            tr,
            user,
            csrf,
            path,
            action: id.map_or_else(
                || "/messages/templates/new".to_owned(),
                |id| format!("/messages/templates/{id}"),
            ),
            editing: id.is_some(),
            name: f.name.clone(),
            transactional: f.kind.as_deref() == Some("transactional"),
            may_transactional,
            text_ar: f.text_ar.clone(),
            text_en: f.text_en.clone().unwrap_or_default(),
            text_fr: f.text_fr.clone().unwrap_or_default(),
            samples: typed.samples.clone(),
            preview,
            error,
            errors,
        },
    )
}

/// `GET /messages/templates/new`.
pub async fn new_page(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = async {
        signed_in(&ctx)?;
        let frame = frame_only(&ctx, &state).await;
        let c = chrome(&ctx, &frame);
        if !may_write(&c.user) {
            return Err(ErrorCode::NotFound.into());
        }
        let typed = Typed {
            form: TemplateForm::default(),
            samples: String::new(),
        };
        Ok(form_page(
            c,
            None,
            &typed,
            &[],
            String::new(),
            FieldErrors::default(),
            StatusCode::OK,
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

/// `GET /messages/templates/{id}`.
pub async fn edit_page(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let id = path_id(&id)?;
        let shown = state.services.message_template(caller, id).await?;
        let c = chrome(&ctx, &shown.frame);
        let typed = Typed::of(&shown.body);
        let preview = diwan_services::messaging::templates::render_all(
            &shown.body.template,
            &shown.body.template.samples,
        )
        .unwrap_or_default();
        Ok(form_page(
            c,
            Some(id),
            &typed,
            &preview,
            String::new(),
            FieldErrors::default(),
            StatusCode::OK,
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

/// `POST /messages/templates/new`.
pub async fn save_new(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = save_inner(&ctx, &state, None, body).await;
    finish(&ctx, &state, r).await
}

/// `POST /messages/templates/{id}`.
pub async fn save_edit(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = match path_id(&id) {
        Ok(id) => save_inner(&ctx, &state, Some(id), body).await,
        Err(e) => Err(e),
    };
    finish(&ctx, &state, r).await
}

/// `action=preview` checks the template and shows each language filled
/// with its samples; `action=save` keeps it.
async fn save_inner(ctx: &PageCtx, state: &AppState, id: Option<Uuid>, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let mut errors = FieldErrors::default();
    let typed = Typed::read(&f, &mut errors);
    let result = if !errors.is_empty() {
        Err(errors.into_error())
    } else if f.get("action") == "save" {
        match state
            .services
            .save_template(caller, id, typed.form.clone())
            .await
        {
            Ok(_) => return Ok(see_other("/messages/templates?done=saved")),
            Err(e) => Err(e),
        }
    } else {
        state
            .services
            .preview_template(caller, typed.form.clone())
            .map(|p| p.rendered)
    };
    let frame = frame_only(ctx, state).await;
    let c = chrome(ctx, &frame);
    match result {
        Ok(rendered) => Ok(form_page(
            c,
            id,
            &typed,
            &rendered,
            String::new(),
            FieldErrors::default(),
            StatusCode::OK,
        )),
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::Internal | ErrorCode::Forbidden | ErrorCode::NotFound
            ) =>
        {
            Err(e.into())
        }
        Err(e) => {
            let (error, errors) = form_failure(&c.tr, &e);
            Ok(form_page(
                c,
                id,
                &typed,
                &[],
                error,
                errors,
                status_of(e.code()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_read_one_per_line_and_refuse_a_line_without_equals() {
        let mut e = FieldErrors::default();
        let p = read_pairs("code = ١٢٣٤\n\n minutes=5 \n", "samples", &mut e);
        assert!(e.is_empty());
        assert_eq!(p["code"], "١٢٣٤");
        assert_eq!(p["minutes"], "5");
        assert_eq!(write_pairs(&p), "code = ١٢٣٤\nminutes = 5");
        read_pairs("just text", "samples", &mut e);
        assert!(e.has("samples"));
    }
}
