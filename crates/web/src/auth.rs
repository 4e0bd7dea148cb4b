//! Who is calling: a browser with a session cookie (pages) or a client with
//! a bearer token (the API). Pages also carry the CSRF token every form
//! must send back.

use crate::error::ApiError;
use crate::i18n::{negotiate, Lang, Tr, LANG_COOKIE};
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use diwan_domain::ErrorCode;
use diwan_services::Caller;
use std::net::SocketAddr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "diwan_session";

/// The client's address: the socket peer, or the first `X-Forwarded-For`
/// hop when Diwan is configured to trust its proxy.
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        if let Some(f) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            if let Some(first) = f.split(',').next().map(str::trim).filter(|s| !s.is_empty()) {
                return Some(first.chars().take(64).collect());
            }
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// An authenticated API client.
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts) else {
            return Err(ApiError::new(ErrorCode::Unauthenticated));
        };
        let ip = client_ip(parts, state.web.trust_proxy);
        match state.services.authenticate(token, ip).await? {
            Some((caller, _)) => Ok(ApiCaller(caller)),
            None => Err(ApiError::new(ErrorCode::Unauthenticated)),
        }
    }
}

/// The signed-in person as the navigation shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub display_name: String,
    pub org_name: String,
    /// The role, already translated.
    pub role: String,
    pub is_municipal: bool,
    pub is_ministry_staff: bool,
    pub is_admin: bool,
    pub is_auditor: bool,
    pub unread: i64,
}

/// What every page knows about its request. Never fails: a visitor who is
/// not signed in gets `caller == None`.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub caller: Option<Caller>,
    /// The session's CSRF token; empty when signed out.
    pub csrf: String,
    /// The session token, for signing out.
    pub token: Option<String>,
    /// The path and query of this request.
    pub path: String,
    pub ip: Option<String>,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let ip = client_ip(parts, state.web.trust_proxy);
        let token = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
        let mut caller = None;
        let mut csrf = String::new();
        if let Some(t) = token.as_deref() {
            match state.services.authenticate(t, ip.clone()).await {
                Ok(Some((c, Some(token_csrf)))) => {
                    caller = Some(c);
                    csrf = token_csrf;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "session look-up failed"),
            }
        }
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = negotiate(
            caller.as_ref().and_then(|c| c.locale.as_deref()),
            jar.get(LANG_COOKIE).map(|c| c.value()),
            accept,
        );
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(PageCtx {
            lang,
            caller,
            csrf,
            token,
            path,
            ip,
        })
    }
}

impl PageCtx {
    pub fn tr(&self) -> Tr<'static> {
        crate::i18n::I18n::global().tr(self.lang)
    }

    /// Checks a form's CSRF token against the session's, in constant time.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        !self.csrf.is_empty()
            && self.csrf.len() == sent.len()
            && self
                .csrf
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The navigation's view of the signed-in person.
    pub async fn nav(&self, state: &AppState) -> Option<NavUser> {
        let c = self.caller.as_ref()?;
        let tr = self.tr();
        let org_name = match state.services.list_orgs().await {
            Ok(orgs) => orgs
                .into_iter()
                .find(|o| o.id == c.org_id)
                .map(|o| o.name(tr.code()).to_owned())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let unread = state.services.unread_count(c).await.unwrap_or(0);
        Some(NavUser {
            display_name: c.display_name.clone(),
            org_name,
            role: tr.t_code("role-", c.role.as_str()),
            is_municipal: c.role.is_municipal(),
            is_ministry_staff: matches!(
                c.role,
                diwan_domain::Role::Officer
                    | diwan_domain::Role::DepartmentHead
                    | diwan_domain::Role::RegistryClerk
                    | diwan_domain::Role::Admin
            ),
            is_admin: c.role == diwan_domain::Role::Admin,
            is_auditor: c.role == diwan_domain::Role::Auditor,
            unread,
        })
    }
}
