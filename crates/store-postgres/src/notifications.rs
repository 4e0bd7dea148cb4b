//! Notifications on PostgreSQL.

use crate::convert::*;
use crate::pending::Rows;
use crate::{PostgresTx, Write};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

fn notification_from(r: &PgRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        kind: r.try_get("kind").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        at: r.try_get("at").map_err(db)?,
        read_at: r.try_get("read_at").map_err(db)?,
    })
}

/// Appends one INSERT of notifications (for a batch of held-back writes).
pub(crate) fn push_insert(qb: &mut QueryBuilder<'_, Postgres>, rows: &[Notification]) {
    qb.push(
        "INSERT INTO notifications (id, user_id, case_id, kind, tracking_number, at, read_at) ",
    );
    Rows::new(qb, rows)
        .column("uuid", |n| n.id)
        .column("uuid", |n| n.user_id)
        .column("uuid", |n| n.case_id)
        .column("text", |n| n.kind.clone())
        .column("text", |n| n.tracking_number.clone())
        .column("timestamptz", |n| n.at)
        .column("timestamptz", |n| n.read_at)
        .end();
}

#[async_trait]
impl NotificationRead for PostgresTx {
    async fn list_notifications(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query("SELECT * FROM notifications WHERE user_id = $1 AND (NOT $2::boolean OR read_at IS NULL) ORDER BY at DESC, id DESC LIMIT $3")
            .bind(user_id)
            .bind(unread_only)
            .bind(limit)
            .fetch_all(self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(notification_from).collect()
    }

    async fn count_unread(&mut self, user_id: Uuid) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.conn().await?)
        .await
        .map_err(db)
    }
}

#[async_trait]
impl NotificationRepo for PostgresTx {
    async fn mark_notification_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let r = sqlx::query("UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2) AND read_at IS NULL")
            .bind(user_id)
            .bind(id)
            .bind(at)
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
