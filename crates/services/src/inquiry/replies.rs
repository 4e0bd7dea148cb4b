//! SMS replies to inquiries, a group at a time: the open inquiries of every
//! sender of the group are read in one query, each reply is decided in
//! memory in the order it came (read leniently, matched by short code, the
//! next question, the thanks or one help sent back), and what they change
//! is written together: the answers with their counts, where each
//! recipient is, and the SMS sent back. Two replies of one person in the
//! same group follow one another as they would one by one.

use super::answers::ReplyOutcome;
use crate::messaging::{sms_message, Sms};
use crate::{Result, Services};
use chrono::{DateTime, Utc};
use diwan_domain::inquiry::reply::{self, Matched, Reply};
use diwan_domain::inquiry::{self, Answer, AnswerChannel};
use diwan_domain::messaging::Kind;
use diwan_domain::persons::Mobile;
use diwan_store::{
    Inquiry, InquiryAnswer, InquiryRecipient, NewAnswer, OpenInquiry, OutboxMessage, Tx,
};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;
use uuid::Uuid;

/// A recipient's key: its inquiry and number.
type RecipientKey = (Uuid, i64);

/// What a group of answers changes, gathered before it is written.
#[derive(Default)]
pub(crate) struct Book {
    pub answers: Vec<NewAnswer>,
    /// The answer of this book that is current, per inquiry, person and
    /// question.
    current: HashMap<(Uuid, Uuid, i32), usize>,
    /// Recipients whose place changed.
    pub changed: BTreeSet<RecipientKey>,
    pub sms: Vec<OutboxMessage>,
}

impl Book {
    /// Keeps `a` as `rec`'s current answer to question `position` of `i`;
    /// an answer of this book it replaces stays, no longer current.
    #[allow(clippy::too_many_arguments)]
    pub fn answer(
        &mut self,
        i: &Inquiry,
        rec: &InquiryRecipient,
        position: usize,
        a: &Answer,
        channel: AnswerChannel,
        taken_by: Option<Uuid>,
        at: DateTime<Utc>,
    ) {
        let key = (i.id, rec.person_id, position as i32);
        if let Some(earlier) = self.current.insert(key, self.answers.len()) {
            self.answers[earlier].current = false;
        }
        self.answers.push(NewAnswer {
            answer: InquiryAnswer {
                id: Uuid::now_v7(),
                inquiry_id: i.id,
                person_id: rec.person_id,
                position: position as i32,
                key: a.key(),
                text: a.text().map(str::to_owned),
                channel,
                taken_by,
                at,
            },
            municipality_id: rec.municipality_id,
            current: true,
        });
    }

    /// Queues an SMS to `to`, a recipient of an inquiry of `org_id`, in
    /// their language.
    fn sms(
        &mut self,
        org_id: Uuid,
        to: &InquiryRecipient,
        text: String,
        now: DateTime<Utc>,
        validity: Duration,
    ) {
        let Ok(mobile) = Mobile::parse(&to.mobile) else {
            return;
        };
        self.sms.push(sms_message(
            Sms {
                org_id,
                kind: Kind::Bulk,
                to: mobile,
                person_id: Some(to.person_id),
                language: to.language.as_str().to_owned(),
                text,
                batch_id: None,
            },
            now,
            validity,
        ));
    }

    /// Writes everything gathered, `recipients` holding the changed ones.
    pub async fn write(
        self,
        tx: &mut dyn Tx,
        recipients: &HashMap<RecipientKey, InquiryRecipient>,
    ) -> Result<()> {
        tx.record_inquiry_answers(&self.answers).await?;
        let changed: Vec<InquiryRecipient> = self
            .changed
            .iter()
            .filter_map(|k| recipients.get(k).cloned())
            .collect();
        tx.update_inquiry_recipients(&changed).await?;
        tx.queue_messages(&self.sms).await?;
        Ok(())
    }
}

/// The open inquiries of a group's senders, as the group found them and
/// changes them.
struct Open {
    inquiries: HashMap<Uuid, Inquiry>,
    /// Each sender's recipients, oldest inquiry first.
    by_mobile: HashMap<String, Vec<RecipientKey>>,
    recipients: HashMap<RecipientKey, InquiryRecipient>,
}

impl Services {
    /// Takes SMS replies (`(sender, text)`, in the order they came) as
    /// answers to the senders' open inquiries, in the transaction that
    /// keeps the SMS; returns what each came to, and whether an inquiry's
    /// answers doubled (the caller then refreshes the planner's statistics
    /// once it committed: [`Services::refresh_inquiry_statistics_later`]).
    pub(crate) async fn inquiry_replies(
        &self,
        tx: &mut dyn Tx,
        replies: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> Result<(Vec<ReplyOutcome>, bool)> {
        if replies.is_empty() {
            return Ok((Vec::new(), false));
        }
        let mut mobiles: Vec<String> = replies.iter().map(|(s, _)| (*s).to_owned()).collect();
        mobiles.sort();
        mobiles.dedup();
        let found = tx.open_recipients_of_mobiles(&mobiles).await?;
        if found.is_empty() {
            return Ok((vec![ReplyOutcome::NotForAnInquiry; replies.len()], false));
        }
        let mut open = Open {
            inquiries: HashMap::new(),
            by_mobile: HashMap::new(),
            recipients: HashMap::new(),
        };
        for OpenInquiry {
            inquiry,
            recipient: r,
        } in found
        {
            open.inquiries.entry(inquiry.id).or_insert(inquiry);
            let key = (r.inquiry_id, r.n);
            open.by_mobile
                .entry(r.mobile.clone())
                .or_default()
                .push(key);
            open.recipients.insert(key, r);
        }
        let mut book = Book::default();
        let validity = self.messaging().sms_validity;
        let outcomes = replies
            .iter()
            .map(|(sender, text)| reply_one(&mut open, &mut book, sender, text, now, validity))
            .collect();
        let mut answered: HashMap<Uuid, i64> = HashMap::new();
        for a in &book.answers {
            *answered.entry(a.answer.inquiry_id).or_default() += 1;
        }
        book.write(tx, &open.recipients).await?;
        // A million replies in minutes: the answers' table outgrows what the
        // planner knew of it, and the plans it keeps for these statements.
        let grew = answered.iter().any(|(id, n)| {
            let before = open.inquiries.get(id).map_or(0, |i| i.respondents);
            answers_doubled(before, before + n)
        });
        Ok((outcomes, grew))
    }

    /// Refreshes the planner's statistics of recipients and answers in a
    /// transaction of its own, beside the writer of incoming SMS rather
    /// than in its way (on PostgreSQL some 100 ms to 400 ms at a million
    /// answers, which writes go on through); one refresh at a time per
    /// node, and a failed one only logged: the next doubling asks again.
    pub(crate) fn refresh_inquiry_statistics_later(&self) {
        use std::sync::atomic::{AtomicBool, Ordering};
        static REFRESHING: AtomicBool = AtomicBool::new(false);
        if REFRESHING.swap(true, Ordering::AcqRel) {
            return;
        }
        let services = self.clone();
        tokio::spawn(async move {
            let done: Result<()> = async {
                let mut tx = services.store.begin().await?;
                tx.refresh_inquiry_statistics().await?;
                tx.commit().await?;
                Ok(())
            }
            .await;
            REFRESHING.store(false, Ordering::Release);
            if let Err(e) = done {
                tracing::warn!(error = %e, "refreshing the statistics of inquiries failed");
            }
        });
    }
}

/// Whether an inquiry's answers, from `before` to `after` (counted by its
/// respondents, which they follow), doubled past a thousand: when the
/// planner's statistics of answers and recipients are refreshed (some
/// ten times over a million replies, some 100 ms each).
fn answers_doubled(before: i64, after: i64) -> bool {
    after >= 1024 && super::doubled(before, after)
}

/// One reply, decided against what the group holds so far.
fn reply_one(
    open: &mut Open,
    book: &mut Book,
    sender: &str,
    text: &str,
    now: DateTime<Utc>,
    validity: Duration,
) -> ReplyOutcome {
    let Some(keys) = open.by_mobile.get(sender).cloned() else {
        return ReplyOutcome::NotForAnInquiry;
    };
    let r = Reply::read(text);
    let keyed: Vec<(String, usize)> = keys
        .iter()
        .enumerate()
        .filter_map(|(at, k)| open.inquiries[&k.0].code.clone().map(|c| (c, at)))
        .collect();
    let at = match reply::match_open(&keyed, r.code.as_deref()) {
        Matched::One(at) => at,
        Matched::None => return ReplyOutcome::NotForAnInquiry,
        Matched::Several => {
            // Told once, so that an answering machine is not answered for
            // ever.
            if keys.iter().any(|k| open.recipients[k].helped == Some(-1)) {
                return ReplyOutcome::Unread;
            }
            let codes: Vec<String> = keyed.iter().map(|(c, _)| c.clone()).collect();
            let first = &open.recipients[&keys[0]];
            let org = open.inquiries[&keys[0].0].org_id;
            book.sms(org, first, inquiry::which_sms(&codes), now, validity);
            for k in &keys {
                if let Some(rec) = open.recipients.get_mut(k) {
                    rec.helped = Some(-1);
                }
                book.changed.insert(*k);
            }
            return ReplyOutcome::Ambiguous;
        }
    };
    let key = keys[at];
    let i = &open.inquiries[&key.0];
    let Some(code) = i.code.clone() else {
        return ReplyOutcome::NotForAnInquiry;
    };
    let Some(rec) = open.recipients.get_mut(&key) else {
        return ReplyOutcome::NotForAnInquiry;
    };
    let count = i.questions.len();
    let position = (rec.position.max(0) as usize).min(count.saturating_sub(1));
    let Some(q) = i.questions.get(position) else {
        return ReplyOutcome::NotForAnInquiry;
    };
    let language = rec.language;
    match reply::answer(q, &r) {
        Some(a) => {
            book.answer(i, rec, position, &a, AnswerChannel::Sms, None, now);
            let was = rec.position;
            if (rec.position as usize) <= position {
                rec.position = position as i32 + 1;
            }
            let next = match i.questions.get(rec.position as usize) {
                Some(nq) if rec.position != was => {
                    Some(inquiry::question_sms(nq, language, &code, None))
                }
                None if rec.position != was => Some(inquiry::thanks_sms(language, &code)),
                _ => None,
            };
            book.changed.insert(key);
            if let Some(text) = next {
                book.sms(i.org_id, rec, text, now, validity);
            }
            ReplyOutcome::Answered
        }
        None if rec.helped == Some(position as i32) => ReplyOutcome::Unread,
        None => {
            rec.helped = Some(position as i32);
            book.changed.insert(key);
            let help = inquiry::help_sms(q, language, &code);
            book.sms(i.org_id, rec, help, now, validity);
            ReplyOutcome::Helped
        }
    }
}

#[cfg(test)]
mod statistics_tests {
    use super::answers_doubled;

    #[test]
    fn answers_refresh_statistics_as_they_double_past_a_thousand() {
        let mut at = Vec::new();
        let mut n = 0;
        while n < 1_000_000 {
            if answers_doubled(n, n + 64) {
                at.push(n + 64);
            }
            n += 64;
        }
        assert_eq!(at.len(), 10, "{at:?}");
        assert_eq!(at[0], 1024);
        assert!(!answers_doubled(0, 1000));
        assert!(answers_doubled(0, 5000));
        assert!(!answers_doubled(5000, 5000));
    }
}
