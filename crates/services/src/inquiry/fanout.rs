//! Sending an inquiry: when its start time comes (and its quiet hours are
//! over), each step fixes the next run of its recipients (numbered on from
//! the last one fixed, in the order of the persons' ids; a random sample
//! all at once) and, at the same time, queues the first question to the
//! run fixed before: two transactions, each also moving the inquiry's
//! counts, so that no step holds the database for long and, on PostgreSQL,
//! the two runs are written side by side. Each writes its run first and
//! locks the inquiry's row last, only to write its counts, so that neither
//! waits for the other. A node stopped in the middle loses nothing and
//! repeats nothing: the next step goes on after the last recipient
//! committed; a run another node's step wrote first is dropped. Pausing is
//! seen at the next step (a step's write is dropped when the state moved).

use super::link_signature;
use crate::audit::record;
use crate::messaging::outgoing;
use crate::{Result, Services};
use chrono::{DateTime, NaiveTime, Timelike, Utc};
use diwan_domain::inquiry::schedule::QuietHours;
use diwan_domain::inquiry::{self, Action, InquiryState};
use diwan_domain::messaging::{sms, Channel, Kind};
use diwan_domain::organizations::parse_time_zone;
use diwan_domain::persons::Language;
use diwan_store::{BulkTexts, Inquiry, MessageBatch, QuestionRun, StoreError, Tx};
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

    /// One step of an inquiry being sent: fixes the next run of its
    /// recipients and, at the same time, queues the first question to the
    /// run fixed before (two transactions, which PostgreSQL runs side by
    /// side; SQLite's one writer, one after the other). Returns how many
    /// recipients were fixed or queued.
    async fn queue_inquiry_batch(&self, id: Uuid) -> Result<usize> {
        let i = {
            let mut tx = self.store.read().await?;
            tx.get_inquiry(id).await?
        };
        let Some(i) = i else {
            return Ok(0);
        };
        if i.state != InquiryState::Sending {
            return Ok(0);
        }
        // Fixed at most one run ahead of those asked.
        let fix = !i.recipients_fixed && i.recipients - i.queued <= self.config.inquiry.fix_run;
        let ask = i.queued < i.recipients;
        let (fixed, asked) = tokio::join!(
            async {
                if fix || !ask {
                    self.fix_recipients(id).await
                } else {
                    Ok(0)
                }
            },
            async {
                if ask {
                    self.ask_first_question(id).await
                } else {
                    Ok(0)
                }
            },
        );
        Ok(fixed?.max(asked?))
    }

    /// Fixes the next run of an inquiry's recipients (all of them at once
    /// for a random sample). The inquiry's row is locked last, once the run
    /// is written, so that the step that queues questions meanwhile is not
    /// kept waiting; the run is dropped if another step fixed it first, or
    /// the inquiry was paused or closed meanwhile.
    async fn fix_recipients(&self, id: Uuid) -> Result<usize> {
        let now = self.now();
        let run = self.config.inquiry.fix_run.max(1);
        let mut tx = self.store.begin().await?;
        let Some(seen) = tx.get_inquiry(id).await? else {
            return Ok(0);
        };
        let mut fixed = 0;
        if seen.state == InquiryState::Sending && !seen.recipients_fixed {
            let r = tx
                .fix_inquiry_recipients(id, &Self::audience_of(&seen), seen.recipients, run)
                .await;
            let Some(n) = unless_written_first(r)? else {
                return Ok(0);
            };
            fixed = n;
        }
        let Some(mut i) = tx.lock_inquiry(id).await? else {
            return Ok(0);
        };
        if i.state != InquiryState::Sending
            || i.recipients != seen.recipients
            || i.recipients_fixed != seen.recipients_fixed
        {
            return Ok(0);
        }
        let before = i.recipients;
        let was_fixed = i.recipients_fixed;
        i.recipients += fixed;
        i.recipients_fixed = i.recipients_fixed || fixed < run || i.sample.is_some();
        if statistics_due(before, i.recipients, !was_fixed && i.recipients_fixed) {
            tx.refresh_inquiry_statistics().await?;
        }
        let finished = self.settle(&mut *tx, &mut i, now).await?;
        if !finished && fixed == 0 && before == i.recipients && seen.recipients_fixed {
            // Nothing to fix and nothing to finish.
            return Ok(0);
        }
        tx.commit().await?;
        Ok((fixed as usize).max(finished as usize))
    }

    /// Queues the first question to the next batch of an inquiry's fixed
    /// recipients, its row locked last as [`Self::fix_recipients`] does.
    async fn ask_first_question(&self, id: Uuid) -> Result<usize> {
        let now = self.now();
        let settings = &self.config.inquiry;
        let mut tx = self.store.begin().await?;
        let Some(seen) = tx.get_inquiry(id).await? else {
            return Ok(0);
        };
        if seen.state != InquiryState::Sending || seen.queued >= seen.recipients {
            return Ok(0);
        }
        let (Some(code), Some(q)) = (seen.code.clone(), seen.questions.first().cloned()) else {
            return Ok(0);
        };
        let validity = self.messaging().sms_validity;
        let (queued, upto) = if seen.web_link {
            // Each recipient's link is signed apart: rendered one by one.
            let recipients = tx
                .inquiry_recipients(seen.id, seen.queued, settings.batch.max(1))
                .await?;
            let mut messages = Vec::with_capacity(recipients.len());
            for r in &recipients {
                let mut u = settings.public_url.clone();
                u.set_path(&format!(
                    "/i/{code}/{}/{}",
                    r.n,
                    link_signature(&seen.link_key, r.n)
                ));
                let text = inquiry::question_sms(&q, r.language, &code, Some(u.as_str()));
                let parts = sms::count(&text).parts as i32;
                messages.push(outgoing(
                    Channel::Sms,
                    seen.org_id,
                    Kind::Bulk,
                    r.mobile.clone(),
                    Some(r.person_id),
                    r.language.as_str().to_owned(),
                    None,
                    text,
                    parts,
                    seen.batch_id,
                    now,
                    validity,
                ));
            }
            if unless_written_first(tx.queue_messages(&messages).await)?.is_none() {
                return Ok(0);
            }
            (
                messages.len(),
                recipients.last().map_or(seen.queued, |r| r.n),
            )
        } else {
            // The same text for everyone of a language: one statement.
            let texts = Language::ALL.map(|l| {
                let text = inquiry::question_sms(&q, l, &code, None);
                let parts = sms::count(&text).parts as i32;
                (text, parts)
            });
            let upto = (seen.queued + settings.batch_in_sql.max(1)).min(seen.recipients);
            let n = match seen.batch_id {
                Some(batch_id) => {
                    let r = tx
                        .queue_question_run(&QuestionRun {
                            inquiry_id: seen.id,
                            batch_id,
                            org_id: seen.org_id,
                            after: seen.queued,
                            upto,
                            texts: BulkTexts { texts },
                            now,
                            expires_at: now
                                + chrono::Duration::from_std(validity)
                                    .unwrap_or(chrono::Duration::days(1)),
                        })
                        .await;
                    let Some(n) = unless_written_first(r)? else {
                        return Ok(0);
                    };
                    n
                }
                None => 0,
            };
            (n as usize, upto)
        };
        let progressed = upto > seen.queued;
        let Some(mut i) = tx.lock_inquiry(id).await? else {
            return Ok(0);
        };
        if i.state != InquiryState::Sending || i.queued != seen.queued {
            // Paused or closed meanwhile, or queued by another node: this
            // batch waits, unqueued.
            return Ok(0);
        }
        i.queued = upto;
        let finished = self.settle(&mut *tx, &mut i, now).await?;
        tx.commit().await?;
        if queued > 0 {
            self.messages_queued();
        }
        metrics::counter!("diwan_inquiry_questions_queued_total").increment(queued as u64);
        Ok(queued.max(finished as usize).max(progressed as usize))
    }

    /// Writes a step's counts to the inquiry (whose row the transaction
    /// holds), and opens it to answers if every recipient is fixed and
    /// asked; returns whether it did.
    async fn settle(&self, tx: &mut dyn Tx, i: &mut Inquiry, now: DateTime<Utc>) -> Result<bool> {
        let before = i.state;
        let finished = i.recipients_fixed && i.queued >= i.recipients;
        if finished {
            i.state = inquiry::next(before, Action::Finish).unwrap_or(InquiryState::Open);
        }
        i.updated_at = now;
        if !tx.update_inquiry(i, before).await? {
            return Ok(false);
        }
        if finished {
            record(
                tx,
                None,
                now,
                "inquiry.sent",
                "inquiry",
                Some(i.id.to_string()),
                json!({"recipients": i.recipients}),
            )
            .await?;
        }
        Ok(finished)
    }
}

/// What a step's write of a run came to: `None` if another node's step
/// wrote the same run first (its unique key refused this one).
fn unless_written_first<T>(r: diwan_store::Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether a run of recipients fixed, taking an inquiry's from `before` to
/// `after`, should refresh the planner's statistics: at its first run, each
/// time their number doubles, and once they are all fixed (`finished`: the
/// run that found fewer than a run's worth, none when the audience is a
/// whole number of runs), so that replies, which come as soon as the first
/// questions go, keep an index's plan while the table grows by a million
/// (a few refreshes, some 100 ms each).
fn statistics_due(before: i64, after: i64, finished: bool) -> bool {
    after > 0 && (finished || (after > before && (before <= 0 || super::doubled(before, after))))
}

/// Minutes after midnight of a local time, as inquiries keep quiet hours.
pub fn minutes_of(t: NaiveTime) -> i32 {
    (t.hour() * 60 + t.minute()) as i32
}

#[cfg(test)]
mod tests {
    use super::statistics_due;

    /// The recipients fixed after each run of `run` over `audience`, where
    /// statistics were refreshed, as `fix_recipients` goes: until a run
    /// finds fewer than a run's worth.
    fn refreshed(audience: i64, run: i64) -> Vec<i64> {
        let (mut refreshed, mut fixed, mut finished) = (Vec::new(), 0, false);
        while !finished {
            let n = run.min(audience - fixed);
            finished = n < run;
            if statistics_due(fixed, fixed + n, finished) {
                refreshed.push(fixed + n);
            }
            fixed += n;
        }
        refreshed
    }

    #[test]
    fn statistics_are_refreshed_at_the_first_run_each_doubling_and_the_end() {
        let every = [20_000, 40_000, 80_000, 140_000, 280_000, 540_000];
        // An audience of a whole number of runs ends with a run that fixes
        // no one: the statistics are refreshed then.
        assert_eq!(
            refreshed(1_000_000, 20_000),
            [&every[..], &[1_000_000]].concat()
        );
        assert_eq!(
            refreshed(990_000, 20_000),
            [&every[..], &[990_000]].concat()
        );
        // One run that fixes everyone; an audience of no one.
        assert_eq!(refreshed(500, 20_000), [500]);
        assert_eq!(refreshed(0, 20_000), Vec::<i64>::new());
    }
}
