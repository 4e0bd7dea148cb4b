//! One layer that refuses every state-changing page request without the
//! right anti-forgery token, so that no page handler has to remember to check.
//!
//! For a signed-in browser the token is the session's. Requests from visitors
//! who are not signed in change nothing but the visitor's own cookies and
//! pass on; the sign-in form, which has no session yet, checks its own
//! double-submitted token (the same random value in a cookie and in the form)
//! so that it can show the form again with a fresh one. The token is read from
//! the form body, urlencoded or multipart; the body is then handed on
//! unchanged to the handler.

use super::auth::{constant_time_eq, PageCtx};
use super::form::Fields;
use super::page::{finish, Fail};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use diwan_domain::ErrorCode;

/// The layer: see the module's documentation.
pub async fn require_csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let ctx = match PageCtx::from_request_parts(&mut parts, &state).await {
        Ok(c) => c,
        Err(never) => match never {},
    };
    let expected = if ctx.caller.is_some() && parts.uri.path() != "/sign-in" {
        ctx.csrf.clone()
    } else {
        // Not signed in: the handler answers with the sign-in page or only
        // sets a cookie of the visitor's own.
        parts.extensions.insert(ctx);
        return next.run(Request::from_parts(parts, body)).await;
    };
    let limit = state.services.config.max_attachment_bytes + 64 * 1024;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return finish(&ctx, &state, Err(Fail::Page(ErrorCode::PayloadTooLarge))).await,
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let sent = token_in(&content_type, &bytes).await.unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &sent) {
        return finish(&ctx, &state, Err(Fail::Page(ErrorCode::CsrfFailed))).await;
    }
    // The handler's own extractor finds who is calling here instead of
    // looking the session up a second time.
    parts.extensions.insert(ctx);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
        .into_response()
}

/// The `csrf` field of a form body.
async fn token_in(content_type: &str, body: &bytes::Bytes) -> Option<String> {
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let data = body.clone();
        let stream = futures::stream::once(async move { Ok::<_, std::convert::Infallible>(data) });
        let mut mp = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some("csrf") {
                return field.text().await.ok();
            }
        }
        None
    } else {
        Some(Fields::parse(body).get("csrf").to_owned())
    }
}
