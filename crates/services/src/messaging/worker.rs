//! The outbox's worker: takes due messages of each channel in batches,
//! hands them to the channel's gateway (Kannel, the mail relay) at the
//! channel's rate, and records what each attempt came to.
//!
//! Each channel runs three parts side by side, so that the gateway always
//! has messages in flight: the taker claims a batch in one transaction
//! (`sending`, under a lease) and holds it until the sender has room (one
//! batch waits while another is sent); the sender hands the messages over,
//! [`IN_FLIGHT`] at a time, moving from one batch to the next without
//! waiting for the first one's last answers; the recorder writes what the
//! attempts came to, those ready when it looks in one transaction. A node
//! stopped in between leaves its messages to be taken again when the lease
//! runs out, unless a delivery report said meanwhile that they went. Bulk
//! messages to a number that opted out are not sent: the opt-out is checked
//! when the message is taken, not only when it was queued. Temporary
//! failures are tried again after a growing delay ([`retry_delay`]), up to
//! [`MAX_ATTEMPTS`]; permanent ones end the message as failed with the
//! gateway's answer.

use super::kannel::SendError;
use crate::Services;
use diwan_domain::messaging::{retry_delay, Channel, Kind, State, MAX_ATTEMPTS};
use diwan_store::{Attempt, OutboxMessage};
use futures::StreamExt;
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Messages handed to the gateway at once.
const IN_FLIGHT: usize = 64;

/// The error of a bulk message not sent because its number opted out.
const OPTED_OUT: &str = "opted_out";

/// Attempts written in one transaction at most.
const RECORDED_AT_ONCE: usize = 1000;

/// Where a channel's messages are handed over.
#[derive(Clone, Copy)]
enum Gateway<'a> {
    Kannel(&'a super::kannel::Kannel),
    Smtp(&'a super::email::Smtp),
}

impl Services {
    /// Wakes every channel's taker: messages were queued.
    pub(crate) fn messages_queued(&self) {
        self.messages_waiting
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Sends messages until `shutdown` turns true; what was taken by then
    /// is sent and recorded before it returns.
    pub async fn run_message_worker(&self, shutdown: watch::Receiver<bool>) {
        tokio::join!(
            self.run_expiry(shutdown.clone()),
            self.run_channel(Channel::Sms, shutdown.clone()),
            self.run_channel(Channel::Email, shutdown),
        );
    }

    /// Ends the messages whose time ran out, every 30 seconds.
    async fn run_expiry(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Err(e) = self.expire_messages().await {
                tracing::error!(error = %e, "expiring messages failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = shutdown.changed() => {}
            }
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

    /// Sends `channel`'s messages until `shutdown` turns true (at once
    /// when the channel has no gateway).
    async fn run_channel(&self, channel: Channel, shutdown: watch::Receiver<bool>) {
        let settings = self.messaging();
        let gateway = match channel {
            Channel::Sms => settings.kannel.as_ref().map(Gateway::Kannel),
            Channel::Email => settings.smtp.as_ref().map(Gateway::Smtp),
        };
        let Some(gateway) = gateway else {
            return;
        };
        let rate = match channel {
            Channel::Sms => settings.sms_per_second,
            Channel::Email => settings.email_per_second,
        }
        .max(1);
        let (batches, taken) = mpsc::channel::<Vec<OutboxMessage>>(1);
        let (done, attempts) = mpsc::unbounded_channel::<Attempt>();
        tokio::join!(
            self.take_batches(channel, rate, batches, done.clone(), shutdown),
            self.send_batches(gateway, rate, taken, done),
            self.record(channel, attempts),
        );
    }

    /// Claims `channel`'s due messages a batch at a time and hands them to
    /// `batches`, until `shutdown` turns true; the attempts of those not
    /// sent (opted out) go straight to `done`.
    async fn take_batches(
        &self,
        channel: Channel,
        rate: u32,
        batches: mpsc::Sender<Vec<OutboxMessage>>,
        done: mpsc::UnboundedSender<Attempt>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut waiting = self.messages_waiting.subscribe();
        loop {
            if *shutdown.borrow() {
                return;
            }
            // Seen before claiming: a message queued meanwhile wakes the
            // wait below.
            waiting.borrow_and_update();
            let batch = match self.take_batch(channel, rate, &done).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, channel = channel.as_str(), "taking messages failed");
                    None
                }
            };
            match batch {
                Some(b) if b.is_empty() => {}
                Some(b) => {
                    if batches.send(b).await.is_err() {
                        return;
                    }
                }
                None => {
                    tokio::select! {
                        _ = waiting.changed() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
    }

    /// Takes one batch of due messages of `channel`: those to send, or
    /// none when there were none due. The attempts of those taken but not
    /// to be sent go to `done`.
    async fn take_batch(
        &self,
        channel: Channel,
        rate: u32,
        done: &mpsc::UnboundedSender<Attempt>,
    ) -> crate::Result<Option<Vec<OutboxMessage>>> {
        let settings = self.messaging();
        // About a second of sending per batch, at most 500 messages.
        let limit = rate.clamp(1, 500) as i64;
        let now = self.now();
        let until = now + settings.lease;
        let mut tx = self.store.begin().await?;
        let taken = tx.claim_messages(channel, now, until, limit).await?;
        tx.commit().await?;
        if taken.is_empty() {
            return Ok(None);
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
        let (skipped, to_send): (Vec<OutboxMessage>, Vec<OutboxMessage>) = taken
            .into_iter()
            .partition(|m| m.kind == Kind::Bulk && opted_out.contains(&m.recipient));
        let at = self.now();
        for m in skipped {
            let _ = done.send(Attempt {
                id: m.id,
                state: State::Failed,
                attempts: m.attempts,
                next_attempt_at: m.next_attempt_at,
                error: Some(OPTED_OUT.into()),
                at,
            });
        }
        Ok(Some(to_send))
    }

    /// Hands the messages of `taken` to `gateway`, [`IN_FLIGHT`] at a time
    /// and one every 1/`rate` second at most, and what each came to to
    /// `done`, until `taken` closes.
    async fn send_batches(
        &self,
        gateway: Gateway<'_>,
        rate: u32,
        taken: mpsc::Receiver<Vec<OutboxMessage>>,
        done: mpsc::UnboundedSender<Attempt>,
    ) {
        let settings = self.messaging();
        let http = &self.http;
        let gap = Duration::from_secs_f64(1.0 / rate as f64);
        let mut pace = Instant::now();
        futures::stream::unfold(taken, |mut taken| async move {
            taken.recv().await.map(|batch| (batch, taken))
        })
        .flat_map(futures::stream::iter)
        .then(|m| {
            // Pacing: one message every `gap`, never a burst to catch up.
            // A start within the timer's millisecond is taken at once: a
            // sleep, however short, lasts until the timer's next tick.
            let now = Instant::now();
            let start = pace.max(now);
            pace = start + gap;
            async move {
                if start > now + Duration::from_millis(1) {
                    tokio::time::sleep_until(start).await;
                }
                m
            }
        })
        .map(|m| async move {
            let r = match gateway {
                Gateway::Kannel(k) => k.send(http, &m, settings).await,
                Gateway::Smtp(smtp) => smtp.send(&m).await,
            };
            (m, r)
        })
        .buffer_unordered(IN_FLIGHT)
        .for_each(|(m, r)| {
            let _ = done.send(attempt_of(&m, r, self.now()));
            async {}
        })
        .await;
    }

    /// Writes the attempts of `attempts` as they come, those waiting when
    /// it looks in one transaction, until `attempts` closes. A write that
    /// fails is logged: its messages are taken again when their lease runs
    /// out.
    async fn record(&self, channel: Channel, mut attempts: mpsc::UnboundedReceiver<Attempt>) {
        let mut ready = Vec::with_capacity(RECORDED_AT_ONCE);
        while attempts.recv_many(&mut ready, RECORDED_AT_ONCE).await > 0 {
            let written = async {
                let mut tx = self.store.begin().await?;
                tx.record_attempts(&ready).await?;
                tx.commit().await
            };
            if let Err(e) = written.await {
                tracing::error!(error = %e, channel = channel.as_str(), "recording message attempts failed");
            }
            // What the attempts came to, counted once per group.
            let (mut sent, mut retried, mut failed, mut opted_out) = (0u64, 0u64, 0u64, 0u64);
            for a in &ready {
                match (a.state, a.error.as_deref()) {
                    (State::Failed, Some(OPTED_OUT)) => opted_out += 1,
                    (State::Failed, _) => failed += 1,
                    (State::Queued, _) => retried += 1,
                    _ => sent += 1,
                }
            }
            for (outcome, n) in [
                ("sent", sent),
                ("retry", retried),
                ("failed", failed),
                ("opted_out", opted_out),
            ] {
                metrics::counter!("diwan_messages_attempts_total", "channel" => channel.as_str(), "outcome" => outcome)
                    .increment(n);
            }
            if retried > 0 || failed > 0 {
                let error = ready.iter().rev().find_map(|a| a.error.as_deref());
                tracing::warn!(
                    channel = channel.as_str(),
                    retried,
                    failed,
                    last_error = error,
                    "message attempts failed"
                );
            }
            ready.clear();
        }
    }
}

/// What handing `m` to the gateway came to, as the attempt to record.
fn attempt_of(
    m: &OutboxMessage,
    r: Result<(), SendError>,
    at: chrono::DateTime<chrono::Utc>,
) -> Attempt {
    let tries = m.attempts + 1;
    let (state, next_attempt_at, error) = match r {
        Ok(()) => (State::Sent, m.next_attempt_at, None),
        Err(SendError::Temporary(e)) if (tries as u32) < MAX_ATTEMPTS => {
            let delay = chrono::Duration::from_std(retry_delay(tries as u32))
                .unwrap_or_else(|_| chrono::Duration::hours(1));
            (State::Queued, at + delay, Some(e))
        }
        Err(SendError::Temporary(e) | SendError::Permanent(e)) => {
            (State::Failed, m.next_attempt_at, Some(e))
        }
    };
    Attempt {
        id: m.id,
        state,
        attempts: tries,
        next_attempt_at,
        error,
        at,
    }
}
