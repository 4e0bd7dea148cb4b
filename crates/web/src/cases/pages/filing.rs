//! Filing: a municipality's new request (`/cases/new`) and a ministry
//! department's new internal memo (`/memos/new`).

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::form::{read_multipart, Fields};
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, render_status, see_other, signed_in, Chrome, Fail,
    FieldErrors, Opt, Orgs, PageResult,
};
use crate::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use diwan_domain::cases::fields::{format_money, FieldDef, FieldKind};
use diwan_domain::cases::workflow::{Audience, Registry};
use diwan_domain::organizations::OrgKind;
use diwan_domain::Reason;
use diwan_domain::{ErrorCode, Role};
use diwan_services::cases::NewCase;
use diwan_services::frame::Shown;
use diwan_services::Caller;
use diwan_store::CaseType;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Memo,
}

impl Kind {
    /// Who files the cases of this form's workflows.
    fn audience(self) -> Audience {
        match self {
            Kind::Request => Audience::Public,
            Kind::Memo => Audience::Internal,
        }
    }

    fn may_file(self, caller: &Caller) -> bool {
        match self {
            Kind::Request => caller.role.is_municipal(),
            Kind::Memo => matches!(caller.role, Role::Officer | Role::DepartmentHead),
        }
    }
}

/// The input of one typed field of the chosen case type.
pub struct FieldInput {
    /// The element id: `field-<code>`.
    pub id: String,
    /// The form name: `field.<code>`.
    pub name: String,
    pub label: String,
    /// The currency of an amount, when the label does not name it already.
    pub unit: String,
    /// `text`, `integer`, `date`, `money` or `choice`.
    pub kind: &'static str,
    /// `inputmode` of the text input ("" for none).
    pub inputmode: &'static str,
    /// Numbers and dates are typed left to right.
    pub ltr: bool,
    /// The longest text allowed (0: no limit given).
    pub max: usize,
    pub required: bool,
    pub value: String,
    pub options: Vec<Opt>,
    /// A translated hint under the input ("" for none).
    pub hint: String,
    /// The reason this field was refused ("" when it was not).
    pub error: String,
}

impl FieldInput {
    fn new(tr: &Tr<'static>, d: &FieldDef, value: &str, errors: &FieldErrors) -> FieldInput {
        let label = d.label(tr.code()).to_owned();
        let (kind, inputmode, ltr, max, unit, hint, options) = match &d.kind {
            FieldKind::Text { max } => ("text", "", false, *max, "", String::new(), Vec::new()),
            FieldKind::Integer => ("integer", "numeric", true, 0, "", String::new(), Vec::new()),
            FieldKind::Date => (
                "date",
                "",
                true,
                0,
                "",
                tr.t("date-format-hint"),
                Vec::new(),
            ),
            FieldKind::Money { currency, decimals } => (
                "money",
                "decimal",
                true,
                0,
                currency.as_str(),
                tr.t_s("amount-hint", "example", &money_example(*decimals)),
                Vec::new(),
            ),
            FieldKind::Choice { options } => (
                "choice",
                "",
                false,
                0,
                "",
                String::new(),
                options
                    .iter()
                    .map(|o| Opt::new(o.clone(), o.clone(), value.trim()))
                    .collect(),
            ),
        };
        let unit = if label.contains(unit) {
            String::new()
        } else {
            unit.to_owned()
        };
        let key = format!("fields.{}", d.code);
        FieldInput {
            id: format!("field-{}", d.code),
            name: format!("field.{}", d.code),
            label,
            unit,
            kind,
            inputmode,
            ltr,
            max,
            required: d.required,
            value: value.to_owned(),
            options,
            hint,
            error: errors.get(&key).to_owned(),
        }
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        if !self.error.is_empty() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// An amount to show as an example: 1250.5 with all the decimals.
fn money_example(decimals: u32) -> String {
    let scale = 10i64.pow(decimals.min(6));
    format_money(1250 * scale + scale / 2, decimals.min(6))
}

#[derive(Template)]
#[template(path = "cases/new_case.html")]
struct NewCasePage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    memo: bool,
    action: &'static str,
    /// The label of the button that files at once: the filing move of the
    /// listed types' workflow.
    submit_label: String,
    /// Step 1 of two: only the choice of the case type (a GET form).
    choose: bool,
    /// Step 2: the chosen type, fixed (its id and name; "" in the
    /// one-step form, which has the select).
    fixed_id: String,
    fixed_name: String,
    types: Vec<Opt>,
    departments: Vec<Opt>,
    subject: String,
    body: String,
    inputs: Vec<FieldInput>,
    error: String,
    errors: FieldErrors,
    /// Reasons no visible input shows, for the summary.
    other_errors: Vec<&'static str>,
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
    /// Field code → the value as typed.
    fields: BTreeMap<String, String>,
}

/// Where the form's case type comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `GET ?type=`: the type is fixed; without one, step 1 (choosing the
    /// type) comes first when some type has fields.
    Query,
    /// A post that failed: the type stays fixed when it has fields to show,
    /// and can be chosen again in the form otherwise.
    Post,
}

/// The active types this form files: those whose workflow has the form's
/// audience and lets the caller file.
fn allowed_types<'a>(
    types: &'a [CaseType],
    workflows: &Registry,
    kind: Kind,
    caller: &Caller,
) -> Vec<&'a CaseType> {
    types
        .iter()
        .filter(|t| {
            t.active
                && workflows
                    .get(&t.workflow)
                    .is_some_and(|w| w.audience == kind.audience() && w.may_file(caller.role))
        })
        .collect()
}

/// The label of the button that files at once. A memo is sent by its
/// workflow's filing move, whose name the button takes; a request is
/// submitted.
fn submit_label(tr: &Tr<'static>, workflows: &Registry, kind: Kind, types: &[&CaseType]) -> String {
    let filing = types
        .iter()
        .filter_map(|t| workflows.get(&t.workflow)?.filing_move())
        .map(|m| m.action.as_str())
        .next();
    match (kind, filing) {
        (Kind::Memo, Some(action)) => tr.t_code("action-", action),
        _ => tr.t("submit-now"),
    }
}

fn find_type<'a>(types: &[&'a CaseType], id: &str) -> Option<&'a CaseType> {
    let id = Uuid::try_parse(id.trim()).ok()?;
    types.iter().find(|t| t.id == id).copied()
}

/// The form as it is shown again, or for the first time.
struct Form {
    kind: Kind,
    typed: Typed,
    via: Via,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
}

fn form_page(
    ctx: &PageCtx,
    state: &AppState,
    shown: &Shown<Arc<Vec<CaseType>>>,
    form: Form,
) -> PageResult {
    let caller = signed_in(ctx)?;
    let Form {
        kind,
        typed,
        via,
        error,
        errors,
        status,
    } = form;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &shown.frame);
    let workflows = state.services.workflows();
    let all = allowed_types(&shown.body, workflows, kind, caller);
    let fixed = find_type(&all, &typed.case_type)
        .filter(|t| !errors.has("case_type_id") && (via == Via::Query || !t.fields.is_empty()));
    // Two steps only where a type has fields to fill.
    let choose = fixed.is_none() && via == Via::Query && all.iter().any(|t| !t.fields.is_empty());
    let types = all
        .iter()
        .map(|t| Opt::new(t.id.to_string(), t.name(tr.code()), typed.case_type.trim()))
        .collect();
    let departments = if kind == Kind::Memo && !choose {
        let orgs = Orgs::of(&shown.frame, &tr);
        orgs.of_kind(&[OrgKind::Department])
            .filter(|o| o.id != caller.org_id)
            .map(|o| Opt::new(o.id.to_string(), o.name(tr.code()), &typed.department))
            .collect()
    } else {
        Vec::new()
    };
    let inputs: Vec<FieldInput> = fixed
        .map(|t| {
            t.fields
                .iter()
                .map(|d| {
                    let value = typed.fields.get(&d.code).map_or("", String::as_str);
                    FieldInput::new(&tr, d, value, &errors)
                })
                .collect()
        })
        .unwrap_or_default();
    let field_keys: Vec<String> = fixed
        .iter()
        .flat_map(|t| t.fields.iter().map(|d| format!("fields.{}", d.code)))
        .collect();
    let mut shown_fields = vec!["case_type_id", "department_id", "subject", "body", "file"];
    shown_fields.extend(field_keys.iter().map(String::as_str));
    let other_errors = errors.others(&shown_fields);
    let page = NewCasePage {
        memo: kind == Kind::Memo,
        submit_label: submit_label(&tr, workflows, kind, &all),
        action: if kind == Kind::Memo {
            "/memos/new"
        } else {
            "/cases/new"
        },
        choose,
        fixed_id: fixed.map(|t| t.id.to_string()).unwrap_or_default(),
        fixed_name: fixed
            .map(|t| t.name(tr.code()).to_owned())
            .unwrap_or_default(),
        tr,
        user,
        csrf,
        path,
        types,
        departments,
        subject: typed.subject,
        body: typed.body,
        inputs,
        error,
        errors,
        other_errors,
        max_mb: state.services.config.max_attachment_bytes / (1024 * 1024),
    };
    Ok(render_status(status, &page))
}

/// The form: step 1 without `?type=`, step 2 with it.
async fn show(ctx: &PageCtx, state: &AppState, kind: Kind, q: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    if !kind.may_file(caller) {
        return Err(Fail::Page(ErrorCode::Forbidden));
    }
    let shown = state.services.filing_page(caller).await?;
    let q = Fields::from_query(q.as_deref());
    let mut errors = FieldErrors::default();
    let mut typed = Typed::default();
    if q.0.iter().any(|(k, _)| k == "type") {
        typed.case_type = q.get("type").trim().to_owned();
        if typed.case_type.is_empty() {
            errors.add("case_type_id", Reason::FieldRequired);
        } else {
            let types = allowed_types(&shown.body, state.services.workflows(), kind, caller);
            if find_type(&types, &typed.case_type).is_none() {
                errors.add("case_type_id", Reason::CaseTypeUnknown);
            }
        }
    }
    let (error, status) = if errors.is_empty() {
        (String::new(), StatusCode::OK)
    } else {
        (ctx.tr().t("form-errors"), StatusCode::BAD_REQUEST)
    };
    let form = Form {
        kind,
        typed,
        via: Via::Query,
        error,
        errors,
        status,
    };
    form_page(ctx, state, &shown, form)
}

/// `GET /cases/new`, `GET /cases/new?type=<id>`.
pub async fn new_request(
    ctx: PageCtx,
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = show(&ctx, &state, Kind::Request, q).await;
    finish(&ctx, &state, r).await
}

/// `GET /memos/new`, `GET /memos/new?type=<id>`.
pub async fn new_memo(
    ctx: PageCtx,
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = show(&ctx, &state, Kind::Memo, q).await;
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

/// The `field.<code>` inputs of a form, code → value as typed (the first
/// of each code).
fn typed_fields(f: &Fields) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in &f.0 {
        if let Some(code) = k.strip_prefix("field.") {
            out.entry(code.to_owned()).or_insert_with(|| v.clone());
        }
    }
    out
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
        fields: typed_fields(f),
    };
    let mut errors = FieldErrors::default();
    // Identifiers that do not parse name nothing; the services check the
    // rest (and report every mistake at once).
    let case_type_id = match Uuid::try_parse(&typed.case_type) {
        Ok(id) => Some(id),
        Err(_) if typed.case_type.is_empty() => None,
        Err(_) => {
            errors.add("case_type_id", Reason::CaseTypeUnknown);
            None
        }
    };
    let department_id = match Uuid::try_parse(&typed.department) {
        Ok(id) if kind == Kind::Memo => Some(id),
        Err(_) if kind == Kind::Memo && !typed.department.is_empty() => {
            errors.add("department_id", Reason::DepartmentUnknown);
            None
        }
        _ => None,
    };
    let fields = (!typed.fields.is_empty()).then(|| {
        Value::Object(
            typed
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<Map<_, _>>(),
        )
    });
    let result = if errors.is_empty() {
        let new = NewCase {
            case_type_id,
            audience: Some(kind.audience()),
            subject: typed.subject.clone(),
            body: typed.body.clone(),
            fields,
            submit: f.get("submit") == "1",
            department_id,
            files: form.upload().into_iter().collect(),
            ..NewCase::default()
        };
        state.services.create_case(caller, new).await
    } else {
        Err(diwan_domain::DomainError {
            code: ErrorCode::InvalidInput,
            details: errors.0.into_iter().collect(),
            retry_after_secs: None,
        }
        .into())
    };
    match result {
        Ok(created) => Ok(see_other(&format!("/cases/{}?filed=1", created.id))),
        Err(e) if e.code() == ErrorCode::Forbidden => Err(e.into()),
        Err(e) => {
            if e.code() == ErrorCode::Internal {
                tracing::error!(error = ?e, "filing failed");
            }
            let tr = ctx.tr();
            let (error, errors) = form_failure(&tr, &e);
            // The form is shown again, with what was typed and every mistake.
            let shown = state.services.filing_page(caller).await?;
            let form = Form {
                kind,
                typed,
                via: Via::Post,
                error,
                errors,
                status: status_of(e.code()),
            };
            form_page(ctx, state, &shown, form)
        }
    }
}
