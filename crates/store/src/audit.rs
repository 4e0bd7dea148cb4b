//! The audit trail: appended to, searched, never changed.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    /// The user name at the time, kept even if the account changes later.
    pub actor_name: String,
    /// The organization the actor acted for.
    pub org_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub action_prefix: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset: records strictly older than this one.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditRead {
    async fn search_audit(&mut self, q: &AuditQuery) -> Result<Vec<AuditRecord>>;
}

#[async_trait]
pub trait AuditRepo: AuditRead {
    /// Appends audit records, in one statement; may be held back until the
    /// next read or the commit. There is deliberately no way to change one.
    async fn append_audit(&mut self, r: &[AuditRecord]) -> Result<()>;
}
