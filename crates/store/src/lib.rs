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

mod model;

pub use model::*;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

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

#[async_trait]
pub trait OrgRepo {
    async fn insert_org(&mut self, org: &Organization) -> Result<()>;
    async fn get_org(&mut self, id: Uuid) -> Result<Option<Organization>>;
    async fn list_orgs(&mut self) -> Result<Vec<Organization>>;
    async fn insert_holiday(&mut self, org_id: Uuid, day: NaiveDate, name: &str) -> Result<()>;
    async fn holidays(
        &mut self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>>;
}

#[async_trait]
pub trait UserRepo {
    async fn insert_user(&mut self, user: &User) -> Result<()>;
    async fn get_user(&mut self, id: Uuid) -> Result<Option<User>>;
    async fn user_by_username(&mut self, username: &str) -> Result<Option<User>>;
    async fn list_users(&mut self, org_id: Option<Uuid>) -> Result<Vec<User>>;
    async fn count_users(&mut self) -> Result<i64>;
    /// Counts one failed sign-in in a single statement (never read, then
    /// written back, so concurrent failures all count) and locks the account
    /// until `lock_until` when the count reaches `threshold`. Returns the new
    /// count and the end of the lock, if any.
    async fn record_sign_in_failure(
        &mut self,
        id: Uuid,
        threshold: i32,
        lock_until: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>)>;
    async fn record_sign_in_success(&mut self, id: Uuid) -> Result<()>;
    async fn set_password(&mut self, id: Uuid, password_hash: &str) -> Result<()>;
    async fn set_locale(&mut self, id: Uuid, locale: &str) -> Result<()>;

    async fn insert_session(&mut self, s: &Session) -> Result<()>;
    async fn session_by_hash(&mut self, token_hash: &[u8]) -> Result<Option<Session>>;
    async fn touch_session(&mut self, token_hash: &[u8], expires_at: DateTime<Utc>) -> Result<()>;
    async fn end_session(&mut self, token_hash: &[u8]) -> Result<()>;
    async fn end_user_sessions(&mut self, user_id: Uuid) -> Result<()>;
    /// Ends every session of a person but the one whose token hashes to `keep`.
    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &[u8]) -> Result<()>;

    async fn insert_api_token(&mut self, t: &ApiToken) -> Result<()>;
    async fn api_token_by_hash(&mut self, token_hash: &[u8]) -> Result<Option<ApiToken>>;
    async fn list_api_tokens(&mut self, user_id: Uuid) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Revokes every live token of a person (after a password reset).
    async fn revoke_user_tokens(&mut self, user_id: Uuid, at: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
pub trait CaseRepo {
    async fn upsert_case_type(&mut self, t: &CaseType) -> Result<()>;
    async fn list_case_types(&mut self) -> Result<Vec<CaseType>>;
    async fn get_case_type(&mut self, id: Uuid) -> Result<Option<CaseType>>;

    /// Takes the next number of the per-prefix, per-year sequence.
    async fn next_tracking_seq(&mut self, prefix: &str, year: i32) -> Result<u64>;
    async fn insert_case(&mut self, c: &Case) -> Result<()>;
    /// Saves every mutable column of a case.
    async fn update_case(&mut self, c: &Case) -> Result<()>;
    /// Reads a case and, on backends that can, locks it until the transaction ends.
    async fn get_case(&mut self, id: Uuid) -> Result<Option<Case>>;
    async fn case_by_tracking(&mut self, tracking: &str) -> Result<Option<Case>>;
    async fn list_cases(&mut self, q: &CaseQuery) -> Result<Vec<CaseRow>>;
    async fn count_cases(&mut self, q: &CaseCount) -> Result<CaseCounts>;

    async fn insert_event(&mut self, e: &CaseEvent) -> Result<()>;
    async fn list_events(&mut self, case_id: Uuid) -> Result<Vec<CaseEvent>>;
    async fn insert_message(&mut self, m: &Message) -> Result<()>;
    async fn list_messages(
        &mut self,
        case_id: Uuid,
        include_internal: bool,
    ) -> Result<Vec<Message>>;
    async fn insert_attachment(&mut self, a: &Attachment) -> Result<()>;
    async fn list_attachments(&mut self, case_id: Uuid) -> Result<Vec<Attachment>>;
    async fn get_attachment(&mut self, id: Uuid) -> Result<Option<Attachment>>;

    /// Marks as overdue every case whose clock runs and whose due date is
    /// before `today`, and returns them. Safe to run on several nodes at once:
    /// each case is returned by exactly one run.
    async fn mark_overdue(&mut self, today: NaiveDate, limit: i64) -> Result<Vec<Case>>;
    /// How many cases wait to be marked overdue (the job queue's depth).
    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64>;
}

#[async_trait]
pub trait AuditRepo {
    /// Appends an audit record. There is deliberately no way to change one.
    async fn append_audit(&mut self, r: &AuditRecord) -> Result<()>;
    async fn search_audit(&mut self, q: &AuditQuery) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait NotificationRepo {
    async fn insert_notification(&mut self, n: &Notification) -> Result<()>;
    async fn list_notifications(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>>;
    async fn count_unread(&mut self, user_id: Uuid) -> Result<i64>;
    async fn mark_notification_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<u64>;
}
