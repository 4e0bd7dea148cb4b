//! The registry's pages: `/persons` (search), `/persons/{id}` (a record),
//! `/persons/new` and `/persons/{id}/edit` (the form, posted to `/persons`).

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, frame_only, path_id, pct, render, render_status,
    see_other, signed_in, Chrome, FieldErrors, Opt, Orgs, PageResult,
};
use crate::kit::routes::Routes;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::organizations::OrgKind;
use diwan_domain::persons::{Language, Sex, MAX_MOBILES};
use diwan_domain::ErrorCode;
use diwan_services::frame::{Frame, Shown};
use diwan_services::persons::{PersonForm, PersonSearch};
use diwan_store::Person;

/// The registry's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/persons", list)
        .post("/persons", save)
        .get("/persons/new", new)
        .get("/persons/{id}", show)
        .get("/persons/{id}/edit", edit)
}

pub struct PersonRow {
    pub href: String,
    pub national_number: String,
    pub name: String,
    pub mobile: String,
    pub municipality: String,
}

#[derive(Template)]
#[template(path = "persons/list.html")]
struct ListPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    q: String,
    rows: Vec<PersonRow>,
    next: String,
    may_add: bool,
}

#[derive(Template)]
#[template(path = "persons/person.html")]
struct PersonPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    id: String,
    national_number: String,
    name_ar: String,
    name_latin: String,
    sex: String,
    birth_date: String,
    mobiles: Vec<String>,
    email: String,
    municipality: String,
    language: String,
    sms_opt_out: String,
    email_opt_out: String,
    flash: String,
    may_edit: bool,
}

#[derive(Template)]
#[template(path = "persons/form.html")]
struct FormPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    editing: bool,
    typed: Typed,
    sexes: Vec<Opt>,
    languages: Vec<Opt>,
    municipalities: Vec<Opt>,
    error: String,
    errors: FieldErrors,
}

/// What the form holds, as typed.
#[derive(Debug, Default, Clone)]
pub struct Typed {
    pub national_number: String,
    pub name_ar: String,
    pub name_latin: String,
    pub sex: String,
    pub birth_date: String,
    pub mobiles: Vec<String>,
    pub email: String,
    pub municipality_id: String,
    pub language: String,
    pub sms_opt_out: bool,
    pub email_opt_out: bool,
}

impl Typed {
    fn of(p: &Person) -> Typed {
        Typed {
            national_number: p.national_number.clone(),
            name_ar: p.name_ar.clone(),
            name_latin: p.name_latin.clone().unwrap_or_default(),
            sex: p.sex.as_str().into(),
            birth_date: p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
            mobiles: p.mobiles.clone(),
            email: p.email.clone().unwrap_or_default(),
            municipality_id: p.municipality_id.map(|m| m.to_string()).unwrap_or_default(),
            language: p.language.as_str().into(),
            sms_opt_out: p.sms_opt_out_at.is_some(),
            email_opt_out: p.email_opt_out_at.is_some(),
        }
    }

    fn read(f: &Fields) -> Typed {
        Typed {
            national_number: f.get("national_number").trim().to_owned(),
            name_ar: f.get("name_ar").trim().to_owned(),
            name_latin: f.get("name_latin").trim().to_owned(),
            sex: f.get("sex").trim().to_owned(),
            birth_date: f.get("birth_date").trim().to_owned(),
            mobiles: f.all("mobile").map(str::to_owned).collect(),
            email: f.get("email").trim().to_owned(),
            municipality_id: f.get("municipality_id").trim().to_owned(),
            language: f.get("language").trim().to_owned(),
            sms_opt_out: f.checked("sms_opt_out"),
            email_opt_out: f.checked("email_opt_out"),
        }
    }

    /// The form as the service reads it; a municipality that is not an
    /// id is reported as unknown, as one that does not exist is.
    fn form(&self, errors: &mut FieldErrors) -> PersonForm {
        let given = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        let municipality_id = match given(&self.municipality_id) {
            None => None,
            Some(s) => match uuid::Uuid::try_parse(&s) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("municipality_id", diwan_domain::Reason::MunicipalityUnknown);
                    None
                }
            },
        };
        PersonForm {
            national_number: self.national_number.clone(),
            name_ar: self.name_ar.clone(),
            name_latin: given(&self.name_latin),
            sex: given(&self.sex),
            birth_date: given(&self.birth_date),
            mobiles: Some(self.mobiles.clone()),
            email: given(&self.email),
            municipality_id,
            language: given(&self.language),
            sms_opt_out: Some(self.sms_opt_out),
            email_opt_out: Some(self.email_opt_out),
            keeps_absent: false,
        }
    }
}

fn may_keep(user: &Option<NavUser>) -> bool {
    user.as_ref()
        .is_some_and(|u| (u.is_admin || u.is_municipal) && !u.is_auditor)
}

/// `GET /persons?q=…&before=…`.
pub async fn list(ctx: PageCtx, State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = list_inner(&ctx, &state, q).await;
    finish(&ctx, &state, r).await
}

async fn list_inner(ctx: &PageCtx, state: &AppState, raw: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::from_query(raw.as_deref());
    let q = f.get("q").trim().to_owned();
    let before = match f.opt("before") {
        None => None,
        Some(b) => Some(uuid::Uuid::try_parse(b).map_err(|_| ErrorCode::InvalidInput)?),
    };
    let s = PersonSearch {
        q: Some(q.clone()).filter(|s| !s.is_empty()),
        before,
        limit: None,
    };
    let Shown { frame, body } = state.services.persons_page(caller, &s).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let rows = body
        .persons
        .iter()
        .map(|p| PersonRow {
            href: format!("/persons/{}", p.id),
            national_number: p.national_number.clone(),
            name: p.name_ar.clone(),
            mobile: p.mobiles.first().cloned().unwrap_or_default(),
            municipality: orgs.name_opt(p.municipality_id),
        })
        .collect();
    let next = body
        .next
        .map(|n| format!("/persons?q={}&before={n}", pct(&q)))
        .unwrap_or_default();
    let may_add = may_keep(&user);
    Ok(render(&ListPage {
        tr,
        user,
        csrf,
        path,
        q,
        rows,
        next,
        may_add,
    }))
}

/// `GET /persons/{id}`.
pub async fn show(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    RawQuery(q): RawQuery,
) -> Response {
    let r = show_inner(&ctx, &state, &id, q).await;
    finish(&ctx, &state, r).await
}

async fn show_inner(ctx: &PageCtx, state: &AppState, id: &str, q: Option<String>) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let Shown { frame, body: p } = state.services.person_page(caller, id).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let tz = orgs.tz(caller.org_id);
    let since = |t: Option<chrono::DateTime<chrono::Utc>>| match t {
        Some(t) => tr.t_s("opted-out-since", "at", &tr.datetime(t, &tz)),
        None => tr.t("opted-in"),
    };
    let flash = match Fields::from_query(q.as_deref()).get("done") {
        "saved" => tr.t("person-saved"),
        _ => String::new(),
    };
    let page = PersonPage {
        id: p.id.to_string(),
        national_number: p.national_number.clone(),
        name_ar: p.name_ar.clone(),
        name_latin: p.name_latin.clone().unwrap_or_default(),
        sex: tr.t_code("sex-", p.sex.as_str()),
        birth_date: p.birth_date.map(|d| tr.date(d)).unwrap_or_default(),
        mobiles: p.mobiles.clone(),
        email: p.email.clone().unwrap_or_default(),
        municipality: orgs.name_opt(p.municipality_id),
        language: tr.t_code("language-", p.language.as_str()),
        sms_opt_out: since(p.sms_opt_out_at),
        email_opt_out: since(p.email_opt_out_at),
        flash,
        may_edit: may_keep(&user),
        tr,
        user,
        csrf,
        path,
    };
    Ok(render(&page))
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    chrome: Chrome,
    frame: &Frame,
    own: Option<uuid::Uuid>,
    editing: bool,
    typed: Typed,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome;
    let orgs = Orgs::of(frame, &tr);
    let municipalities = match own {
        Some(id) => vec![Opt::new(id.to_string(), orgs.name(id), &id.to_string())],
        None => orgs.options(&[OrgKind::Municipality], &typed.municipality_id),
    };
    let sexes = Sex::ALL
        .iter()
        .map(|s| Opt::new(s.as_str(), tr.t_code("sex-", s.as_str()), &typed.sex))
        .collect();
    let lang = if typed.language.is_empty() {
        Language::default().as_str()
    } else {
        typed.language.as_str()
    };
    let languages = Language::ALL
        .iter()
        .map(|l| Opt::new(l.as_str(), tr.t_code("language-", l.as_str()), lang))
        .collect();
    let mut typed = typed;
    typed
        .mobiles
        .resize(MAX_MOBILES.max(typed.mobiles.len()), String::new());
    render_status(
        status,
        &FormPage {
            tr,
            user,
            csrf,
            path,
            editing,
            typed,
            sexes,
            languages,
            municipalities,
            error,
            errors,
        },
    )
}

/// The municipality a municipality's staff register residents of.
fn own_municipality(ctx: &PageCtx) -> Option<uuid::Uuid> {
    ctx.caller
        .as_ref()
        .filter(|c| c.role.is_municipal())
        .map(|c| c.org_id)
}

/// `GET /persons/new`.
pub async fn new(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = new_inner(&ctx, &state).await;
    finish(&ctx, &state, r).await
}

async fn new_inner(ctx: &PageCtx, state: &AppState) -> PageResult {
    signed_in(ctx)?;
    let frame = frame_only(ctx, state).await;
    let c = chrome(ctx, &frame);
    if !may_keep(&c.user) {
        return Err(ErrorCode::NotFound.into());
    }
    Ok(form_page(
        c,
        &frame,
        own_municipality(ctx),
        false,
        Typed::default(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

/// `GET /persons/{id}/edit`.
pub async fn edit(ctx: PageCtx, State(state): State<AppState>, PagePath(id): PagePath) -> Response {
    let r = edit_inner(&ctx, &state, &id).await;
    finish(&ctx, &state, r).await
}

async fn edit_inner(ctx: &PageCtx, state: &AppState, id: &str) -> PageResult {
    let caller = signed_in(ctx)?;
    let id = path_id(id)?;
    let Shown { frame, body: p } = state.services.person_page(caller, id).await?;
    let c = chrome(ctx, &frame);
    if !may_keep(&c.user) {
        return Err(ErrorCode::NotFound.into());
    }
    Ok(form_page(
        c,
        &frame,
        own_municipality(ctx),
        true,
        Typed::of(&p),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

/// `POST /persons`: adds the person, or corrects the one with that
/// national number, and shows the record.
pub async fn save(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = save_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn save_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let typed = Typed::read(&f);
    let editing = f.checked("editing");
    let mut errors = FieldErrors::default();
    let form = typed.form(&mut errors);
    let result = if errors.is_empty() {
        state.services.save_person(caller, form).await
    } else {
        Err(errors.into_error())
    };
    match result {
        Ok(saved) => Ok(see_other(&format!(
            "/persons/{}?done=saved",
            saved.person.id
        ))),
        Err(e) if e.code() == ErrorCode::Internal || e.code() == ErrorCode::Forbidden => {
            Err(e.into())
        }
        Err(e) => {
            let frame = frame_only(ctx, state).await;
            let c = chrome(ctx, &frame);
            let (error, errors) = form_failure(&c.tr, &e);
            Ok(form_page(
                c,
                &frame,
                own_municipality(ctx),
                editing,
                typed,
                error,
                errors,
                status_of(e.code()),
            ))
        }
    }
}
