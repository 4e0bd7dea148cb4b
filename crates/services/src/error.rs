//! The services' error: either something people can be told (a domain
//! error with a stable code) or an internal failure that is logged, not shown.

use diwan_domain::{DomainError, ErrorCode, Reason};
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

    pub fn details(&self) -> &[(String, Reason)] {
        match self {
            Error::Domain(d) => &d.details,
            _ => &[],
        }
    }

    /// For a refusal that passes: seconds until an attempt is accepted.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::Domain(d) => d.retry_after_secs,
            _ => None,
        }
    }

    pub fn not_found() -> Self {
        Error::Domain(DomainError::not_found())
    }

    pub fn unauthenticated() -> Self {
        Error::Domain(DomainError::new(ErrorCode::Unauthenticated))
    }

    pub fn forbidden() -> Self {
        Error::Domain(DomainError::forbidden())
    }

    pub fn invalid(field: &str, reason: Reason) -> Self {
        Error::Domain(DomainError::invalid(field, reason))
    }
}

/// The mistakes found in one request, gathered so that a form shows them
/// all at once instead of one per try.
#[derive(Debug, Default)]
pub struct Problems {
    details: Vec<(String, Reason)>,
    /// The code of the first mistake that is not plain invalid input (a
    /// file too large, of a refused type).
    code: Option<ErrorCode>,
}

impl Problems {
    pub fn add(&mut self, field: &str, reason: Reason) {
        if !self.details.iter().any(|(f, _)| f == field) {
            self.details.push((field.to_owned(), reason));
        }
    }

    /// Keeps the mistakes of `r`, if it failed for the caller's input;
    /// any other failure is returned.
    pub fn take<T>(&mut self, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::Domain(d)) if !d.details.is_empty() => {
                if d.code != ErrorCode::InvalidInput && self.code.is_none() {
                    self.code = Some(d.code);
                }
                for (f, r) in d.details {
                    self.add(&f, r);
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.details.is_empty()
    }

    /// `Ok` when nothing was wrong. With several mistakes the answer is
    /// `invalid_input`; with one, its own code.
    pub fn finish(self) -> Result<()> {
        if self.details.is_empty() {
            return Ok(());
        }
        let code = match (self.details.len(), self.code) {
            (1, Some(c)) => c,
            _ => ErrorCode::InvalidInput,
        };
        Err(Error::Domain(DomainError {
            code,
            details: self.details,
            retry_after_secs: None,
        }))
    }
}
