//! Extractors of the JSON API: bodies, query strings and path parameters
//! whose rejections become Diwan's JSON errors, and the client's address.

use super::auth::client_ip;
use super::error::ApiError;
use super::form::{read_bool, read_day, read_uuid, Fields};
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::Json;
use chrono::NaiveDate;
use diwan_domain::ErrorCode;
use diwan_domain::Reason;
use uuid::Uuid;

/// JSON bodies whose rejections become Diwan's JSON errors. Every string in
/// the body is cleaned of control and bidirectional override characters and
/// bounded in length before the handler sees it.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<serde_json::Value>::from_request(req, state).await?;
        clean_json(&mut value);
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| body_error(&e.to_string()))
    }
}

/// What a body that does not fit its type gets wrong, from serde's words:
/// a missing or unknown field is named; anything else is the body's.
fn body_error(text: &str) -> ApiError {
    let named = |prefix: &str| {
        text.strip_prefix(prefix)
            .and_then(|r| r.split('`').next())
            .filter(|f| !f.is_empty() && f.len() <= 64)
            .map(str::to_owned)
    };
    let (field, reason) = if let Some(f) = named("missing field `") {
        (f, Reason::FieldRequired)
    } else if let Some(f) = named("unknown field `") {
        (f, Reason::FieldUnknown)
    } else {
        ("body".to_owned(), Reason::BodyMalformed)
    };
    tracing::debug!(%field, text = %text.chars().take(300).collect::<String>(), "body refused");
    ApiError {
        code: ErrorCode::InvalidInput,
        details: vec![(field, reason)],
        retry_after_secs: None,
    }
}

fn clean_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(c) = diwan_domain::text::clean_input(s) {
                *s = c;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(clean_json),
        serde_json::Value::Object(o) => o.values_mut().for_each(clean_json),
        _ => {}
    }
}

/// Query strings whose rejections become Diwan's JSON errors; their values
/// are cleaned as JSON strings are.
pub struct ApiQuery<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let fields = Fields::from_query(parts.uri.query());
        let uri: axum::http::Uri = format!("/?{}", fields.encode())
            .parse()
            .map_err(|_| ApiError::invalid("query", Reason::QueryMalformed))?;
        Ok(ApiQuery(Query::<T>::try_from_uri(&uri)?.0))
    }
}

/// Path parameters; a malformed one names nothing, so it is a 404.
pub struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiPath(
            Path::<T>::from_request_parts(parts, state).await?.0,
        ))
    }
}

/// A path parameter of a page. A value that is not UTF-8 (`%ff`) names
/// nothing a page could show: it reads as empty, which no identifier or
/// file name matches, so the page answers with its own "not found" instead
/// of the framework's plain-text rejection.
pub struct PagePath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PagePath {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PagePath(
            Path::<String>::from_request_parts(parts, state)
                .await
                .map(|p| p.0)
                .unwrap_or_default(),
        ))
    }
}

/// What a JSON handler answers.
pub type ApiResult<T> = Result<Json<T>, ApiError>;

/// The client's address, for audit records.
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_ip(parts, state.web.trusted_proxies)))
    }
}

/// An optional identifier in a query string.
pub fn parse_uuid(field: &str, v: &Option<String>) -> Result<Option<Uuid>, ApiError> {
    read_uuid(v.as_deref()).map_err(|reason| ApiError::invalid(field, reason))
}

/// An optional yes/no value in a query string.
pub fn parse_bool(field: &str, v: &Option<String>) -> Result<Option<bool>, ApiError> {
    read_bool(v.as_deref()).map_err(|reason| ApiError::invalid(field, reason))
}

/// An optional day in a query string.
pub fn parse_day(field: &str, v: &Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    read_day(v.as_deref()).map_err(|reason| ApiError::invalid(field, reason))
}

/// The JSON API's answer to a path it does not have.
pub async fn api_not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound)
}
