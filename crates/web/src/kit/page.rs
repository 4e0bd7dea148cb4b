//! What every server-rendered page shares: plain HTML and forms, no
//! JavaScript.
//!
//! Every handler extracts a [`PageCtx`], checks what it was sent, calls the
//! services and renders one template (or redirects). Mistakes people can
//! make (a bad identifier, an invalid field, an expired form) answer with a
//! translated page and the right status, never with a 500.

use super::auth::{NavUser, PageCtx};
use super::error::{status_of, ApiError};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use diwan_domain::organizations::OrgKind;
use diwan_domain::{ErrorCode, Reason};
use diwan_services::frame::Frame;
use diwan_services::Caller;
use diwan_store::Organization;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The router's fallback: a 404 page for browsers, a JSON 404 under `/api/`.
pub async fn not_found(ctx: PageCtx, State(state): State<AppState>) -> Response {
    if ctx.path.starts_with("/api/") {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    error_page(&ctx, &state, ErrorCode::NotFound).await
}

/// The Content-Security-Policy of every page: no scripts at all, styles and
/// images only from Diwan itself, never framed, forms only to Diwan.
pub const CSP: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'";

/// Adds the security headers every HTML response carries.
pub fn harden(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// Renders a page with status 200.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

/// Renders a page with the given status. A template that fails to render
/// is a bug: it is logged and answered with a bare 500.
pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    let mut res = match t.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "page template failed to render");
            let mut res =
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            res
        }
    };
    harden(&mut res);
    res
}

/// What the base layout needs: every page struct has these four fields.
pub struct Chrome {
    pub tr: Tr<'static>,
    pub user: Option<NavUser>,
    pub csrf: String,
    pub path: String,
}

/// The page's frame as the base layout shows it: the frame comes from the
/// page's one service call.
pub fn chrome(ctx: &PageCtx, frame: &Frame) -> Chrome {
    Chrome {
        tr: ctx.tr(),
        user: ctx.nav(frame),
        csrf: ctx.csrf.clone(),
        path: ctx.path.clone(),
    }
}

/// The frame alone, for pages that show nothing else and for error pages.
/// A failure to read it leaves the navigation bare rather than failing the
/// page.
pub async fn frame_only(ctx: &PageCtx, state: &AppState) -> Frame {
    match state.services.frame(ctx.caller.as_ref()).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = ?e, "the page frame could not be read");
            Frame::default()
        }
    }
}

#[derive(Template)]
#[template(path = "shared/error.html")]
struct ErrorPage {
    tr: Tr<'static>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    code: &'static str,
}

/// The translated error page for `code`, with the status that code means.
pub async fn error_page(ctx: &PageCtx, state: &AppState, code: ErrorCode) -> Response {
    let frame = frame_only(ctx, state).await;
    let Chrome {
        tr,
        user,
        csrf,
        path,
    } = chrome(ctx, &frame);
    render_status(
        status_of(code),
        &ErrorPage {
            tr,
            user,
            csrf,
            path,
            code: code.as_str(),
        },
    )
}

/// The error page for a request whose session is not looked up: in the
/// language of the cookie or the browser, without the navigation.
pub fn plain_error_page(headers: &axum::http::HeaderMap, code: ErrorCode) -> Response {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(headers);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = crate::i18n::negotiate(
        None,
        jar.get(crate::i18n::LANG_COOKIE).map(|c| c.value()),
        accept,
    );
    let tr = crate::i18n::I18n::global().tr(lang);
    render_status(
        status_of(code),
        &ErrorPage {
            tr,
            user: None,
            csrf: String::new(),
            path: "/".into(),
            code: code.as_str(),
        },
    )
}

/// A `303 See Other` to `location` (a local path).
pub fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    } else {
        res.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/"));
    }
    res
}

/// Sends someone who is not signed in to the sign-in page, coming back here after.
pub fn to_sign_in(ctx: &PageCtx) -> Response {
    match return_path(&ctx.path) {
        Some(back) => see_other(&format!("/sign-in?next={}", pct(back))),
        None => see_other("/sign-in"),
    }
}

/// Where to come back to after signing in: the page itself, or for a form
/// that only takes posts, the page that shows that form.
fn return_path(path: &str) -> Option<&str> {
    let bare = path.split('?').next().unwrap_or(path);
    if bare == "/sign-out" || bare == "/sign-in" {
        return None;
    }
    if bare == "/notifications/read" {
        return Some("/notifications");
    }
    if bare.starts_with("/account/tokens/") {
        return Some("/account/tokens");
    }
    if bare.starts_with("/admin/users/") {
        return Some("/admin/users");
    }
    for suffix in ["/transitions", "/messages", "/attachments", "/edit"] {
        if let Some(case) = bare
            .strip_suffix(suffix)
            .filter(|c| c.starts_with("/cases/"))
        {
            return Some(case);
        }
    }
    Some(path)
}

/// `next` when it is a path on this site (`/…` but not `//…` or `/\…`).
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

/// Percent-encodes everything but the unreserved characters of RFC 3986.
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why a page handler stopped early.
pub enum Fail {
    /// Show the translated error page of this code.
    Page(ErrorCode),
    /// Answer with this response (a redirect to the sign-in page, say).
    Respond(Box<Response>),
}

impl From<diwan_services::Error> for Fail {
    fn from(e: diwan_services::Error) -> Self {
        if e.code() == ErrorCode::Internal {
            tracing::error!(error = ?e, "internal error");
        }
        Fail::Page(e.code())
    }
}

impl From<ErrorCode> for Fail {
    fn from(code: ErrorCode) -> Self {
        Fail::Page(code)
    }
}

pub type PageResult = Result<Response, Fail>;

/// Turns a handler's result into the response.
pub async fn finish(ctx: &PageCtx, state: &AppState, r: PageResult) -> Response {
    match r {
        Ok(res) => res,
        Err(Fail::Respond(res)) => *res,
        Err(Fail::Page(code)) => error_page(ctx, state, code).await,
    }
}

/// The signed-in caller, or a redirect to the sign-in page.
pub fn signed_in(ctx: &PageCtx) -> Result<&Caller, Fail> {
    ctx.caller
        .as_ref()
        .ok_or_else(|| Fail::Respond(Box::new(to_sign_in(ctx))))
}

/// Checks a form's anti-forgery token.
pub fn check_csrf(ctx: &PageCtx, sent: &str) -> Result<(), Fail> {
    if ctx.csrf_ok(sent) {
        Ok(())
    } else {
        Err(Fail::Page(ErrorCode::CsrfFailed))
    }
}

/// Parses an identifier from a path; anything malformed names nothing.
pub fn path_id(s: &str) -> Result<Uuid, Fail> {
    Uuid::parse_str(s).map_err(|_| Fail::Page(ErrorCode::NotFound))
}

/// One `<option>` of a select.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        let selected = !value.is_empty() && value == current;
        Opt {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// The organizations, by id, for showing names in the page's language.
pub struct Orgs {
    pub list: Vec<Organization>,
    by_id: HashMap<Uuid, usize>,
    lang: &'static str,
}

impl Orgs {
    /// The frame's organizations, sorted by their names in the page's language.
    pub fn of(frame: &Frame, tr: &Tr<'static>) -> Orgs {
        let mut list = frame.orgs.to_vec();
        let lang = tr.code();
        list.sort_by(|a, b| a.name(lang).cmp(b.name(lang)));
        let by_id = list.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
        Orgs { list, by_id, lang }
    }

    pub fn get(&self, id: Uuid) -> Option<&Organization> {
        self.by_id.get(&id).map(|i| &self.list[*i])
    }

    pub fn name(&self, id: Uuid) -> String {
        self.get(id)
            .map(|o| o.name(self.lang).to_owned())
            .unwrap_or_default()
    }

    pub fn name_opt(&self, id: Option<Uuid>) -> String {
        id.map(|i| self.name(i)).unwrap_or_default()
    }

    /// The IANA time zone of an organization ("" when unknown).
    pub fn tz(&self, id: Uuid) -> String {
        self.get(id)
            .map(|o| o.time_zone.clone())
            .unwrap_or_default()
    }

    pub fn of_kind<'a>(
        &'a self,
        kinds: &'a [OrgKind],
    ) -> impl Iterator<Item = &'a Organization> + 'a {
        self.list.iter().filter(move |o| kinds.contains(&o.kind))
    }

    /// Options for a select of organizations of the given kinds.
    pub fn options(&self, kinds: &[OrgKind], current: &str) -> Vec<Opt> {
        self.of_kind(kinds)
            .map(|o| Opt::new(o.id.to_string(), o.name(self.lang), current))
            .collect()
    }
}

/// The people the caller may know about, for showing names and for
/// choosing assignees (see [`Frame::people`]).
#[derive(Debug, Default)]
pub struct People {
    pub names: HashMap<Uuid, String>,
    /// Active officers and heads of department: (id, name, unit).
    pub staff: Vec<(Uuid, String, Uuid)>,
}

impl People {
    pub fn of(frame: &Frame) -> People {
        let mut p = People::default();
        for u in &frame.people {
            if u.assignable {
                p.staff.push((u.id, u.name.clone(), u.org_id));
            }
            p.names.insert(u.id, u.name.clone());
        }
        p
    }

    pub fn name(&self, id: Option<Uuid>) -> String {
        id.and_then(|i| self.names.get(&i).cloned())
            .unwrap_or_default()
    }
}

/// The summary and the per-field reasons of a form the services refused.
/// Only input errors point at fields; a refused move or a conflict is told
/// as a whole.
pub fn form_failure(tr: &Tr<'static>, e: &diwan_services::Error) -> (String, FieldErrors) {
    let errors = match e.code() {
        ErrorCode::InvalidInput | ErrorCode::PayloadTooLarge | ErrorCode::UnsupportedMediaType => {
            FieldErrors::from_details(e.details())
        }
        _ => FieldErrors::default(),
    };
    (summary(tr, e.code(), &errors), errors)
}

/// The message above a failed form.
pub fn summary(tr: &Tr<'static>, code: ErrorCode, errors: &FieldErrors) -> String {
    if code == ErrorCode::InvalidInput && !errors.is_empty() {
        tr.t("form-errors")
    } else {
        tr.t_code("error-", code.as_str())
    }
}

/// The reasons of an invalid form, by field; the first reason of a field
/// is the one shown.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub BTreeMap<String, Reason>);

impl FieldErrors {
    pub fn from_details(details: &[(String, Reason)]) -> FieldErrors {
        let mut e = FieldErrors::default();
        for (field, reason) in details {
            e.add(field, *reason);
        }
        e
    }

    pub fn add(&mut self, field: &str, reason: Reason) {
        self.0.entry(field.to_owned()).or_insert(reason);
    }

    /// The services' error for a form refused before it reached them, so
    /// that it is shown as theirs are.
    pub fn into_error(self) -> diwan_services::Error {
        diwan_services::Error::Domain(diwan_domain::DomainError {
            code: ErrorCode::InvalidInput,
            details: self.0.into_iter().collect(),
            retry_after_secs: None,
        })
    }

    /// The Fluent key of the field's reason, or "" when it has none.
    pub fn get(&self, field: &str) -> &'static str {
        self.0.get(field).map(|r| r.key()).unwrap_or("")
    }

    pub fn reason(&self, field: &str) -> Option<Reason> {
        self.0.get(field).copied()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys of the reasons of fields no visible input shows.
    pub fn others(&self, shown: &[&str]) -> Vec<&'static str> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(_, r)| r.key())
            .collect()
    }
}

/// A human file size in the page's language.
pub fn file_size(tr: &Tr<'static>, bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 * 1024.0 {
        tr.t_s("size-kb", "size", &format!("{:.1}", b / 1024.0))
    } else {
        tr.t_s("size-mb", "size", &format!("{:.1}", b / (1024.0 * 1024.0)))
    }
}

/// One checkbox, radio button or option of a form.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The municipalities as checkboxes of an audience, those `chosen` ticked;
/// none when the caller writes to his own residents (`own`).
pub fn municipality_choices(
    frame: &Frame,
    tr: &Tr<'static>,
    own: bool,
    chosen: &[Uuid],
) -> Vec<Choice> {
    if own {
        return Vec::new();
    }
    Orgs::of(frame, tr)
        .of_kind(&[OrgKind::Municipality])
        .map(|o| Choice {
            value: o.id.to_string(),
            label: o.name(tr.code()).to_owned(),
            checked: chosen.contains(&o.id),
        })
        .collect()
}

/// The municipalities a form names (`municipality`, repeated); a value
/// that is no id is refused at `municipalities`.
pub fn read_municipalities(f: &super::form::Fields, errors: &mut FieldErrors) -> Vec<Uuid> {
    let mut out = Vec::new();
    for m in f.all("municipality") {
        match Uuid::try_parse(m.trim()) {
            Ok(id) => out.push(id),
            Err(_) => errors.add("municipalities", Reason::MunicipalityUnknown),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/cases?x=1"), Some("/cases?x=1"));
        assert_eq!(local_path("/"), Some("/"));
        for bad in [
            "",
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "cases",
            "/a\nb",
            "/a\\b",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sign_in_comes_back_to_a_page() {
        assert_eq!(return_path("/cases?state=open"), Some("/cases?state=open"));
        assert_eq!(return_path("/cases/abc/transitions"), Some("/cases/abc"));
        assert_eq!(return_path("/cases/abc/edit"), Some("/cases/abc"));
        assert_eq!(
            return_path("/account/tokens/abc/revoke"),
            Some("/account/tokens")
        );
        assert_eq!(return_path("/notifications/read"), Some("/notifications"));
        assert_eq!(return_path("/sign-out"), None);
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(pct("/cases?a=1&b=ب"), "%2Fcases%3Fa%3D1%26b%3D%D8%A8");
        assert_eq!(pct("a-b_c.d~"), "a-b_c.d~");
    }
}
