//! Notifications on SQLite.

use crate::convert::*;
use crate::{SqliteTx, Write};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

fn notification_from(r: &SqliteRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        kind: r.try_get("kind").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        at: from_ts(r.try_get("at").map_err(db)?)?,
        read_at: from_ts_opt(r.try_get("read_at").map_err(db)?)?,
    })
}

/// Appends one multi-row INSERT of notifications to a batch of held-back
/// writes.
pub(crate) fn push_insert(qb: &mut QueryBuilder<'_, Sqlite>, rows: &[Notification]) {
    qb.push(
        "INSERT INTO notifications (id, user_id, case_id, kind, tracking_number, at, read_at) ",
    );
    qb.push_values(rows, |mut b, n| {
        b.push_bind(n.id)
            .push_bind(n.user_id)
            .push_bind(n.case_id)
            .push_bind(n.kind.clone())
            .push_bind(n.tracking_number.clone())
            .push_bind(ts(n.at))
            .push_bind(ts_opt(n.read_at));
    });
    qb.push(";");
}

#[async_trait]
impl NotificationRead for SqliteTx {
    async fn list_notifications(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query("SELECT * FROM notifications WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) ORDER BY at DESC, id DESC LIMIT $3")
            .bind(user_id)
            .bind(unread_only)
            .bind(limit)
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(notification_from).collect()
    }

    async fn count_unread(&mut self, user_id: Uuid) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.read_conn().await?)
        .await
        .map_err(db)
    }
}

#[async_trait]
impl NotificationRepo for SqliteTx {
    async fn mark_notification_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let r = sqlx::query("UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND ($2 IS NULL OR id = $2) AND read_at IS NULL")
            .bind(user_id)
            .bind(id)
            .bind(ts(at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(r.rows_affected())
    }
    async fn insert_notifications(&mut self, n: &[Notification]) -> Result<()> {
        if !n.is_empty() {
            self.hold(Write::Notifications(n.to_vec()));
        }
        Ok(())
    }
}
