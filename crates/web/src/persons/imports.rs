//! Imports of persons from CSV files: the API (`/api/v1/persons/imports`)
//! and the pages (`/persons/imports`), which share the download of the
//! lines an import refused.

use crate::i18n::Tr;
use crate::kit::auth::{ApiCaller, NavUser, PageCtx};
use crate::kit::error::{ApiError, ErrorBody};
use crate::kit::extract::{ApiPath, ApiQuery, ApiResult, PagePath};
use crate::kit::form::Fields;
use crate::kit::page::{
    chrome, file_size, finish, frame_only, path_id, pct, render, render_status, see_other,
    signed_in, FieldErrors, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use diwan_domain::persons::IMPORT_FIELDS;
use diwan_domain::{ErrorCode, Reason};
use diwan_services::{Caller, Services};
use diwan_store::PersonImport;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The import routes of the API, relative to `/api/v1`.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/persons/imports", get(list_imports).post(start_import))
        .route("/persons/imports/{id}", get(get_import))
        .route("/persons/imports/{id}/rejected", get(rejected_api))
}

/// The import paths of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(list_imports, start_import, get_import, rejected_api))]
pub struct ImportsDoc;

/// The import pages.
pub fn page_routes() -> Routes {
    Routes::new()
        .get("/persons/imports", imports_page)
        .post("/persons/imports", upload)
        .get("/persons/imports/{id}", import_page)
        .get("/persons/imports/{id}/rejected.csv", rejected_page)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDto {
    pub id: Uuid,
    pub file_name: String,
    pub file_bytes: i64,
    /// queued, running, done or failed.
    pub state: String,
    /// What each column of the file holds (empty: not read).
    pub columns: Vec<String>,
    /// Bytes of the file read so far.
    pub bytes_read: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<PersonImport> for ImportDto {
    fn from(i: PersonImport) -> Self {
        ImportDto {
            id: i.id,
            file_name: i.file_name,
            file_bytes: i.file_bytes,
            state: i.state.as_str().into(),
            columns: i.columns,
            bytes_read: i.next_offset.min(i.file_bytes),
            created: i.created,
            updated: i.updated,
            unchanged: i.unchanged,
            rejected: i.rejected,
            error: i.error,
            created_at: i.created_at,
            started_at: i.started_at,
            finished_at: i.finished_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The file's name, to show beside the import.
    pub file_name: Option<String>,
}

/// The newest imports of the caller's organization (of all, for
/// administrators).
#[utoipa::path(get, path = "/api/v1/persons/imports", tag = "persons", responses((status = 200, body = Vec<ImportDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_imports(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
) -> ApiResult<Vec<ImportDto>> {
    let list = state.services.person_imports(&c).await?;
    Ok(Json(list.into_iter().map(ImportDto::from).collect()))
}

/// Queues the import of a CSV file of persons, sent as the request body
/// (`text/csv`, UTF-8 with or without a byte-order mark, comma or
/// semicolon). Its first line names the columns, in English or Arabic; it
/// must have the national number and the Arabic name, and may have the
/// Latin name, sex, date of birth, mobile numbers (several columns, or
/// several numbers in one cell), e-mail, municipality (code or name) and
/// language. Each line adds a person or corrects the one with its national
/// number; a blank cell keeps what the registry has. Lines are read after
/// the answer, by a worker: follow the import to see them counted.
#[utoipa::path(post, path = "/api/v1/persons/imports", tag = "persons", params(ImportParams),
    request_body(content = String, content_type = "text/csv", description = "The file."),
    responses(
        (status = 202, body = ImportDto, links(("GetImport" = (operation_id = "get_import", parameters(("id" = "$response.body#/id")), description = "How far the import got.")))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn start_import(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Body,
) -> Result<(StatusCode, Json<ImportDto>), ApiError> {
    let name = p
        .file_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "persons.csv".into());
    let i = state
        .services
        .start_person_import(&c, &name, body.into_data_stream())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(i.into())))
}

/// How far an import got.
#[utoipa::path(get, path = "/api/v1/persons/imports/{id}", tag = "persons", params(("id" = Uuid, Path)), responses((status = 200, body = ImportDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_import(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ImportDto> {
    Ok(Json(state.services.person_import(&c, id).await?.into()))
}

/// The lines an import refused, as CSV: the line's number, the reasons
/// (`field=reason` codes, space-separated) and the line as read.
#[utoipa::path(get, path = "/api/v1/persons/imports/{id}/rejected", tag = "persons", params(("id" = Uuid, Path)), responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rejected_api(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let i = state.services.person_import(&c, id).await?;
    Ok(rejected_csv((*state.services).clone(), c, i, None))
}

/// A CSV field, quoted when it must be. A field a spreadsheet would take
/// for a formula (starting with `=`, `+`, `-`, `@` or a control character)
/// gets an apostrophe before it, so that opening the file runs nothing.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// `field` (as [`csv_field`] makes it) always within quotes: a refused
/// line holds the file's own delimiters, which a spreadsheet set to split
/// on them would otherwise take for cells, a formula among them.
fn quoted(field: &str) -> String {
    if field.starts_with('"') {
        field.to_owned()
    } else {
        format!("\"{field}\"")
    }
}

/// The refused lines of `i`, streamed a page at a time; with `tr`, each
/// reason is said in its language.
fn rejected_csv(
    services: Services,
    caller: Caller,
    i: PersonImport,
    tr: Option<Tr<'static>>,
) -> Response {
    const PAGE: i64 = 1000;
    let head = match &tr {
        Some(tr) => format!(
            "\u{FEFF}{},{},{}\r\n",
            csv_field(&tr.t("import-line")),
            csv_field(&tr.t("import-reasons")),
            csv_field(&tr.t("import-content"))
        ),
        None => "line,reasons,content\r\n".to_owned(),
    };
    let id = i.id;
    let pages = futures::stream::unfold(Some(0i64), move |after| {
        let (services, caller, tr) = (services.clone(), caller.clone(), tr);
        async move {
            let after = after?;
            let rows = match services.import_rejections(&caller, id, after, PAGE).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "reading an import's refused lines");
                    return Some((Err(std::io::Error::other("refused lines unreadable")), None));
                }
            };
            if rows.is_empty() {
                return None;
            }
            let next = (rows.len() as i64 == PAGE)
                .then(|| rows.last().map(|r| r.line))
                .flatten();
            let mut out = String::new();
            for r in &rows {
                let reasons = match &tr {
                    None => r.reasons.clone(),
                    Some(tr) => r
                        .reasons
                        .split_whitespace()
                        .map(|pair| {
                            let (field, reason) = pair.split_once('=').unwrap_or(("", pair));
                            let reason = Reason::ALL
                                .iter()
                                .find(|x| x.key() == reason)
                                .map(|x| tr.t(x.key()))
                                .unwrap_or_else(|| tr.t("field-invalid"));
                            format!("{field}: {reason}")
                        })
                        .collect::<Vec<_>>()
                        .join(" | "),
                };
                out.push_str(&format!(
                    "{},{},{}\r\n",
                    r.line,
                    csv_field(&reasons),
                    quoted(&csv_field(&r.content))
                ));
            }
            Some((Ok(bytes::Bytes::from(out)), next))
        }
    });
    let body = futures::stream::once(async move { Ok(bytes::Bytes::from(head)) }).chain(pages);
    let mut res = Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!(
        "attachment; filename*=UTF-8''{}",
        pct(&format!("rejected-{}", i.file_name))
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

pub struct ImportRow {
    pub href: String,
    pub file_name: String,
    pub state: String,
    pub at: String,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "persons/imports.html")]
struct ImportsPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    rows: Vec<ImportRow>,
    columns: String,
    error: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "persons/import.html")]
struct ImportPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    file_name: String,
    state: String,
    percent: i64,
    bytes: String,
    created: i64,
    updated: i64,
    unchanged: i64,
    rejected: i64,
    error: String,
    rejected_href: String,
    /// The page reloads itself.
    auto: bool,
    href: String,
}

fn counts(tr: &Tr<'static>, i: &PersonImport) -> String {
    tr.t_args(
        "import-counts",
        &[
            ("created", i.created.into()),
            ("updated", i.updated.into()),
            ("unchanged", i.unchanged.into()),
            ("rejected", i.rejected.into()),
        ],
    )
}

async fn list_page(
    ctx: &PageCtx,
    state: &AppState,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let list = state.services.person_imports(caller).await?;
    let frame = frame_only(ctx, state).await;
    let c = chrome(ctx, &frame);
    let tz = frame
        .orgs
        .iter()
        .find(|o| o.id == caller.org_id)
        .map(|o| o.time_zone.clone())
        .unwrap_or_default();
    let rows = list
        .iter()
        .map(|i| ImportRow {
            href: format!("/persons/imports/{}", i.id),
            file_name: i.file_name.clone(),
            state: c.tr.t_code("import-state-", i.state.as_str()),
            at: c.tr.datetime(i.created_at, &tz),
            counts: counts(&c.tr, i),
        })
        .collect();
    let columns = IMPORT_FIELDS
        .iter()
        .map(|f| c.tr.t(&format!("import-column-{}", f.replace('_', "-"))))
        .collect::<Vec<_>>()
        .join("، ");
    Ok(render_status(
        status,
        &ImportsPage {
            tr: c.tr,
            user: c.user,
            csrf: c.csrf,
            path: c.path,
            rows,
            columns,
            error,
            errors,
        },
    ))
}

/// `GET /persons/imports`.
pub async fn imports_page(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = list_page(
        &ctx,
        &state,
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await;
    finish(&ctx, &state, r).await
}

/// `POST /persons/imports`: the file (multipart, its token first),
/// streamed to the file store; answers with the import's page.
pub async fn upload(ctx: PageCtx, State(state): State<AppState>, req: Request) -> Response {
    let r = upload_inner(&ctx, &state, req).await;
    finish(&ctx, &state, r).await
}

async fn upload_inner(ctx: &PageCtx, state: &AppState, req: Request) -> PageResult {
    let caller = signed_in(ctx)?;
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or(ErrorCode::InvalidInput)?;
    let mut mp = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
    let outcome = loop {
        match mp.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("persons.csv").to_owned();
                break state
                    .services
                    .start_person_import(caller, &name, field)
                    .await;
            }
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => {
                break Err(diwan_services::Error::invalid(
                    "file",
                    Reason::FieldRequired,
                ))
            }
        }
    };
    match outcome {
        Ok(i) => Ok(see_other(&format!("/persons/imports/{}", i.id))),
        Err(e) if e.code() == ErrorCode::Internal || e.code() == ErrorCode::Forbidden => {
            Err(e.into())
        }
        Err(e) => {
            let tr = ctx.tr();
            let (error, errors) = crate::kit::page::form_failure(&tr, &e);
            list_page(
                ctx,
                state,
                error,
                errors,
                crate::kit::error::status_of(e.code()),
            )
            .await
        }
    }
}

/// How often the page of a running import reloads itself, in seconds.
const REFRESH_SECS: &str = "3";

/// `GET /persons/imports/{id}`: how far it got, reloaded by the browser
/// every few seconds while it runs (no script needed), unless `?auto=0`.
pub async fn import_page(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    RawQuery(q): RawQuery,
) -> Response {
    let auto = Fields::from_query(q.as_deref()).get("auto") != "0";
    let r = import_inner(&ctx, &state, &id, auto).await;
    finish(&ctx, &state, r).await
}

async fn import_inner(ctx: &PageCtx, state: &AppState, id: &str, auto: bool) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let i = state.services.person_import(caller, id).await?;
    let frame = frame_only(ctx, state).await;
    let c = chrome(ctx, &frame);
    let total = i.file_bytes.max(1);
    let read = i.next_offset.min(i.file_bytes);
    let running = matches!(
        i.state,
        diwan_store::ImportState::Queued | diwan_store::ImportState::Running
    );
    let page = ImportPage {
        file_name: i.file_name.clone(),
        state: c.tr.t_code("import-state-", i.state.as_str()),
        percent: if running { read * 100 / total } else { 100 },
        bytes: c.tr.t_args(
            "import-bytes",
            &[
                ("read", file_size(&c.tr, read).into()),
                ("total", file_size(&c.tr, i.file_bytes).into()),
            ],
        ),
        created: i.created,
        updated: i.updated,
        unchanged: i.unchanged,
        rejected: i.rejected,
        error: i.error.clone().unwrap_or_default(),
        rejected_href: format!("/persons/imports/{}/rejected.csv", i.id),
        auto: running && auto,
        href: format!("/persons/imports/{}", i.id),
        tr: c.tr,
        user: c.user,
        csrf: c.csrf,
        path: c.path,
    };
    let mut res = render(&page);
    if running && auto {
        res.headers_mut()
            .insert(header::REFRESH, HeaderValue::from_static(REFRESH_SECS));
    }
    Ok(res)
}

/// `GET /persons/imports/{id}/rejected.csv`, the reasons in the page's
/// language.
pub async fn rejected_page(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
) -> Response {
    let r = async {
        let caller = signed_in(&ctx)?;
        let id = path_id(&id)?;
        let i = state.services.person_import(caller, id).await?;
        Ok(rejected_csv(
            (*state.services).clone(),
            caller.clone(),
            i,
            Some(ctx.tr()),
        ))
    }
    .await;
    finish(&ctx, &state, r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(csv_field("abc"), "abc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+218912345678"), "'+218912345678");
    }
}
