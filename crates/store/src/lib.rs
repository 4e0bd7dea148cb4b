//! Diwan's storage contract.
//!
//! Services see the database only through these traits. A [`Store`] hands out
//! transactions; a [`Tx`] offers one narrow, domain-shaped trait per area
//! (organizations, people and sign-in, cases, audit, notifications). Each
//! backend crate implements them with plain SQL of its own.
//!
//! Architecture invariant: there is no method that updates or deletes an audit
//! record; the backends also refuse such statements with triggers.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod notifications;
pub mod organizations;

pub use accounts::*;
pub use audit::*;
pub use cases::*;
pub use notifications::*;
pub use organizations::*;

use async_trait::async_trait;
use serde::Serialize;

/// A storage failure. Conflicts (a unique key taken) are told apart because
/// services turn them into answers people understand; everything else is an
/// internal error that is logged with its cause and never shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("not supported by this backend: {0}")]
    Unsupported(&'static str),
}

/// A `LIKE` pattern that matches values starting with `prefix`, the
/// pattern's own characters escaped with a backslash (used as
/// `LIKE … ESCAPE '\'` on both backends).
pub fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A database backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Opens a transaction. Every change of state and its audit record go
    /// through one transaction.
    async fn begin(&self) -> Result<Box<dyn Tx>>;
    /// Opens a transaction that only reads. On SQLite it runs beside the
    /// single writer instead of queueing behind it.
    async fn read(&self) -> Result<Box<dyn Tx>>;
    /// Applies pending migrations.
    async fn migrate(&self) -> Result<()>;
    /// Whether the database answers and every migration has been applied.
    async fn ready(&self) -> Result<Readiness>;
    /// Pool figures for the metrics endpoint.
    fn pool_stats(&self) -> PoolStats;
    /// Writes a consistent copy of the whole database to a new file at `to`
    /// while the database stays in use (SQLite). Backends with tools of
    /// their own for this (PostgreSQL: `pg_dump`) answer `Unsupported`.
    async fn backup(&self, to: &std::path::Path) -> Result<()>;
    /// The backend's name: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}

/// A transaction. Dropping it without [`Tx::commit`] rolls it back.
#[async_trait]
pub trait Tx: OrgRepo + UserRepo + CaseRepo + AuditRepo + NotificationRepo + Send {
    async fn commit(self: Box<Self>) -> Result<()>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub database: bool,
    pub migrations_current: bool,
}
