//! The embedded stylesheet and icon: `/static/{name}`.

use crate::assets;
use crate::kit::extract::PagePath;
use axum::extract::RawQuery;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /static/{name}`: long-lived and immutable when the link carries a
/// version (`?v=…`), an hour otherwise; `304` for a matching `If-None-Match`.
pub async fn serve(
    PagePath(name): PagePath,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some((bytes, content_type)) = assets::get(&name) else {
        // No session look-up for files: the page is the signed-out one.
        return crate::kit::page::plain_error_page(&headers, diwan_domain::ErrorCode::NotFound);
    };
    let versioned = q
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p == "v" || p.starts_with("v=")));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let etag = assets::etag(&name);
    let matches = match (
        etag,
        headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
    ) {
        (Some(tag), Some(sent)) => sent
            .split(',')
            .map(str::trim)
            .any(|s| s == "*" || s == tag || s.strip_prefix("W/") == Some(tag)),
        _ => false,
    };
    let mut res = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = res.headers_mut();
    if !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(tag) = etag {
        h.insert(header::ETAG, HeaderValue::from_static(tag));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
