//! The in-app notification centre for staff.

use crate::{Caller, Result, Services};
use chrono::{DateTime, Utc};
use diwan_store::{Case, Notification, Tx};
use uuid::Uuid;

/// Notifies each of `users` about `case`, inside the caller's transaction.
pub async fn notify(
    tx: &mut dyn Tx,
    users: &[Uuid],
    kind: &str,
    case: &Case,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut out = Vec::new();
    notices(&mut out, users, kind, case, now);
    tx.insert_notifications(&out).await?;
    Ok(())
}

/// Adds to `out` one notification about `case` for each of `users` who has
/// none of this kind about it in `out` yet.
pub fn notices(
    out: &mut Vec<Notification>,
    users: &[Uuid],
    kind: &str,
    case: &Case,
    now: DateTime<Utc>,
) {
    for u in users {
        if out
            .iter()
            .any(|n| n.user_id == *u && n.kind == kind && n.case_id == Some(case.id))
        {
            continue;
        }
        out.push(Notification {
            id: Uuid::now_v7(),
            user_id: *u,
            case_id: Some(case.id),
            kind: kind.to_owned(),
            tracking_number: case.tracking_number.clone(),
            at: now,
            read_at: None,
        });
    }
}

impl Services {
    pub async fn notifications(
        &self,
        caller: &Caller,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let mut tx = self.store.read().await?;
        Ok(tx
            .list_notifications(caller.user_id, unread_only, limit.clamp(1, 200))
            .await?)
    }

    /// The notification centre's page.
    pub async fn notifications_page(
        &self,
        caller: &Caller,
        limit: i64,
    ) -> Result<crate::frame::Shown<Vec<Notification>>> {
        let mut tx = self.store.read().await?;
        let body = tx
            .list_notifications(caller.user_id, false, limit.clamp(1, 200))
            .await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(crate::frame::Shown { frame, body })
    }

    pub async fn unread_count(&self, caller: &Caller) -> Result<i64> {
        let mut tx = self.store.read().await?;
        Ok(tx.count_unread(caller.user_id).await?)
    }

    /// Marks one notification (or all, with `None`) as read.
    pub async fn mark_read(&self, caller: &Caller, id: Option<Uuid>) -> Result<u64> {
        if !caller.has_write_scope() {
            return Err(crate::Error::forbidden());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let n = tx.mark_notification_read(caller.user_id, id, now).await?;
        crate::audit::record(
            &mut *tx,
            Some(caller),
            now,
            "notification.read",
            "notification",
            id.map(|i| i.to_string()),
            serde_json::json!({"count": n}),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}
