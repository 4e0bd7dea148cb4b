//! Diwan's storage contract.
//!
//! Services see the database only through these traits. A [`Store`] hands out
//! transactions of two kinds: a [`ReadTx`], which can only read, and a
//! [`Tx`], which can also write and must be committed. Each offers one
//! narrow, domain-shaped trait per area (organizations, people and
//! sign-in, cases, audit, notifications, the registry of persons,
//! messaging, the national inquiry), split
//! in two: the area's reads (`OrgRead`, `UserRead`, `CaseRead`,
//! `AuditRead`, `NotificationRead`, `PersonRead`, `MessageRead`,
//! `TemplateRead`, `InquiryRead`) and its
//! writes (`OrgRepo`, `UserRepo`, `CaseRepo`, `AuditRepo`,
//! `NotificationRepo`, `PersonRepo`, `MessageRepo`, `TemplateRepo`, `InquiryRepo`). Each backend crate implements them with plain SQL of its
//! own.
//!
//! Writes that answer nothing — new and changed cases, history, messages,
//! attachments, audit records, notifications — may be held by the backend
//! and sent together, in the order they were made, before the
//! transaction's next read and at its commit, so that a use case costs few
//! round trips. An error such a write causes is reported by the call that
//! sends it: the next read, or the commit.
//!
//! Architecture invariant: there is no method that updates or deletes an audit
//! record; the backends also refuse such statements with triggers.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod inquiry;
pub mod messaging;
pub mod notifications;
pub mod organizations;
pub mod persons;

pub use accounts::*;
pub use audit::*;
pub use cases::*;
pub use inquiry::*;
pub use messaging::*;
pub use notifications::*;
pub use organizations::*;
pub use persons::*;

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
    /// Files a case decided in full, in one transaction: takes the next
    /// number of its sequence (no number is lost if it fails), names the
    /// case with it ([`Filing::name`]) and writes the case and everything
    /// that goes with it. Returns the case as written, once durable. On
    /// SQLite the single writer runs it itself, back to back with the other
    /// filings waiting, without lending its connection to another task; on
    /// PostgreSQL the node's filer writes the filings waiting at that moment
    /// in one transaction, their numbers taken last in one upsert, so that
    /// they share the sequence row's lock and one commit.
    async fn file_case(&self, f: Filing) -> Result<Case>;
    /// Opens a transaction that only reads: it has no method that writes,
    /// and the database refuses writes on it too (SQLite's readers are
    /// opened read-only, PostgreSQL's connections for reading default to
    /// read-only transactions). Each statement sees the data committed when
    /// it starts (PostgreSQL's READ COMMITTED): a read use case that needs
    /// one snapshot across statements reads in a [`Tx`]. On SQLite it runs
    /// beside the single writer instead of queueing behind it. A
    /// connection is taken only at the first statement; dropping it ends it.
    async fn read(&self) -> Result<Box<dyn ReadTx>>;
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

/// A transaction that reads: the reads of every area.
pub trait ReadTx:
    OrgRead
    + UserRead
    + CaseRead
    + AuditRead
    + NotificationRead
    + PersonRead
    + MessageRead
    + TemplateRead
    + InquiryRead
    + Send
{
}

/// A transaction that reads and writes. Dropping it without [`Tx::commit`]
/// rolls it back, writes held back included.
#[async_trait]
pub trait Tx:
    ReadTx
    + OrgRepo
    + UserRepo
    + CaseRepo
    + AuditRepo
    + NotificationRepo
    + PersonRepo
    + MessageRepo
    + TemplateRepo
    + InquiryRepo
    + Send
{
    /// Sends the writes held back and commits. Returns once the changes are
    /// durable: on SQLite, when the group of transactions it was committed
    /// with is.
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
