//! Background work that runs inside `diwan serve`: the overdue sweep, and
//! the worker of imports of persons (`persons::imports`), and the outbox's
//! (`messaging::worker`).
//!
//! Several nodes may run it at once against one PostgreSQL database: the
//! store marks each case overdue in exactly one of them.

use crate::audit::entry;
use crate::notifications::notices;
use crate::organizations::today_in;
use crate::{Result, Services};
use serde_json::json;
use std::time::Duration;
use tokio::sync::watch;

const BATCH: i64 = 200;

impl Services {
    /// Marks overdue every case whose due date has passed, notifies whoever
    /// holds it and audits it; returns how many were marked.
    pub async fn sweep_overdue(&self) -> Result<usize> {
        let now = self.now();
        let mut total = 0;
        loop {
            let mut tx = self.store.begin().await?;
            let m = self.ministry(&mut *tx).await?;
            let today = today_in(&m.time_zone, now);
            let marked = tx.mark_overdue(today, BATCH).await?;
            let mut notifications = Vec::new();
            let mut audit = Vec::new();
            for case in &marked {
                let to = self.holders(&mut *tx, case).await?;
                notices(&mut notifications, &to, "overdue", case, now);
                audit.push(entry(
                    None,
                    now,
                    "case.overdue",
                    "case",
                    Some(case.id.to_string()),
                    json!({"tracking_number": case.tracking_number, "due_date": case.due_date}),
                ));
            }
            tx.insert_notifications(&notifications).await?;
            tx.append_audit(&audit).await?;
            tx.commit().await?;
            total += marked.len();
            if (marked.len() as i64) < BATCH {
                break;
            }
        }
        if total > 0 {
            tracing::info!(marked = total, "cases marked overdue");
        }
        Ok(total)
    }

    /// How many cases wait for the sweep.
    pub async fn job_queue_depth(&self) -> Result<i64> {
        let mut tx = self.store.read().await?;
        let m = self.ministry(&mut *tx).await?;
        Ok(tx
            .pending_overdue(today_in(&m.time_zone, self.now()))
            .await?)
    }

    /// Runs the background jobs until `shutdown` turns true: the sweep
    /// every `every`, imports of persons as they come.
    pub async fn run_workers(&self, every: Duration, shutdown: watch::Receiver<bool>) {
        tokio::join!(
            self.run_sweeps(every, shutdown.clone()),
            self.run_import_worker(shutdown.clone()),
            self.run_message_worker(shutdown.clone()),
            self.run_inquiry_worker(shutdown)
        );
    }

    async fn run_sweeps(&self, every: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.sweep_overdue().await {
                        tracing::error!(error = %e, "overdue sweep failed");
                    }
                    if let Ok(depth) = self.job_queue_depth().await {
                        metrics::gauge!("diwan_job_queue_depth").set(depth as f64);
                    }
                    if let Ok(counts) = self.message_counts().await {
                        for c in counts {
                            metrics::gauge!("diwan_messages", "channel" => c.channel.as_str(), "state" => c.state.as_str())
                                .set(c.count as f64);
                        }
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    }
}
