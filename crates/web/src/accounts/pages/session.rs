//! Signing in and out, the home redirect and the language switcher.

use crate::i18n::{Lang, Tr, LANG_COOKIE};
use crate::kit::auth::{NavUser, PageCtx, SESSION_COOKIE};
use crate::kit::error::status_of;
use crate::kit::form::Fields;
use crate::kit::page::{
    check_csrf, chrome, finish, local_path, render_status, see_other, Chrome, FieldErrors,
    PageResult,
};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use bytes::Bytes;
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use diwan_services::frame::Frame;

/// `GET /`: the queue for people signed in, the sign-in page otherwise.
pub async fn home(ctx: PageCtx) -> Response {
    if ctx.caller.is_some() {
        see_other("/cases")
    } else {
        see_other("/sign-in")
    }
}

#[derive(Template)]
#[template(path = "accounts/sign_in.html")]
struct SignInPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    username: String,
    next: String,
    /// A translated message about the whole form ("" for none).
    error: String,
    errors: FieldErrors,
}

/// A cookie age; the cookie crate converts it into its own duration type.
fn max_age(secs: i64) -> std::time::Duration {
    std::time::Duration::from_secs(secs.max(0).unsigned_abs())
}

/// The cookie that carries the sign-in form's CSRF token. Before a session
/// exists the token is double-submitted: once in this cookie, once in the
/// form, so another site cannot sign a visitor into an account of its choice.
const SIGN_IN_COOKIE: &str = "diwan_sign_in";

fn sign_in_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SIGN_IN_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/sign-in")
        .secure(state.web.secure_cookies)
        .max_age(max_age(3600).try_into().unwrap_or_default())
        .build()
}

fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && diwan_domain::text::constant_time_eq(a, b)
}

/// `GET /sign-in`.
pub async fn sign_in_form(
    ctx: PageCtx,
    State(state): State<AppState>,
    jar: CookieJar,
    RawQuery(q): RawQuery,
) -> Response {
    let q = Fields::from_query(q.as_deref());
    let next = q.opt("next").and_then(local_path).unwrap_or("").to_owned();
    if ctx.caller.is_some() {
        return see_other(if next.is_empty() { "/cases" } else { &next });
    }
    // Nobody is signed in here: the frame has nothing to show.
    let Chrome { tr, user, path, .. } = chrome(&ctx, &Frame::default());
    let token = jar
        .get(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(diwan_services::accounts::new_form_token);
    let page = SignInPage {
        tr,
        user,
        csrf: token.clone(),
        path,
        username: String::new(),
        next,
        error: String::new(),
        errors: FieldErrors::default(),
    };
    (
        CookieJar::new().add(sign_in_cookie(&state, token)),
        render_status(StatusCode::OK, &page),
    )
        .into_response()
}

/// `POST /sign-in`.
pub async fn sign_in(
    ctx: PageCtx,
    State(state): State<AppState>,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let expected = jar
        .get(SIGN_IN_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let csrf_ok = same_token(&expected, f.get("csrf"));
    let username = f.get("username").trim().to_owned();
    let password = f.get("password").to_owned();
    let next = f.opt("next").and_then(local_path).unwrap_or("").to_owned();
    let mut errors = FieldErrors::default();
    if username.is_empty() {
        errors.add("username", Reason::FieldRequired);
    }
    if password.is_empty() {
        errors.add("password", Reason::FieldRequired);
    }
    let failure = if !csrf_ok {
        ErrorCode::CsrfFailed
    } else if !errors.is_empty() {
        ErrorCode::InvalidInput
    } else {
        match state
            .services
            .sign_in(&username, &password, ctx.ip.clone())
            .await
        {
            Ok(signed) => {
                let secs = (signed.expires_at - state.services.now()).num_seconds();
                let cookie = Cookie::build((SESSION_COOKIE, signed.token))
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .path("/")
                    .secure(state.web.secure_cookies)
                    .max_age(max_age(secs).try_into().unwrap_or_default())
                    .build();
                let to = if next.is_empty() {
                    "/cases".to_owned()
                } else {
                    next
                };
                return (CookieJar::new().add(cookie), see_other(&to)).into_response();
            }
            Err(e) => {
                if e.code() == ErrorCode::Internal {
                    tracing::error!(error = ?e, "sign-in failed");
                }
                e.code()
            }
        }
    };
    // Nobody is signed in here: the frame has nothing to show.
    let Chrome { tr, user, path, .. } = chrome(&ctx, &Frame::default());
    let error = tr.t_code("error-", failure.as_str());
    let token = diwan_services::accounts::new_form_token();
    let page = SignInPage {
        tr,
        user,
        csrf: token.clone(),
        path,
        username,
        next,
        error,
        errors,
    };
    (
        CookieJar::new().add(sign_in_cookie(&state, token)),
        render_status(status_of(failure), &page),
    )
        .into_response()
}

/// `POST /sign-out`.
pub async fn sign_out(
    ctx: PageCtx,
    State(state): State<AppState>,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let r = sign_out_inner(&ctx, &state, jar, body).await;
    finish(&ctx, &state, r).await
}

async fn sign_out_inner(
    ctx: &PageCtx,
    state: &AppState,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/");
    let (Some(caller), Some(token)) = (ctx.caller.as_ref(), ctx.token.as_deref()) else {
        return Ok((jar.remove(removal), see_other("/sign-in")).into_response());
    };
    check_csrf(ctx, Fields::parse(&body).get("csrf"))?;
    state.services.sign_out(caller, token).await?;
    Ok((jar.remove(removal), see_other("/sign-in")).into_response())
}

/// `GET /lang?lang=xx&next=/path`: shows pages in that language from now
/// on in this browser (a cookie; nothing is saved on the server, so a link
/// cannot change anyone's settings).
pub async fn lang_link(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let q = Fields::from_query(q.as_deref());
    let next = q.opt("next").and_then(local_path).unwrap_or("/").to_owned();
    match q.opt("lang").and_then(Lang::from_code) {
        Some(lang) => (
            CookieJar::new().add(lang_cookie(&state, lang)),
            see_other(&next),
        )
            .into_response(),
        None => see_other(&next),
    }
}

/// `POST /lang` (the switcher's form): the cookie, and for a signed-in
/// person their saved preference too (with the form's CSRF token).
pub async fn set_lang(ctx: PageCtx, State(state): State<AppState>, body: Bytes) -> Response {
    let r = set_lang_inner(&ctx, &state, body).await;
    finish(&ctx, &state, r).await
}

async fn set_lang_inner(ctx: &PageCtx, state: &AppState, body: Bytes) -> PageResult {
    let f = Fields::parse(&body);
    let next = f.opt("next").and_then(local_path).unwrap_or("/").to_owned();
    let Some(lang) = f.opt("lang").and_then(Lang::from_code) else {
        return Ok(see_other(&next));
    };
    if let Some(caller) = &ctx.caller {
        check_csrf(ctx, f.get("csrf"))?;
        state.services.set_locale(caller, lang.code()).await?;
    }
    Ok((
        CookieJar::new().add(lang_cookie(state, lang)),
        see_other(&next),
    )
        .into_response())
}

fn lang_cookie(state: &AppState, lang: Lang) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.code()))
        .same_site(SameSite::Lax)
        .path("/")
        .secure(state.web.secure_cookies)
        .max_age(max_age(365 * 24 * 3600).try_into().unwrap_or_default())
        .build()
}
