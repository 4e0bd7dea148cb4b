//! The forms of the case page: a move along the workflow (with its file),
//! a message or an internal note, an attachment, a draft's edit, and the
//! download of an attachment.

use super::case::{case_page, Extra};
use crate::kit::auth::PageCtx;
use crate::kit::extract::PagePath;
use crate::kit::form::{read_multipart, Fields};
use crate::kit::page::{
    check_csrf, finish, path_id, pct, see_other, signed_in, Fail, FieldErrors, PageResult,
};
use crate::AppState;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::cases::Move;
use uuid::Uuid;

fn form_uuid(f: &Fields, name: &str, errors: &mut FieldErrors) -> Option<Uuid> {
    let v = f.opt(name)?;
    match Uuid::try_parse(v) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(name, Reason::FieldInvalid);
            None
        }
    }
}

/// `POST /cases/{id}/transitions` (multipart: action, department_id,
/// assignee_id, message, file).
pub async fn transition(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let r = transition_inner(&ctx, &state, &id, mp.ok()).await;
    finish(&ctx, &state, r).await
}

async fn transition_inner(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    mp: Option<Multipart>,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let form = read_multipart(mp).await;
    check_csrf(ctx, form.fields.get("csrf"))?;
    if form.broken {
        return Err(Fail::Page(ErrorCode::InvalidInput));
    }
    let f = &form.fields;
    let action = f.get("action").trim().to_owned();
    let form_name = format!("action:{action}");
    let mut errors = FieldErrors::default();
    let department_id = form_uuid(f, "department_id", &mut errors);
    let assignee_id = form_uuid(f, "assignee_id", &mut errors);
    let message = f.opt("message").map(|_| f.get("message").to_owned());
    let typed = |mut extra: Extra| {
        extra.message = f.get("message").to_owned();
        extra.department = f.get("department_id").trim().to_owned();
        extra.assignee = f.get("assignee_id").trim().to_owned();
        extra
    };
    if !errors.is_empty() {
        let extra = typed(Extra::invalid(
            ctx,
            &form_name,
            errors,
            ErrorCode::InvalidInput,
        ));
        return case_page(ctx, state, caller, id, extra).await;
    }
    // The move and its file are saved together, or neither is.
    let mv = Move {
        action: action.clone(),
        department_id,
        assignee_id,
        message,
        file: form.upload(),
    };
    if let Err(e) = state.services.transition(caller, id, mv).await {
        if e.code() == ErrorCode::NotFound {
            return Err(e.into());
        }
        return case_page(
            ctx,
            state,
            caller,
            id,
            typed(Extra::failed(ctx, &form_name, &e)),
        )
        .await;
    }
    Ok(see_other(&format!("/cases/{id}")))
}

/// `POST /cases/{id}/messages` (body, internal=0|1).
pub async fn message(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = message_inner(&ctx, &state, &id, body).await;
    finish(&ctx, &state, r).await
}

async fn message_inner(ctx: &PageCtx, state: &AppState, id: &str, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let internal = f.get("internal") == "1";
    let text = f.get("body").to_owned();
    let form = if internal { "note" } else { "message" };
    if let Err(e) = state
        .services
        .post_message(caller, id, &text, internal)
        .await
    {
        if e.code() == ErrorCode::NotFound {
            return Err(e.into());
        }
        let mut extra = Extra::failed(ctx, form, &e);
        extra.message = text;
        return case_page(ctx, state, caller, id, extra).await;
    }
    Ok(see_other(&format!("/cases/{id}")))
}

/// `POST /cases/{id}/attachments` (multipart: file, internal).
pub async fn attach(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let r = attach_inner(&ctx, &state, &id, mp.ok()).await;
    finish(&ctx, &state, r).await
}

async fn attach_inner(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    mp: Option<Multipart>,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let form = read_multipart(mp).await;
    check_csrf(ctx, form.fields.get("csrf"))?;
    if form.broken {
        return Err(Fail::Page(ErrorCode::InvalidInput));
    }
    let Some(up) = form.upload() else {
        let mut errors = FieldErrors::default();
        errors.add("file", Reason::FieldRequired);
        let extra = Extra::invalid(ctx, "attach", errors, ErrorCode::InvalidInput);
        return case_page(ctx, state, caller, id, extra).await;
    };
    let internal = form.fields.checked("internal");
    if let Err(e) = state
        .services
        .add_attachment(caller, id, up, internal)
        .await
    {
        if e.code() == ErrorCode::NotFound {
            return Err(e.into());
        }
        return case_page(ctx, state, caller, id, Extra::failed(ctx, "attach", &e)).await;
    }
    Ok(see_other(&format!("/cases/{id}")))
}

/// `POST /cases/{id}/edit` (subject, body) for a draft.
pub async fn edit(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = edit_inner(&ctx, &state, &id, body).await;
    finish(&ctx, &state, r).await
}

async fn edit_inner(ctx: &PageCtx, state: &AppState, id: &str, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let (subject, text) = (f.get("subject").to_owned(), f.get("body").to_owned());
    if let Err(e) = state
        .services
        .update_draft(caller, id, &subject, &text, None)
        .await
    {
        if e.code() == ErrorCode::NotFound {
            return Err(e.into());
        }
        let mut extra = Extra::failed(ctx, "edit", &e);
        extra.subject = subject;
        extra.body = text;
        return case_page(ctx, state, caller, id, extra).await;
    }
    Ok(see_other(&format!("/cases/{id}")))
}

/// `GET /attachments/{id}`: the file, as a download.
pub async fn download(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
) -> Response {
    let r = download_inner(&ctx, &state, &id).await;
    finish(&ctx, &state, r).await
}

async fn download_inner(ctx: &PageCtx, state: &AppState, id: &str) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let (a, got) = state.services.open_attachment(caller, id).await?;
    let mut res = Body::from_stream(got.into_stream()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    let disposition = format!("attachment; filename*=UTF-8''{}", pct(&a.filename));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}
