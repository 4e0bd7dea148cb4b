//! Sending an inquiry: when its start time comes (and its quiet hours are
//! over), each step either fixes the next run of its recipients (numbered
//! on from the last one fixed, in the order of the persons' ids; a random
//! sample all at once) or queues the first question to the next batch of
//! those fixed, in one transaction that also moves the inquiry's counts,
//! so that no step holds the database for long. A node stopped in the
//! middle loses nothing and repeats nothing: the next step goes on after
//! the last recipient committed. Pausing is seen at the next step (the
//! step's write is refused when the state moved).

use super::link_signature;
use crate::audit::record;
use crate::messaging::outgoing;
use crate::{Result, Services};
use chrono::{NaiveTime, Timelike};
use diwan_domain::inquiry::schedule::QuietHours;
use diwan_domain::inquiry::{self, Action, InquiryState};
use diwan_domain::messaging::{sms, Channel, Kind};
use diwan_domain::organizations::parse_time_zone;
use diwan_domain::persons::Language;
use diwan_store::{BulkTexts, Inquiry, MessageBatch, QuestionRun};
use serde_json::json;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

fn quiet_hours(i: &Inquiry) -> QuietHours {
    let t = |m: i32| {
        NaiveTime::from_hms_opt((m / 60) as u32 % 24, (m % 60) as u32, 0).unwrap_or_default()
    };
    QuietHours {
        start: t(i.quiet_start),
        end: t(i.quiet_end),
    }
}

impl Services {
    /// Sends inquiries until `shutdown` turns true.
    pub async fn run_inquiry_worker(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let worked = match self.inquiry_step().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "sending inquiries failed");
                    0
                }
            };
            if worked == 0 {
                tokio::select! {
                    _ = self.inquiries_waiting.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// One step of every inquiry due: starts those approved, queues the
    /// next batch of those sending; returns how many recipients were
    /// queued or fixed.
    pub async fn inquiry_step(&self) -> Result<usize> {
        let now = self.now();
        let due = {
            let mut tx = self.store.read().await?;
            tx.inquiries_due(&[InquiryState::Approved, InquiryState::Sending], now)
                .await?
        };
        let mut worked = 0;
        for i in due {
            let tz = {
                let mut tx = self.store.read().await?;
                let orgs = self.cache.orgs(&mut *tx).await?;
                orgs.iter()
                    .find(|o| o.id == i.org_id)
                    .and_then(|o| parse_time_zone(&o.time_zone).ok())
                    .unwrap_or(chrono_tz::Africa::Tripoli)
            };
            if quiet_hours(&i).next_allowed(tz, now) > now {
                continue;
            }
            worked += match i.state {
                InquiryState::Approved => self.start_inquiry(i.id).await?,
                _ => self.queue_inquiry_batch(i.id).await?,
            };
        }
        Ok(worked)
    }

    /// Fixes an approved inquiry's recipients and opens its message batch,
    /// unless another step did first.
    async fn start_inquiry(&self, id: Uuid) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(mut i) = tx.lock_inquiry(id).await? else {
            return Ok(0);
        };
        if i.state != InquiryState::Approved {
            return Ok(0);
        }
        let batch = MessageBatch {
            id: Uuid::now_v7(),
            org_id: i.org_id,
            created_by: Some(i.created_by),
            channel: Channel::Sms,
            kind: Kind::Bulk,
            subject: None,
            body: i
                .questions
                .first()
                .map(|q| q.text.ar.clone())
                .unwrap_or_default(),
            total: 0,
            created_at: now,
        };
        tx.insert_message_batch(&batch).await?;
        let before = i.state;
        i.state = inquiry::next(before, Action::Start).unwrap_or(InquiryState::Sending);
        // Fixed a run at a time by the steps that follow.
        i.recipients = 0;
        i.recipients_fixed = false;
        i.batch_id = Some(batch.id);
        i.updated_at = now;
        if !tx.update_inquiry(&i, before).await? {
            return Ok(0);
        }
        record(
            &mut *tx,
            None,
            now,
            "inquiry.start",
            "inquiry",
            Some(i.id.to_string()),
            json!({"batch": batch.id}),
        )
        .await?;
        tx.commit().await?;
        Ok(1)
    }

    /// Queues the first question to the next batch of an inquiry's
    /// recipients; the last batch opens the inquiry.
    async fn queue_inquiry_batch(&self, id: Uuid) -> Result<usize> {
        let now = self.now();
        let settings = &self.config.inquiry;
        let mut tx = self.store.begin().await?;
        let Some(mut i) = tx.lock_inquiry(id).await? else {
            return Ok(0);
        };
        if i.state != InquiryState::Sending {
            return Ok(0);
        }
        let (Some(code), Some(q)) = (i.code.clone(), i.questions.first().cloned()) else {
            return Ok(0);
        };
        let mut worked_fixing = 0;
        let validity = self.messaging().sms_validity;
        let queued = if i.queued >= i.recipients {
            // Every recipient fixed so far was asked: the next run of them
            // is fixed (all at once for a random sample).
            if !i.recipients_fixed {
                let run = settings.fix_run.max(1);
                let n = tx
                    .fix_inquiry_recipients(i.id, &Self::audience_of(&i), i.recipients, run)
                    .await?;
                let before = i.recipients;
                i.recipients += n;
                i.recipients_fixed = n < run || i.sample.is_some();
                if statistics_due(before, i.recipients, i.recipients_fixed) {
                    tx.refresh_inquiry_statistics().await?;
                }
                worked_fixing = n as usize;
            }
            0
        } else if i.web_link {
            // Each recipient's link is signed apart: rendered one by one.
            let recipients = tx
                .inquiry_recipients(i.id, i.queued, settings.batch.max(1))
                .await?;
            let mut messages = Vec::with_capacity(recipients.len());
            for r in &recipients {
                let mut u = settings.public_url.clone();
                u.set_path(&format!(
                    "/i/{code}/{}/{}",
                    r.n,
                    link_signature(&i.link_key, r.n)
                ));
                let text = inquiry::question_sms(&q, r.language, &code, Some(u.as_str()));
                let parts = sms::count(&text).parts as i32;
                messages.push(outgoing(
                    Channel::Sms,
                    i.org_id,
                    Kind::Bulk,
                    r.mobile.clone(),
                    Some(r.person_id),
                    r.language.as_str().to_owned(),
                    None,
                    text,
                    parts,
                    i.batch_id,
                    now,
                    validity,
                ));
            }
            tx.queue_messages(&messages).await?;
            if let Some(last) = recipients.last() {
                i.queued = last.n;
            }
            messages.len()
        } else {
            // The same text for everyone of a language: one statement.
            let texts = Language::ALL.map(|l| {
                let text = inquiry::question_sms(&q, l, &code, None);
                let parts = sms::count(&text).parts as i32;
                (text, parts)
            });
            let upto = (i.queued + settings.batch_in_sql.max(1)).min(i.recipients);
            let n = match i.batch_id {
                Some(batch_id) => {
                    tx.queue_question_run(&QuestionRun {
                        inquiry_id: i.id,
                        batch_id,
                        org_id: i.org_id,
                        after: i.queued,
                        upto,
                        texts: BulkTexts { texts },
                        now,
                        expires_at: now
                            + chrono::Duration::from_std(validity)
                                .unwrap_or(chrono::Duration::days(1)),
                    })
                    .await?
                }
                None => 0,
            };
            i.queued = upto;
            n as usize
        };
        let before = i.state;
        let finished = i.recipients_fixed && i.queued >= i.recipients;
        if finished {
            i.state = inquiry::next(before, Action::Finish).unwrap_or(InquiryState::Open);
        }
        i.updated_at = now;
        if !tx.update_inquiry(&i, before).await? {
            // Paused or closed meanwhile: this batch waits, unqueued.
            return Ok(0);
        }
        if finished {
            record(
                &mut *tx,
                None,
                now,
                "inquiry.sent",
                "inquiry",
                Some(i.id.to_string()),
                json!({"recipients": i.recipients}),
            )
            .await?;
        }
        tx.commit().await?;
        if queued > 0 {
            self.messages_waiting.notify_one();
        }
        metrics::counter!("diwan_inquiry_questions_queued_total").increment(queued as u64);
        Ok(queued.max(worked_fixing).max(finished as usize))
    }
}

/// Whether a run of recipients fixed, taking an inquiry's from `before` to
/// `after`, should refresh the planner's statistics: at its first run, at
/// its last, and each time their number doubles, so that replies, which
/// come as soon as the first questions go, keep an index's plan while the
/// table grows by a million (a few refreshes, some 100 ms each).
fn statistics_due(before: i64, after: i64, last: bool) -> bool {
    after > before && (last || before <= 0 || super::doubled(before, after))
}

/// Minutes after midnight of a local time, as inquiries keep quiet hours.
pub fn minutes_of(t: NaiveTime) -> i32 {
    (t.hour() * 60 + t.minute()) as i32
}

#[cfg(test)]
mod tests {
    use super::statistics_due;

    #[test]
    fn statistics_are_refreshed_at_the_first_run_the_last_and_each_doubling() {
        let run = 20_000;
        let mut refreshed = Vec::new();
        let mut fixed = 0;
        while fixed < 1_000_000 {
            let after = fixed + run;
            if statistics_due(fixed, after, after == 1_000_000) {
                refreshed.push(after);
            }
            fixed = after;
        }
        assert_eq!(
            refreshed,
            [20_000, 40_000, 80_000, 140_000, 280_000, 540_000, 1_000_000]
        );
        // One run that fixes everyone, and a run that fixed no one.
        assert!(statistics_due(0, 500, true));
        assert!(!statistics_due(40_000, 40_000, true));
    }
}
