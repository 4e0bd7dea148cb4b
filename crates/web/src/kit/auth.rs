//! Who is calling: a browser with a session cookie (pages) or a client with
//! a bearer token (the API). Pages also carry the CSRF token every form
//! must send back.

use super::error::ApiError;
use crate::i18n::{negotiate, Lang, Tr, LANG_COOKIE};
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use diwan_domain::text::constant_time_eq;
use diwan_domain::ErrorCode;
use diwan_services::frame::Frame;
use diwan_services::Caller;
use std::net::SocketAddr;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "diwan_session";

/// The client's address. Without trusted proxies it is the socket peer.
/// Behind `trusted_proxies` reverse proxies, each of which appends the
/// address it received the request from to `X-Forwarded-For`, it is the
/// entry the outermost trusted proxy added: the `trusted_proxies`-th from the
/// right. Entries further left were written by the client and can say
/// anything, so they are never used.
pub fn client_ip(parts: &Parts, trusted_proxies: usize) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    if trusted_proxies == 0 {
        return peer;
    }
    let hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    hops.get(hops.len().saturating_sub(trusted_proxies))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok())
        .map(|ip| ip.to_string())
        .or(peer)
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
        let ip = client_ip(parts, state.web.trusted_proxies);
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
    /// Whether the outbox is the person's to follow (administrators,
    /// auditors, a municipality's head).
    pub may_message: bool,
    /// Whether inquiries are the person's to run, read or answer for
    /// callers.
    pub may_inquire: bool,
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
        // The CSRF layer may have found who is calling already.
        if let Some(ctx) = parts.extensions.get::<PageCtx>() {
            return Ok(ctx.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let ip = client_ip(parts, state.web.trusted_proxies);
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
        !self.csrf.is_empty() && constant_time_eq(&self.csrf, sent)
    }

    /// The navigation's view of the signed-in person, from the page's frame.
    pub fn nav(&self, frame: &Frame) -> Option<NavUser> {
        let c = self.caller.as_ref()?;
        let tr = self.tr();
        let org_name = frame
            .orgs
            .iter()
            .find(|o| o.id == c.org_id)
            .map(|o| o.name(tr.code()).to_owned())
            .unwrap_or_default();
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
            may_message: matches!(
                c.role,
                diwan_domain::Role::Admin
                    | diwan_domain::Role::Auditor
                    | diwan_domain::Role::MunicipalHead
            ),
            may_inquire: matches!(
                c.role,
                diwan_domain::Role::Admin
                    | diwan_domain::Role::Auditor
                    | diwan_domain::Role::MunicipalHead
                    | diwan_domain::Role::InquiryManager
                    | diwan_domain::Role::CallCentreAgent
            ),
            unread: frame.unread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(xff: &[&str]) -> Parts {
        let mut b = Request::builder();
        for v in xff {
            b = b.header("x-forwarded-for", *v);
        }
        let (mut p, _) = b.body(()).unwrap().into_parts();
        p.extensions
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        p
    }

    #[test]
    fn the_client_address_is_taken_from_the_right_of_x_forwarded_for() {
        // No trusted proxy: the header is ignored.
        assert_eq!(
            client_ip(&parts(&["1.2.3.4"]), 0).as_deref(),
            Some("10.0.0.1")
        );
        // One proxy: the client wrote "6.6.6.6"; the proxy appended the real peer.
        let p = parts(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(client_ip(&p, 1).as_deref(), Some("203.0.113.9"));
        // Two proxies, the header split over two lines.
        let p = parts(&["6.6.6.6, 203.0.113.9", "192.168.1.5"]);
        assert_eq!(client_ip(&p, 2).as_deref(), Some("203.0.113.9"));
        // Fewer entries than proxies: the leftmost, all of them proxy-written.
        assert_eq!(
            client_ip(&parts(&["203.0.113.9"]), 2).as_deref(),
            Some("203.0.113.9")
        );
        // No header, or garbage where the address should be: the socket peer.
        assert_eq!(client_ip(&parts(&[]), 1).as_deref(), Some("10.0.0.1"));
        assert_eq!(
            client_ip(&parts(&["1.1.1.1, <script>"]), 1).as_deref(),
            Some("10.0.0.1")
        );
    }
}
