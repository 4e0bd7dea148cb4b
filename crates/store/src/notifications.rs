//! Notifications: what a person is told about their cases.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub case_id: Option<Uuid>,
    /// `assigned`, `reply_received`, `overdue`, `answered`, `info_requested`, `routed`.
    pub kind: String,
    pub tracking_number: String,
    pub at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait NotificationRead {
    async fn list_notifications(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>>;
    async fn count_unread(&mut self, user_id: Uuid) -> Result<i64>;
}

#[async_trait]
pub trait NotificationRepo: NotificationRead {
    /// Adds notifications, in one statement; may be held back until the
    /// next read or the commit.
    async fn insert_notifications(&mut self, n: &[Notification]) -> Result<()>;
    async fn mark_notification_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<u64>;
}
