//! Building audit records. Every service that changes state calls
//! [`record`] inside its transaction, before committing.

use crate::{Caller, Result};
use chrono::{DateTime, Utc};
use diwan_store::{AuditQuery, AuditRecord, Tx};
use uuid::Uuid;

/// Appends an audit record for `caller` (or the system when `None`).
pub async fn record(
    tx: &mut dyn Tx,
    caller: Option<&Caller>,
    at: DateTime<Utc>,
    action: &str,
    object_type: &str,
    object_id: Option<String>,
    details: serde_json::Value,
) -> Result<()> {
    let r = AuditRecord {
        id: Uuid::now_v7(),
        at,
        actor_id: caller.map(|c| c.user_id).filter(|id| !id.is_nil()),
        actor_name: caller.map_or_else(|| "system".to_owned(), |c| c.username.clone()),
        org_id: caller.map(|c| c.org_id).filter(|id| !id.is_nil()),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id,
        ip: caller.and_then(|c| c.ip.clone()),
        details,
    };
    tx.append_audit(&r).await?;
    Ok(())
}

impl crate::Services {
    /// Searches the audit trail. Only auditors and administrators may; the
    /// actor's user name, when given, is looked up only after that check, so
    /// that nobody else can learn which names exist. A name nobody has finds
    /// nothing.
    pub async fn search_audit(
        &self,
        caller: &Caller,
        mut q: AuditQuery,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>> {
        if !matches!(
            caller.role,
            diwan_domain::Role::Auditor | diwan_domain::Role::Admin
        ) {
            return Err(crate::Error::not_found());
        }
        q.limit = q.limit.clamp(1, 200);
        let mut tx = self.store.read().await?;
        if let Some(name) = actor.map(str::trim).filter(|a| !a.is_empty()) {
            match tx.user_by_username(&name.to_lowercase()).await? {
                Some(u) => q.actor_id = Some(u.id),
                None => return Ok(Vec::new()),
            }
        }
        Ok(tx.search_audit(&q).await?)
    }
}
