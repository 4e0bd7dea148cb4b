//! The outbox's worker: takes due messages of each channel in batches,
//! hands them to the channel's gateway (Kannel, the mail relay) at the
//! channel's rate, and records what each attempt came to.
//!
//! A batch is taken in one transaction (`sending`, under a lease) and its
//! outcomes recorded in another once every message of it was tried, so
//! that a node stopped in between leaves its messages to be taken again
//! when the lease runs out, unless a delivery report said meanwhile that
//! they went. Bulk messages to a number that opted out are not sent: the
//! opt-out is checked when the message is taken, not only when it was
//! queued. Temporary failures are tried again after a growing delay
//! ([`retry_delay`]), up to [`MAX_ATTEMPTS`]; permanent ones end the message
//! as failed with the gateway's answer.

use super::kannel::SendError;
use crate::Services;
use diwan_domain::messaging::{retry_delay, Channel, Kind, State, MAX_ATTEMPTS};
use diwan_store::{Attempt, OutboxMessage};
use futures::StreamExt;
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Messages handed to the gateway at once.
const IN_FLIGHT: usize = 64;

/// The task that writes what a batch's attempts came to.
pub type Recording = tokio::task::JoinHandle<Result<(), diwan_store::StoreError>>;

/// Waits for the recording of the last batch, if any, and logs its failure
/// (its messages are then taken again when their lease runs out).
async fn finish_recording(record: &mut Option<Recording>) {
    if let Some(r) = record.take() {
        match r.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "recording message attempts failed"),
            Err(e) => tracing::error!(error = %e, "recording message attempts stopped"),
        }
    }
}

/// Where a channel's messages are handed over.
enum Gateway<'a> {
    Kannel(&'a super::kannel::Kannel),
    Smtp(&'a super::email::Smtp),
}

impl Services {
    /// Sends messages until `shutdown` turns true.
    pub async fn run_message_worker(&self, mut shutdown: watch::Receiver<bool>) {
        let mut paces = [Instant::now(), Instant::now()];
        let mut records: [Option<Recording>; 2] = [None, None];
        let mut last_expiry = Instant::now() - Duration::from_secs(3600);
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_expiry.elapsed() > Duration::from_secs(30) {
                last_expiry = Instant::now();
                if let Err(e) = self.expire_messages().await {
                    tracing::error!(error = %e, "expiring messages failed");
                }
            }
            let mut worked = 0;
            for ((channel, pace), record) in Channel::ALL
                .into_iter()
                .zip(paces.iter_mut())
                .zip(records.iter_mut())
            {
                match self.send_due(channel, pace, record).await {
                    Ok(n) => worked += n,
                    Err(e) => {
                        tracing::error!(error = %e, channel = channel.as_str(), "sending messages failed")
                    }
                }
            }
            if worked == 0 {
                // Idle: what was sent last is recorded before waiting.
                for r in records.iter_mut() {
                    finish_recording(r).await;
                }
                tokio::select! {
                    _ = self.messages_waiting.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        for r in records.iter_mut() {
            finish_recording(r).await;
        }
    }

    async fn expire_messages(&self) -> crate::Result<()> {
        loop {
            let mut tx = self.store.begin().await?;
            let n = tx.expire_messages(self.now(), 1000).await?;
            tx.commit().await?;
            if n > 0 {
                metrics::counter!("diwan_messages_expired_total").increment(n);
            }
            if n < 1000 {
                return Ok(());
            }
        }
    }

    /// Takes one batch of due messages of `channel`, sends it, records it;
    /// returns how many messages it took (none when the channel has no
    /// gateway).
    ///
    /// What a batch's attempts came to is written by a task of its own while
    /// the next batch is taken and sent; `record` holds it, and is awaited
    /// before the next one starts, so that at most one batch is being
    /// recorded per channel.
    pub async fn send_due(
        &self,
        channel: Channel,
        pace: &mut Instant,
        record: &mut Option<Recording>,
    ) -> crate::Result<usize> {
        let settings = self.messaging();
        let gateway = match channel {
            Channel::Sms => settings.kannel.as_ref().map(Gateway::Kannel),
            Channel::Email => settings.smtp.as_ref().map(Gateway::Smtp),
        };
        let Some(gateway) = gateway else {
            return Ok(0);
        };
        let rate = match channel {
            Channel::Sms => settings.sms_per_second,
            Channel::Email => settings.email_per_second,
        }
        .max(1);
        // About a second of sending per batch, at most 500 messages.
        let limit = rate.clamp(1, 500) as i64;
        let now = self.now();
        let until = now + settings.lease;
        let mut tx = self.store.begin().await?;
        let taken = tx.claim_messages(channel, now, until, limit).await?;
        tx.commit().await?;
        if taken.is_empty() {
            return Ok(0);
        }
        let bulk: Vec<String> = taken
            .iter()
            .filter(|m| m.kind == Kind::Bulk)
            .map(|m| m.recipient.clone())
            .collect();
        let opted_out: HashSet<String> = if bulk.is_empty() {
            HashSet::new()
        } else {
            let mut r = self.store.read().await?;
            r.opted_out(Channel::Sms, &bulk)
                .await?
                .into_iter()
                .collect()
        };
        let gap = Duration::from_secs_f64(1.0 / rate as f64);
        let (skipped, to_send): (Vec<OutboxMessage>, Vec<OutboxMessage>) = taken
            .into_iter()
            .partition(|m| m.kind == Kind::Bulk && opted_out.contains(&m.recipient));
        let http = self.http.clone();
        let results: Vec<(OutboxMessage, Result<(), SendError>)> = futures::stream::iter(to_send)
            .then(|m| {
                // Pacing: one message every `gap`, never a burst to catch up.
                // A start within the timer's millisecond is taken at once:
                // a sleep, however short, lasts until the timer's next tick.
                let now = Instant::now();
                let start = (*pace).max(now);
                *pace = start + gap;
                async move {
                    if start > now + Duration::from_millis(1) {
                        tokio::time::sleep_until(start).await;
                    }
                    m
                }
            })
            .map(|m| {
                let (g, h, s) = (&gateway, &http, settings);
                async move {
                    let r = match g {
                        Gateway::Kannel(k) => k.send(h, &m, s).await,
                        Gateway::Smtp(smtp) => smtp.send(&m).await,
                    };
                    (m, r)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let at = self.now();
        let mut attempts = Vec::with_capacity(results.len() + skipped.len());
        for m in &skipped {
            attempts.push(Attempt {
                id: m.id,
                state: State::Failed,
                attempts: m.attempts,
                next_attempt_at: m.next_attempt_at,
                error: Some("opted_out".into()),
                at,
            });
        }
        let mut sent = 0u64;
        let mut failed = 0u64;
        let mut retried = 0u64;
        for (m, r) in &results {
            let tries = m.attempts + 1;
            attempts.push(match r {
                Ok(()) => {
                    sent += 1;
                    Attempt {
                        id: m.id,
                        state: State::Sent,
                        attempts: tries,
                        next_attempt_at: m.next_attempt_at,
                        error: None,
                        at,
                    }
                }
                Err(SendError::Temporary(e)) if (tries as u32) < MAX_ATTEMPTS => {
                    retried += 1;
                    let delay = chrono::Duration::from_std(retry_delay(tries as u32))
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                    Attempt {
                        id: m.id,
                        state: State::Queued,
                        attempts: tries,
                        next_attempt_at: at + delay,
                        error: Some(e.clone()),
                        at,
                    }
                }
                Err(SendError::Temporary(e) | SendError::Permanent(e)) => {
                    failed += 1;
                    Attempt {
                        id: m.id,
                        state: State::Failed,
                        attempts: tries,
                        next_attempt_at: m.next_attempt_at,
                        error: Some(e.clone()),
                        at,
                    }
                }
            });
        }
        finish_recording(record).await;
        let store = self.store.clone();
        *record = Some(tokio::spawn(async move {
            let mut tx = store.begin().await?;
            tx.record_attempts(&attempts).await?;
            tx.commit().await?;
            Ok(())
        }));
        let c = |s: &'static str, n: u64| {
            metrics::counter!("diwan_messages_attempts_total", "channel" => channel.as_str(), "outcome" => s)
                .increment(n)
        };
        c("sent", sent);
        c("retry", retried);
        c("failed", failed);
        c("opted_out", skipped.len() as u64);
        if retried > 0 || failed > 0 {
            tracing::warn!(
                channel = channel.as_str(),
                sent,
                retried,
                failed,
                "message attempts failed"
            );
        }
        Ok(skipped.len() + results.len())
    }
}
