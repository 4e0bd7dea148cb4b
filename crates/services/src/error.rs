//! The services' error: either something people can be told (a domain
//! error with a stable code) or an internal failure that is logged, not shown.

use diwan_domain::{DomainError, ErrorCode};
use diwan_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("file store: {0}")]
    Files(#[from] object_store::Error),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Domain(d) => d.code,
            Error::Store(StoreError::Conflict(_)) => ErrorCode::Conflict,
            _ => ErrorCode::Internal,
        }
    }

    pub fn details(&self) -> &[(String, String)] {
        match self {
            Error::Domain(d) => &d.details,
            _ => &[],
        }
    }

    pub fn not_found() -> Self {
        Error::Domain(DomainError::not_found())
    }

    pub fn forbidden() -> Self {
        Error::Domain(DomainError::forbidden())
    }

    pub fn invalid(field: &str, reason: &str) -> Self {
        Error::Domain(DomainError::invalid(field, reason))
    }
}
