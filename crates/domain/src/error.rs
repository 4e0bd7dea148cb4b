//! Stable error codes. Each code is snake_case, appears in API responses as
//! `code`, and doubles as the Fluent key of the message shown to people.

use serde::Serialize;
use std::fmt;

/// The stable, documented error codes of Diwan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Unauthenticated,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    Conflict,
    InvalidCredentials,
    TooManyAttempts,
    CsrfFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire and as a translation key.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status that carries the code. This table and [`Self::as_str`]
    /// are the one place where a code's wire name, status and translation key
    /// (`error-` followed by the name with dashes) are decided.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden | ErrorCode::CsrfFailed => 403,
            ErrorCode::InvalidInput => 400,
            ErrorCode::InvalidTransition | ErrorCode::Conflict => 409,
            ErrorCode::TooManyAttempts => 429,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Internal => 500,
        }
    }

    /// The Fluent key of the code's message.
    pub fn translation_key(self) -> String {
        format!("error-{}", self.as_str().replace('_', "-"))
    }

    /// Every code, for documentation and for checking that each one is translated.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::NotFound,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::InvalidInput,
        ErrorCode::InvalidTransition,
        ErrorCode::Conflict,
        ErrorCode::InvalidCredentials,
        ErrorCode::TooManyAttempts,
        ErrorCode::CsrfFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Internal,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure that people can be told about: a code, and details that say which
/// input was wrong (field name to a translation key of the reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}{}", details.iter().map(|(k, v)| format!(" {k}={v}")).collect::<String>())]
pub struct DomainError {
    pub code: ErrorCode,
    pub details: Vec<(String, String)>,
}

impl DomainError {
    pub fn new(code: ErrorCode) -> Self {
        DomainError {
            code,
            details: Vec::new(),
        }
    }

    /// An invalid field: `reason` is a translation key such as `field-required`.
    pub fn invalid(field: &str, reason: &str) -> Self {
        DomainError::new(ErrorCode::InvalidInput).with(field, reason)
    }

    pub fn not_found() -> Self {
        DomainError::new(ErrorCode::NotFound)
    }

    pub fn forbidden() -> Self {
        DomainError::new(ErrorCode::Forbidden)
    }

    pub fn with(mut self, field: &str, reason: &str) -> Self {
        self.details.push((field.to_owned(), reason.to_owned()));
        self
    }
}
