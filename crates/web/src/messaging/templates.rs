//! Message templates on pages (`/messages/templates`): written per
//! language with named placeholders, previewed with their samples before
//! they are saved. Their API is in `templates_api`.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
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
use bytes::Bytes;
use diwan_domain::ErrorCode;
use diwan_services::messaging::{Rendered, TemplateForm};
use diwan_store::MessageTemplate;
use std::collections::BTreeMap;
use uuid::Uuid;

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
