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
use diwan_domain::{ErrorCode, Reason};
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
    pub details: Vec<(String, Reason)>,
    /// Seconds until a refused attempt is accepted again (`Retry-After`).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            details: Vec::new(),
            retry_after_secs: None,
        }
    }
    pub fn invalid(field: &str, reason: Reason) -> Self {
        ApiError {
            code: ErrorCode::InvalidInput,
            details: vec![(field.into(), reason)],
            retry_after_secs: None,
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
            retry_after_secs: e.retry_after_secs(),
        }
    }
}

impl From<diwan_domain::DomainError> for ApiError {
    fn from(e: diwan_domain::DomainError) -> Self {
        ApiError {
            code: e.code,
            details: e.details,
            retry_after_secs: e.retry_after_secs,
        }
    }
}

/// A request the extractors could not read. Axum's texts are English and
/// technical: they go to the log for developers, the client gets a reason
/// of the closed set.
fn malformed(code: ErrorCode, field: &str, reason: Reason, text: &str) -> ApiError {
    tracing::debug!(field, reason = %text.chars().take(300).collect::<String>(), "malformed request");
    ApiError {
        code,
        details: vec![(field.into(), reason)],
        retry_after_secs: None,
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let code = if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::PayloadTooLarge
        } else {
            ErrorCode::InvalidInput
        };
        malformed(code, "body", Reason::BodyMalformed, &r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        malformed(
            ErrorCode::InvalidInput,
            "query",
            Reason::QueryMalformed,
            &r.body_text(),
        )
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
        malformed(
            ErrorCode::InvalidInput,
            "form",
            Reason::BodyMalformed,
            &r.body_text(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let mut res = status.into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
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
            .map(|(field, reason)| (field.clone(), tr.t(reason.key())))
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
        for kept in [header::RETRY_AFTER, header::CONNECTION] {
            if let Some(v) = res.headers().get(&kept).cloned() {
                out.headers_mut().insert(kept, v);
            }
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
