//! Building audit records. Every service that changes state calls
//! [`record`] inside its transaction, before committing.

use crate::{Caller, Result};
use chrono::{DateTime, NaiveDate, Utc};
use diwan_store::{AuditQuery, AuditRecord, ReadTx, Tx};
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
    let r = entry(caller, at, action, object_type, object_id, details);
    tx.append_audit(std::slice::from_ref(&r)).await?;
    Ok(())
}

/// The audit record of `caller` (or the system when `None`) doing `action`,
/// for a use case that appends several at once.
pub fn entry(
    caller: Option<&Caller>,
    at: DateTime<Utc>,
    action: &str,
    object_type: &str,
    object_id: Option<String>,
    details: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
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
    }
}

impl crate::Services {
    /// Searches the audit trail. Only auditors and administrators may; the
    /// actor's user name, when given, is looked up only after that check, so
    /// that nobody else can learn which names exist. A name nobody has finds
    /// nothing.
    pub async fn search_audit(
        &self,
        caller: &Caller,
        q: AuditQuery,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>> {
        if !matches!(
            caller.role,
            diwan_domain::Role::Auditor | diwan_domain::Role::Admin
        ) {
            return Err(crate::Error::not_found());
        }
        let mut tx = self.store.read().await?;
        self.audit_in(&mut *tx, q, actor).await
    }

    /// The audit trail's page: the records found and the frame. `days`
    /// bound the search by calendar days of the ministry (from the start of
    /// the first to the end of the second); with `run` false only the
    /// frame is read (the form had mistakes).
    pub async fn audit_page(
        &self,
        caller: &Caller,
        mut q: AuditQuery,
        actor: Option<&str>,
        days: (Option<NaiveDate>, Option<NaiveDate>),
        run: bool,
    ) -> Result<crate::frame::Shown<Vec<AuditRecord>>> {
        if !matches!(
            caller.role,
            diwan_domain::Role::Auditor | diwan_domain::Role::Admin
        ) {
            return Err(crate::Error::not_found());
        }
        let mut tx = self.store.read().await?;
        let body = if run {
            let tz = self.ministry(&mut *tx).await?.time_zone;
            let start = |d: NaiveDate| crate::organizations::start_of_day(&tz, d);
            q.from = days.0.and_then(start);
            q.to = days.1.and_then(|d| d.succ_opt()).and_then(start);
            self.audit_in(&mut *tx, q, actor).await?
        } else {
            Vec::new()
        };
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(crate::frame::Shown { frame, body })
    }

    async fn audit_in(
        &self,
        tx: &mut dyn ReadTx,
        mut q: AuditQuery,
        actor: Option<&str>,
    ) -> Result<Vec<AuditRecord>> {
        q.limit = q.limit.clamp(1, 200);
        if let Some(name) = actor.map(str::trim).filter(|a| !a.is_empty()) {
            match tx.user_by_username(&name.to_lowercase()).await? {
                Some(u) => q.actor_id = Some(u.id),
                None => return Ok(Vec::new()),
            }
        }
        Ok(tx.search_audit(&q).await?)
    }
}
