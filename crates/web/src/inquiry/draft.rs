//! What an inquiry's manager does to it before it is sent, on its page:
//! `POST /inquiries/{id}/list` (its audience as an uploaded or pasted list
//! of national numbers and mobile numbers, or the list removed) and
//! `POST /inquiries/{id}/test` (its questions sent to a few staff numbers).

use super::pages::{show_page, TestForm};
use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::{read_multipart, Fields};
use crate::kit::page::{
    check_csrf, chrome, finish, frame_only, path_id, render, see_other, signed_in, Chrome, Fail,
    PageResult,
};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::ErrorCode;

pub struct RefusedRow {
    pub line: usize,
    pub content: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "inquiry/list_report.html")]
struct ReportPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    title: String,
    href: String,
    saved: bool,
    lines: usize,
    persons: i64,
    refused: usize,
    rows: Vec<RefusedRow>,
}

/// `POST /inquiries/{id}/list` (multipart: `action` `use` with `file` or
/// `text`, or `remove`): a list kept shows its report; one that named
/// nobody shows its report with nothing kept.
pub async fn list(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let r = list_inner(&ctx, &state, &id, mp.ok()).await;
    finish(&ctx, &state, r).await
}

async fn list_inner(
    ctx: &PageCtx,
    state: &AppState,
    id: &str,
    mp: Option<Multipart>,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let form = read_multipart(mp).await;
    check_csrf(ctx, form.fields.get("csrf"))?;
    if form.too_large {
        return Err(Fail::Page(ErrorCode::PayloadTooLarge));
    }
    if form.broken {
        return Err(Fail::Page(ErrorCode::InvalidInput));
    }
    if form.fields.get("action") == "remove" {
        state.services.set_inquiry_list(caller, id, None).await?;
        return Ok(see_other(&format!("/inquiries/{id}?done=list_remove")));
    }
    // The file when one was chosen, or else the pasted numbers; a file that
    // is not text is read as far as it is.
    let text = match &form.file {
        Some(f) if !f.data.is_empty() => String::from_utf8_lossy(&f.data).into_owned(),
        _ => form.fields.get("text").to_owned(),
    };
    let report = state
        .services
        .set_inquiry_list(caller, id, Some(&text))
        .await?;
    let frame = frame_only(ctx, state).await;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let rows = report
        .first_refused
        .iter()
        .map(|r| RefusedRow {
            line: r.line,
            content: r.content.clone(),
            reason: tr.t(r.reason.key()),
        })
        .collect();
    Ok(render(&ReportPage {
        title: report.inquiry.title.clone(),
        href: format!("/inquiries/{id}"),
        saved: report.saved,
        lines: report.lines,
        persons: report.persons,
        refused: report.refused,
        rows,
        tr,
        user,
        csrf,
        path,
    }))
}

/// `POST /inquiries/{id}/test` (`numbers`): queues the test and says so;
/// a mistake shows the inquiry's page again with the form as it was sent.
pub async fn test(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let id = path_id(&id)?;
        let f = Fields::parse(&body);
        check_csrf(&ctx, f.get("csrf"))?;
        let numbers = f.get("numbers").to_owned();
        match state.services.test_inquiry(caller, id, &numbers).await {
            Ok(_) => Ok(see_other(&format!("/inquiries/{id}?done=test&auto=0"))),
            Err(e) if matches!(e.code(), ErrorCode::InvalidInput) => {
                let reason = match &e {
                    diwan_services::Error::Domain(d) => d.details.first().map(|(_, r)| r.key()),
                    _ => None,
                };
                let test = TestForm {
                    numbers,
                    error: reason.unwrap_or("field-invalid"),
                };
                show_page(
                    &ctx,
                    &state,
                    id,
                    &Fields(Vec::new()),
                    test,
                    status_of(e.code()),
                )
                .await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    finish(&ctx, &state, r).await
}
