//! Filing: a municipality's new request (`/cases/new`) and a ministry
//! department's new internal memo (`/memos/new`).

use super::case::{self, Extra};
use super::form::{read_multipart, Fields, Upload};
use super::{
    check_csrf, chrome, finish, form_failure, render_status, see_other, signed_in, Chrome, Fail,
    FieldErrors, Opt, Orgs, PageResult,
};
use crate::auth::{NavUser, PageCtx};
use crate::error::status_of;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use diwan_domain::org::OrgKind;
use diwan_domain::{ErrorCode, Role};
use diwan_services::cases::NewCase;
use diwan_services::Caller;
use diwan_store::CaseType;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Memo,
}

impl Kind {
    fn workflow(self) -> &'static str {
        match self {
            Kind::Request => "municipal_request",
            Kind::Memo => "internal_memo",
        }
    }

    fn may_file(self, caller: &Caller) -> bool {
        match self {
            Kind::Request => caller.role.is_municipal(),
            Kind::Memo => matches!(caller.role, Role::Officer | Role::DepartmentHead),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/new_case.html")]
struct NewCasePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    memo: bool,
    action: &'static str,
    types: Vec<Opt>,
    departments: Vec<Opt>,
    subject: String,
    body: String,
    error: String,
    errors: FieldErrors,
    max_mb: usize,
}

impl NewCasePage {
    fn title_key(&self) -> &'static str {
        if self.memo {
            "new-memo-title"
        } else {
            "new-request-title"
        }
    }
}

/// What was typed, to show the form again.
#[derive(Default)]
struct Typed {
    case_type: String,
    department: String,
    subject: String,
    body: String,
}

fn allowed_types(types: Vec<CaseType>, kind: Kind) -> Vec<CaseType> {
    types
        .into_iter()
        .filter(|t| t.active && t.workflow == kind.workflow())
        .collect()
}

async fn form_page(
    ctx: &PageCtx,
    state: &AppState,
    kind: Kind,
    typed: Typed,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, state).await;
    let types = allowed_types(state.services.list_case_types().await?, kind);
    let types = types
        .iter()
        .map(|t| Opt::new(t.id.to_string(), t.name(tr.code()), &typed.case_type))
        .collect();
    let departments = if kind == Kind::Memo {
        let orgs = Orgs::load(state, &tr).await?;
        orgs.of_kind(&[OrgKind::Department])
            .filter(|o| o.id != caller.org_id)
            .map(|o| Opt::new(o.id.to_string(), o.name(tr.code()), &typed.department))
            .collect()
    } else {
        Vec::new()
    };
    let page = NewCasePage {
        tr,
        user,
        csrf,
        path,
        memo: kind == Kind::Memo,
        action: if kind == Kind::Memo {
            "/memos/new"
        } else {
            "/cases/new"
        },
        types,
        departments,
        subject: typed.subject,
        body: typed.body,
        error,
        errors,
        max_mb: state.services.config.max_attachment_bytes / (1024 * 1024),
    };
    Ok(render_status(status, &page))
}

async fn show(ctx: &PageCtx, state: &AppState, kind: Kind) -> PageResult {
    let caller = signed_in(ctx)?;
    if !kind.may_file(caller) {
        return Err(Fail::Page(ErrorCode::Forbidden));
    }
    form_page(
        ctx,
        state,
        kind,
        Typed::default(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// `GET /cases/new`.
pub async fn new_request(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = show(&ctx, &state, Kind::Request).await;
    finish(&ctx, &state, r).await
}

/// `GET /memos/new`.
pub async fn new_memo(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = show(&ctx, &state, Kind::Memo).await;
    finish(&ctx, &state, r).await
}

/// `POST /cases/new`.
pub async fn file_request(
    ctx: PageCtx,
    State(state): State<AppState>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let r = file(&ctx, &state, Kind::Request, mp.ok()).await;
    finish(&ctx, &state, r).await
}

/// `POST /memos/new`.
pub async fn file_memo(
    ctx: PageCtx,
    State(state): State<AppState>,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let r = file(&ctx, &state, Kind::Memo, mp.ok()).await;
    finish(&ctx, &state, r).await
}

/// Checks a file before anything is saved, with the service's own rules.
pub fn check_upload(state: &AppState, file: &Upload, errors: &mut FieldErrors) {
    if file.data.is_empty() {
        errors.add("file", "file-empty");
    } else if file.data.len() > state.services.config.max_attachment_bytes {
        errors.add("file", "file-too-large");
    } else if diwan_services::attachments::sniff(&file.data).is_none() {
        errors.add("file", "file-type-not-allowed");
    }
}

/// The status for a form whose only problems are the given fields.
pub fn status_for(errors: &FieldErrors) -> StatusCode {
    match errors.get("file") {
        "file-too-large" => StatusCode::PAYLOAD_TOO_LARGE,
        "file-type-not-allowed" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn field_uuid(f: &Fields, name: &str) -> Result<Option<Uuid>, ()> {
    match f.opt(name) {
        None => Ok(None),
        Some(v) => Uuid::try_parse(v).map(Some).map_err(|_| ()),
    }
}

async fn file(ctx: &PageCtx, state: &AppState, kind: Kind, mp: Option<Multipart>) -> PageResult {
    let caller = signed_in(ctx)?;
    let form = read_multipart(mp).await;
    check_csrf(ctx, form.fields.get("csrf"))?;
    if !kind.may_file(caller) {
        return Err(Fail::Page(ErrorCode::Forbidden));
    }
    if form.broken {
        return Err(Fail::Page(ErrorCode::InvalidInput));
    }
    let f = &form.fields;
    let typed = Typed {
        case_type: f.get("case_type_id").trim().to_owned(),
        department: f.get("department_id").trim().to_owned(),
        subject: f.get("subject").to_owned(),
        body: f.get("body").to_owned(),
    };
    let submit = f.get("submit") == "1";
    let mut errors = FieldErrors::default();
    let types = allowed_types(state.services.list_case_types().await?, kind);
    let case_type_id = match field_uuid(f, "case_type_id") {
        Ok(None) => {
            errors.add("case_type_id", "field-required");
            None
        }
        Ok(Some(id)) if types.iter().any(|t| t.id == id) => Some(id),
        _ => {
            errors.add("case_type_id", "case-type-unknown");
            None
        }
    };
    let mut department_id = None;
    if kind == Kind::Memo {
        let orgs = state.services.list_orgs().await?;
        match field_uuid(f, "department_id") {
            Ok(None) if submit => errors.add("department_id", "department-required"),
            Ok(None) => {}
            Ok(Some(id))
                if orgs.iter().any(|o| {
                    o.id == id && o.kind == OrgKind::Department && o.id != caller.org_id
                }) =>
            {
                department_id = Some(id)
            }
            _ => errors.add("department_id", "department-unknown"),
        }
    }
    // The service's own limits, checked here too so that every mistake
    // shows at once.
    match typed.subject.trim().chars().count() {
        0 => errors.add("subject", "field-required"),
        1..=2 => errors.add("subject", "field-too-short"),
        n if n > 200 => errors.add("subject", "field-too-long"),
        _ => {}
    }
    if form.too_large {
        errors.add("file", "file-too-large");
    }
    if let Some(file) = &form.file {
        check_upload(state, file, &mut errors);
    }
    if !errors.is_empty() {
        let tr = ctx.tr();
        let status = status_for(&errors);
        return form_page(ctx, state, kind, typed, tr.t("form-errors"), errors, status).await;
    }
    let new = NewCase {
        case_type_id: case_type_id.unwrap_or_default(),
        subject: typed.subject.clone(),
        body: typed.body.clone(),
        fields: None,
        submit,
        department_id,
    };
    let created = match state.services.create_case(caller, new).await {
        Ok(c) => c,
        Err(e) => {
            if e.code() == ErrorCode::Internal {
                tracing::error!(error = ?e, "filing failed");
            }
            let tr = ctx.tr();
            let (error, errors) = form_failure(state, &tr, &e);
            return form_page(ctx, state, kind, typed, error, errors, status_of(e.code())).await;
        }
    };
    if let Some(file) = form.file {
        if let Err(e) = state
            .services
            .add_attachment(caller, created.id, &file.filename, file.data, false)
            .await
        {
            // The case is saved; say so, and what went wrong with the file.
            if e.code() == ErrorCode::Internal {
                tracing::error!(error = ?e, "attachment failed");
            }
            let extra = Extra::failed(ctx, state, "attach", &e);
            return case::case_page(ctx, state, caller, created.id, extra).await;
        }
    }
    Ok(see_other(&format!("/cases/{}?filed=1", created.id)))
}
