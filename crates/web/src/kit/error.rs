//! Errors as people see them. Every failure of a service carries a stable
//! code; here it becomes an HTTP status and a translated message, as JSON
//! for the API (`{code, message, details}`) or as a page for browsers.
//! Internal errors are logged with their cause and never shown.

use crate::i18n::{negotiate, I18n, Lang};
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use diwan_domain::ErrorCode;
use serde::Serialize;

/// The HTTP status of an error code (the table lives with the codes).
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error of the JSON API. It is rendered by [`localize_api_errors`],
/// which knows the language the client asked for.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub details: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            details: Vec::new(),
        }
    }
    pub fn invalid(field: &str, reason: &str) -> Self {
        ApiError {
            code: ErrorCode::InvalidInput,
            details: vec![(field.into(), reason.into())],
        }
    }
}

impl From<diwan_services::Error> for ApiError {
    fn from(e: diwan_services::Error) -> Self {
        if e.code() == ErrorCode::Internal {
            tracing::error!(error = ?e, "internal error");
        }
        ApiError {
            code: e.code(),
            details: e.details().to_vec(),
        }
    }
}

impl From<diwan_domain::DomainError> for ApiError {
    fn from(e: diwan_domain::DomainError) -> Self {
        ApiError {
            code: e.code,
            details: e.details,
        }
    }
}

fn rejection_reason(body_text: &str) -> String {
    // Axum's rejection texts are English and technical; they are kept as a
    // detail for developers while the message itself is translated.
    body_text.chars().take(300).collect()
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::PayloadTooLarge
        } else {
            ErrorCode::InvalidInput
        };
        ApiError {
            code,
            details: vec![("body".into(), rejection_reason(&r.body_text()))],
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError {
            code: ErrorCode::InvalidInput,
            details: vec![("query".into(), rejection_reason(&r.body_text()))],
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A malformed identifier names nothing that exists.
        ApiError::new(ErrorCode::NotFound)
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        ApiError {
            code: ErrorCode::InvalidInput,
            details: vec![("form".into(), rejection_reason(&r.body_text()))],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let mut res = status.into_response();
        if let Some(minutes) = self
            .details
            .iter()
            .find(|(k, _)| k == "retry_after_minutes")
            .and_then(|(_, v)| v.parse::<u64>().ok())
        {
            if let Ok(v) = header::HeaderValue::from_str(&(minutes * 60).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res.extensions_mut().insert(self);
        res
    }
}

/// The JSON body of an API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code, e.g. `not_found`, `invalid_input`.
    pub code: String,
    /// The message in the client's language (Accept-Language; Arabic by default).
    pub message: String,
    /// Per field: the translated reason.
    pub details: std::collections::BTreeMap<String, String>,
}

pub fn error_body(i18n: &I18n, lang: Lang, e: &ApiError) -> ErrorBody {
    let tr = i18n.tr(lang);
    ErrorBody {
        code: e.code.as_str().to_owned(),
        message: tr.t_code("error-", e.code.as_str()),
        details: e
            .details
            .iter()
            .map(|(field, reason)| {
                let key = reason.replace('_', "-");
                let msg = if i18n.has(lang, &key) {
                    tr.t(&key)
                } else {
                    reason.clone()
                };
                (field.clone(), msg)
            })
            .collect(),
    }
}

/// Renders [`ApiError`]s as JSON in the language the request asked for.
pub async fn localize_api_errors(req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let lang = negotiate(None, None, accept.as_deref());
    let mut res = next.run(req).await;
    if let Some(e) = res.extensions_mut().remove::<ApiError>() {
        let status = res.status();
        let body = error_body(I18n::global(), lang, &e);
        let mut out = (status, axum::Json(body)).into_response();
        if let Some(v) = res.headers().get(header::RETRY_AFTER).cloned() {
            out.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if e.code == ErrorCode::Unauthenticated {
            out.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        out.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            header::HeaderValue::from_static(lang.code()),
        );
        return out;
    }
    res
}
