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

use super::auth::PageCtx;
use super::form::Fields;
use super::page::{finish, Fail};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use diwan_domain::text::constant_time_eq;
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
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if STREAMED.contains(&parts.uri.path()) && content_type.starts_with("multipart/form-data") {
        return streamed(&state, ctx, expected, &content_type, parts, body, next).await;
    }
    let limit = state.services.config.max_attachment_bytes + 64 * 1024;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return finish(&ctx, &state, Err(Fail::Page(ErrorCode::PayloadTooLarge))).await,
    };
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

/// Page forms whose body can be larger than anything kept in memory (a
/// registry file): their token must come first, and only the part of the
/// body before the file is read here; the rest streams on to the handler.
const STREAMED: &[&str] = &["/persons/imports"];

/// How much of a streamed form is read, at most, to find its token.
const TOKEN_WITHIN: usize = 16 * 1024;
/// In how many chunks of the body, at most.
const TOKEN_CHUNKS: usize = 64;

/// [`require_csrf`] for a form of [`STREAMED`]: reads the body until its
/// first part, the token, is complete, and hands the body on whole.
async fn streamed(
    state: &AppState,
    ctx: PageCtx,
    expected: String,
    content_type: &str,
    mut parts: axum::http::request::Parts,
    body: Body,
    next: Next,
) -> Response {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut head: Vec<bytes::Bytes> = Vec::new();
    let mut seen: Vec<u8> = Vec::new();
    let mut sent = None;
    // Each chunk is looked at once, and only so many: a body sent a byte
    // at a time costs no more than one sent whole.
    for _ in 0..TOKEN_CHUNKS {
        if seen.len() >= TOKEN_WITHIN {
            break;
        }
        match stream.next().await {
            Some(Ok(chunk)) => {
                seen.extend_from_slice(&chunk);
                head.push(chunk);
            }
            Some(Err(_)) => break,
            None => {
                sent = token_in(content_type, &bytes::Bytes::from(seen.clone())).await;
                break;
            }
        }
        // The first part is complete once a second boundary follows it.
        if let Some(t) = first_token(content_type, &seen).await {
            sent = Some(t);
            break;
        }
    }
    let sent = sent.unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &sent) {
        return finish(&ctx, state, Err(Fail::Page(ErrorCode::CsrfFailed))).await;
    }
    parts.extensions.insert(ctx);
    let whole = futures::stream::iter(head.into_iter().map(Ok::<_, axum::Error>)).chain(stream);
    next.run(Request::from_parts(parts, Body::from_stream(whole)))
        .await
        .into_response()
}

/// The `csrf` field when it is the first part of the multipart body that
/// starts with `head` and that part is complete.
async fn first_token(content_type: &str, head: &[u8]) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let delimiter = format!("\r\n--{boundary}");
    // The opening boundary, then the first part up to the next boundary.
    let opening = format!("--{boundary}");
    let start = head
        .windows(opening.len())
        .position(|w| w == opening.as_bytes())?;
    let rest = &head[start + boundary.len() + 2..];
    let end = rest
        .windows(delimiter.len())
        .position(|w| w == delimiter.as_bytes())?;
    let mut part = head[..start + boundary.len() + 2 + end].to_vec();
    part.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    token_in(content_type, &part.into()).await
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
