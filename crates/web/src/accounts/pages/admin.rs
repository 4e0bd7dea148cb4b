//! Accounts, for administrators: `/admin/users`.

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, path_id, render_status, see_other, signed_in, Chrome,
    Fail, FieldErrors, Opt, Orgs, PageResult,
};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::Reason;
use diwan_domain::{ErrorCode, Role};
use diwan_services::accounts::NewUser;
use diwan_services::frame::Shown;
use diwan_services::Caller;
use uuid::Uuid;

pub struct UserView {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: String,
    pub org: String,
    pub active: bool,
    /// The reset form failed for this user with this reason.
    pub reset_error: String,
}

#[derive(Template)]
#[template(path = "accounts/admin_users.html")]
struct UsersPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    users: Vec<UserView>,
    roles: Vec<Opt>,
    orgs: Vec<Opt>,
    username: String,
    display_name: String,
    flash: String,
    error: String,
    errors: FieldErrors,
}

#[derive(Default)]
struct Typed {
    username: String,
    display_name: String,
    role: String,
    org: String,
}

fn admin(ctx: &PageCtx) -> Result<&Caller, Fail> {
    let caller = signed_in(ctx)?;
    if caller.role != Role::Admin {
        return Err(Fail::Page(ErrorCode::NotFound));
    }
    Ok(caller)
}

#[allow(clippy::too_many_arguments)]
async fn page(
    ctx: &PageCtx,
    state: &AppState,
    caller: &Caller,
    typed: Typed,
    flash: String,
    error: String,
    errors: FieldErrors,
    reset_failed: Option<(Uuid, String)>,
    status: StatusCode,
) -> PageResult {
    let Shown {
        frame,
        body: mut list,
    } = state.services.users_page(caller).await?;
    list.sort_by(|a, b| a.username.cmp(&b.username));
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let users = list
        .iter()
        .map(|u| UserView {
            id: u.id.to_string(),
            username: u.username.clone(),
            name: u.display_name.clone(),
            role: tr.t_code("role-", u.role.as_str()),
            org: orgs.name(u.org_id),
            active: u.active,
            reset_error: reset_failed
                .as_ref()
                .filter(|(id, _)| *id == u.id)
                .map(|(_, r)| r.clone())
                .unwrap_or_default(),
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Opt::new(r.as_str(), tr.t_code("role-", r.as_str()), &typed.role))
        .collect();
    let org_opts = orgs
        .list
        .iter()
        .map(|o| Opt::new(o.id.to_string(), o.name(tr.code()), &typed.org))
        .collect();
    let p = UsersPage {
        tr,
        user,
        csrf,
        path,
        users,
        roles,
        orgs: org_opts,
        username: typed.username,
        display_name: typed.display_name,
        flash,
        error,
        errors,
    };
    Ok(render_status(status, &p))
}

/// `GET /admin/users`.
pub async fn users(ctx: PageCtx, State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let r = users_inner(&ctx, &state, q).await;
    finish(&ctx, &state, r).await
}

async fn users_inner(ctx: &PageCtx, state: &AppState, q: Option<String>) -> PageResult {
    let caller = admin(ctx)?;
    let tr = ctx.tr();
    let flash = match Fields::from_query(q.as_deref()).get("done") {
        "created" => tr.t("user-created"),
        "reset" => tr.t("password-reset-done"),
        _ => String::new(),
    };
    page(
        ctx,
        state,
        caller,
        Typed::default(),
        flash,
        String::new(),
        FieldErrors::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/users` (username, display_name, role, org_id, password).
pub async fn create_user(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = create_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn create_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = admin(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let typed = Typed {
        username: f.get("username").trim().to_owned(),
        display_name: f.get("display_name").trim().to_owned(),
        role: f.get("role").trim().to_owned(),
        org: f.get("org_id").trim().to_owned(),
    };
    let tr = ctx.tr();
    let mut errors = FieldErrors::default();
    let role = match f.opt("role") {
        None => {
            errors.add("role", Reason::FieldRequired);
            None
        }
        Some(r) => match r.parse::<Role>() {
            Ok(r) => Some(r),
            Err(_) => {
                errors.add("role", Reason::RoleUnknown);
                None
            }
        },
    };
    let org_id = match f.opt("org_id") {
        None => {
            errors.add("org_id", Reason::FieldRequired);
            None
        }
        Some(v) => match Uuid::try_parse(v) {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("org_id", Reason::FieldInvalid);
                None
            }
        },
    };
    // The service stops at the first problem; these show all at once.
    if typed.display_name.is_empty() {
        errors.add("display_name", Reason::FieldRequired);
    }
    if f.get("password").chars().count() < 10 {
        errors.add("password", Reason::PasswordTooShort);
    }
    let (Some(role), Some(org_id), true) = (role, org_id, errors.is_empty()) else {
        return page(
            ctx,
            state,
            caller,
            typed,
            String::new(),
            tr.t("form-errors"),
            errors,
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let new = NewUser {
        username: typed.username.clone(),
        display_name: typed.display_name.clone(),
        role,
        org_id,
        password: f.get("password").to_owned(),
        password_hash: None,
    };
    match state.services.create_user(Some(caller), new).await {
        Ok(_) => Ok(see_other("/admin/users?done=created")),
        Err(e) if e.code() == ErrorCode::Internal => Err(e.into()),
        Err(e) => {
            let (error, errors) = form_failure(&tr, &e);
            page(
                ctx,
                state,
                caller,
                typed,
                String::new(),
                error,
                errors,
                None,
                status_of(e.code()),
            )
            .await
        }
    }
}

/// `POST /admin/users/{id}/password` (password).
pub async fn reset_password(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = reset_inner(&ctx, &state, &id, body).await;
    finish(&ctx, &state, r).await
}

async fn reset_inner(ctx: &PageCtx, state: &AppState, id: &str, body: Bytes) -> PageResult {
    let caller = admin(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let id = path_id(id)?;
    match state
        .services
        .reset_password(Some(caller), id, f.get("password"))
        .await
    {
        Ok(()) => Ok(see_other("/admin/users?done=reset")),
        Err(e) if matches!(e.code(), ErrorCode::Internal | ErrorCode::NotFound) => Err(e.into()),
        Err(e) => {
            let tr = ctx.tr();
            let errors = FieldErrors::from_details(e.details());
            let reason = errors
                .0
                .values()
                .next()
                .map(|r| r.key().to_owned())
                .unwrap_or_else(|| Reason::FieldInvalid.key().to_owned());
            let error = tr.t("form-errors");
            page(
                ctx,
                state,
                caller,
                Typed::default(),
                String::new(),
                error,
                FieldErrors::default(),
                Some((id, reason)),
                status_of(e.code()),
            )
            .await
        }
    }
}
