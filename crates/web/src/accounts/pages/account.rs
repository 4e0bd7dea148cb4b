//! A person's own account: personal API access tokens (`/account/tokens`)
//! and their password (`/account/password`).

use crate::i18n::Tr;
use crate::kit::auth::{NavUser, PageCtx};
use crate::kit::error::status_of;
use crate::kit::extract::PagePath;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, form_failure, frame_only, path_id, render_status, see_other,
    signed_in, Chrome, FieldErrors, Orgs, PageResult,
};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::frame::Shown;
use diwan_services::Caller;

pub struct TokenView {
    pub id: String,
    pub name: String,
    pub scopes: String,
    pub created: String,
    pub expires: String,
    pub revoked: String,
}

#[derive(Template)]
#[template(path = "accounts/tokens.html")]
struct TokensPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    tokens: Vec<TokenView>,
    /// The token just created, shown this once.
    new_token: String,
    name: String,
    read: bool,
    write: bool,
    days: String,
    error: String,
    errors: FieldErrors,
    may_write: bool,
}

struct Typed {
    name: String,
    read: bool,
    write: bool,
    days: String,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    ctx: &PageCtx,
    state: &AppState,
    caller: &Caller,
    typed: Typed,
    new_token: String,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let Shown { frame, body: list } = state.services.tokens_page(caller).await?;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    let orgs = Orgs::of(&frame, &tr);
    let tz = orgs.tz(caller.org_id);
    let tokens = list
        .iter()
        .map(|t| TokenView {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: t
                .scopes
                .iter()
                .map(|s| tr.t_code("scope-", s))
                .collect::<Vec<_>>()
                .join(if tr.lang().is_rtl() { "، " } else { ", " }),
            created: tr.datetime(t.created_at, &tz),
            expires: t
                .expires_at
                .map(|e| tr.datetime(e, &tz))
                .unwrap_or_default(),
            revoked: t
                .revoked_at
                .map(|e| tr.datetime(e, &tz))
                .unwrap_or_default(),
        })
        .collect();
    let fresh = !new_token.is_empty();
    let p = TokensPage {
        tr,
        user,
        csrf,
        path,
        tokens,
        new_token,
        name: typed.name,
        read: typed.read,
        write: typed.write,
        days: typed.days,
        error,
        errors,
        may_write: !caller.role.is_read_only(),
    };
    let mut res = render_status(status, &p);
    if fresh {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// `GET /account/tokens`.
pub async fn tokens(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = match signed_in(&ctx) {
        Ok(caller) => {
            let typed = Typed {
                name: String::new(),
                read: true,
                write: false,
                days: String::new(),
            };
            page(
                &ctx,
                &state,
                caller,
                typed,
                String::new(),
                String::new(),
                FieldErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => Err(e),
    };
    finish(&ctx, &state, r).await
}

/// `POST /account/tokens` (name, scopes=read|write…, days).
pub async fn create_token(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = create_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn create_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let scopes: Vec<String> = f.all("scopes").map(str::to_owned).collect();
    let typed = Typed {
        name: f.get("name").trim().to_owned(),
        read: scopes.iter().any(|s| s == "read"),
        write: scopes.iter().any(|s| s == "write"),
        days: f.get("days").trim().to_owned(),
    };
    let tr = ctx.tr();
    let mut errors = FieldErrors::default();
    let days = match f.opt("days") {
        None => None,
        Some(v) => match diwan_domain::text::parse_number(v) {
            Some(n) if (1..=3650).contains(&n) => Some(n as u32),
            _ => {
                errors.add("days", Reason::FieldInvalid);
                None
            }
        },
    };
    if !errors.is_empty() {
        return page(
            ctx,
            state,
            caller,
            typed,
            String::new(),
            tr.t("form-errors"),
            errors,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match state
        .services
        .create_api_token(caller, &typed.name, &scopes, days)
        .await
    {
        Ok((_, token)) => {
            let typed = Typed {
                name: String::new(),
                read: true,
                write: false,
                days: String::new(),
            };
            page(
                ctx,
                state,
                caller,
                typed,
                token,
                String::new(),
                FieldErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => {
            if e.code() == ErrorCode::Internal {
                return Err(e.into());
            }
            let (error, errors) = form_failure(&tr, &e);
            page(
                ctx,
                state,
                caller,
                typed,
                String::new(),
                error,
                errors,
                status_of(e.code()),
            )
            .await
        }
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke(
    ctx: PageCtx,
    State(state): State<AppState>,
    PagePath(id): PagePath,
    body: Bytes,
) -> Response {
    let r = revoke_inner(&ctx, &state, &id, body).await;
    finish(&ctx, &state, r).await
}

async fn revoke_inner(ctx: &PageCtx, state: &AppState, id: &str, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    check_csrf(ctx, Fields::parse(&body).get("csrf"))?;
    let id = path_id(id)?;
    state.services.revoke_api_token(caller, id).await?;
    Ok(see_other("/account/tokens"))
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    done: bool,
    error: String,
    errors: FieldErrors,
}

async fn password_page(
    ctx: &PageCtx,
    state: &AppState,
    done: bool,
    error: String,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame_only(ctx, state).await);
    let p = PasswordPage {
        tr,
        user,
        csrf,
        path,
        done,
        error,
        errors,
    };
    Ok(render_status(status, &p))
}

/// `GET /account/password`.
pub async fn password_form(ctx: PageCtx, State(state): State<AppState>) -> Response {
    let r = match signed_in(&ctx) {
        Ok(_) => {
            let done = ctx.path.ends_with("?changed=1");
            password_page(
                &ctx,
                &state,
                done,
                String::new(),
                FieldErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => Err(e),
    };
    finish(&ctx, &state, r).await
}

/// `POST /account/password` (current_password, new_password, confirm_password).
pub async fn change_password(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = change_password_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn change_password_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let caller = signed_in(ctx)?;
    let f = Fields::parse(&body);
    check_csrf(ctx, f.get("csrf"))?;
    let tr = ctx.tr();
    let new = f.get("new_password");
    if new != f.get("confirm_password") {
        let mut errors = FieldErrors::default();
        errors.add("confirm_password", Reason::PasswordMismatch);
        return password_page(
            ctx,
            state,
            false,
            tr.t("form-errors"),
            errors,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match state
        .services
        .change_password(caller, ctx.token.as_deref(), f.get("current_password"), new)
        .await
    {
        Ok(()) => Ok(see_other("/account/password?changed=1")),
        Err(e) if e.code() == ErrorCode::Internal => Err(e.into()),
        Err(e) => {
            let (error, errors) = form_failure(&tr, &e);
            password_page(ctx, state, false, error, errors, status_of(e.code())).await
        }
    }
}
