//! Answers to inquiries by the personal link's one-page form (no sign-in,
//! once) and by a 1415 agent on the phone, what an SMS reply can come to
//! (the replies themselves are taken in groups, in `replies`), and the
//! results they add up to.
//!
//! Each answer is kept; a later one of the same person to the same
//! question replaces the earlier in the counts, which move in the
//! transaction of the answer.

use super::replies::Book;
use super::{link_holds, sight, visible};
use crate::audit::{entry, record};
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::inquiry::reply::{self, Reply};
use diwan_domain::inquiry::{self, Answer, AnswerChannel, InquiryState, Question, QuestionKind};
use diwan_domain::persons::PersonLookup;
use diwan_domain::{Reason, Role};
use diwan_store::{Inquiry, InquiryAnswer, InquiryRecipient, Person};
use serde_json::json;
use uuid::Uuid;

/// What an SMS reply came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// No inquiry of this number is open: the reply is only kept.
    NotForAnInquiry,
    Answered,
    /// Unreadable: one helpful SMS went back.
    Helped,
    /// Unreadable again: nothing more is sent.
    Unread,
    /// Several inquiries are open and the reply named none.
    Ambiguous,
}

impl ReplyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyOutcome::NotForAnInquiry => "none",
            ReplyOutcome::Answered => "inquiry_answer",
            ReplyOutcome::Helped => "inquiry_help",
            ReplyOutcome::Unread => "inquiry_unread",
            ReplyOutcome::Ambiguous => "inquiry_which",
        }
    }
}

/// Reads an answer as a form sends it: an option's number, `yes`/`no` (or
/// 1 and 2), a scale's value, a free text; `None` when empty or unread.
pub fn answer_from_form(q: &Question, value: &str) -> Option<Answer> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let a = match q.kind {
        QuestionKind::FreeText => {
            Answer::Text(v.chars().take(inquiry::MAX_FREE_TEXT_CHARS).collect())
        }
        QuestionKind::YesNo => match v {
            "yes" => Answer::Yes,
            "no" => Answer::No,
            _ => reply::answer(q, &Reply::read(v))?,
        },
        _ => reply::answer(q, &Reply::read(v))?,
    };
    a.fits(q).then_some(a)
}

/// One person's open inquiry as the call centre and the link's form show
/// it: its questions and the answers given so far.
#[derive(Debug, Clone)]
pub struct PersonsInquiry {
    pub inquiry: Inquiry,
    pub recipient: InquiryRecipient,
    pub answers: Vec<InquiryAnswer>,
}

/// The call centre's view of a caller.
#[derive(Debug, Clone)]
pub struct CallerView {
    pub person: Option<Person>,
    pub open: Vec<PersonsInquiry>,
}

/// What the personal link's page shows.
#[derive(Debug, Clone)]
pub enum LinkView {
    Open(Box<PersonsInquiry>),
    /// Answered through the link already.
    Spent,
    /// Closed, or no such link.
    Gone,
}

impl Services {
    /// The open inquiry and recipient a personal link names, if its
    /// signature holds.
    async fn linked(
        &self,
        tx: &mut dyn diwan_store::ReadTx,
        code: &str,
        n: i64,
        sig: &str,
    ) -> Result<Option<(Inquiry, InquiryRecipient)>> {
        let Some(i) = tx.inquiry_by_code(&code.to_ascii_uppercase()).await? else {
            return Ok(None);
        };
        if !i.web_link || !i.state.takes_answers() || !link_holds(&i.link_key, n, sig) {
            return Ok(None);
        }
        Ok(tx.inquiry_recipient(i.id, n).await?.map(|r| (i, r)))
    }

    /// What a personal link shows: its inquiry's questions, unless it was
    /// used or the inquiry closed. Needs no sign-in: the link is the key.
    pub async fn inquiry_link(&self, code: &str, n: i64, sig: &str) -> Result<LinkView> {
        let mut tx = self.store.read().await?;
        let Some((inquiry, recipient)) = self.linked(&mut *tx, code, n, sig).await? else {
            return Ok(LinkView::Gone);
        };
        if recipient.web_used_at.is_some() {
            return Ok(LinkView::Spent);
        }
        let answers = tx.current_answers(inquiry.id, recipient.person_id).await?;
        Ok(LinkView::Open(Box::new(PersonsInquiry {
            inquiry,
            recipient,
            answers,
        })))
    }

    /// Records the answers sent through a personal link (`values` by
    /// question, as [`answer_from_form`] reads them) and spends the link,
    /// in one transaction with its audit record. Questions left empty are
    /// left unanswered; an unreadable value is refused at its question.
    pub async fn answer_by_link(
        &self,
        code: &str,
        n: i64,
        sig: &str,
        values: &[String],
    ) -> Result<LinkView> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some((i, mut rec)) = self.linked(&mut *tx, code, n, sig).await? else {
            return Ok(LinkView::Gone);
        };
        if rec.web_used_at.is_some() {
            return Ok(LinkView::Spent);
        }
        let answers = Self::read_answers(&i, values)?;
        let mut book = Book::default();
        for (position, a) in &answers {
            book.answer(&i, &rec, *position, a, AnswerChannel::Web, None, now);
        }
        rec.web_used_at = Some(now);
        rec.position = i.questions.len() as i32;
        tx.record_inquiry_answers(&book.answers).await?;
        tx.update_inquiry_recipients(std::slice::from_ref(&rec))
            .await?;
        tx.append_audit(&[entry(
            None,
            now,
            "inquiry.answer",
            "inquiry",
            Some(i.id.to_string()),
            json!({"channel": "web", "recipient": n, "answers": answers.len()}),
        )])
        .await?;
        tx.commit().await?;
        Ok(LinkView::Spent)
    }

    fn read_answers(i: &Inquiry, values: &[String]) -> Result<Vec<(usize, Answer)>> {
        let mut p = crate::error::Problems::default();
        let mut out = Vec::new();
        for (position, q) in i.questions.iter().enumerate() {
            let v = values.get(position).map(String::as_str).unwrap_or("");
            if v.trim().is_empty() {
                continue;
            }
            match answer_from_form(q, v) {
                Some(a) => out.push((position, a)),
                None => p.add(&format!("answers.{position}"), Reason::InquiryAnswerUnread),
            }
        }
        if out.is_empty() && p.is_empty() {
            p.add("answers", Reason::FieldRequired);
        }
        p.finish()?;
        Ok(out)
    }

    /// The call centre: the person a caller is (by mobile or national
    /// number) and their open inquiries with the answers so far. The look-up
    /// of a person's record is audited as every staff read is.
    pub async fn caller_inquiries(&self, caller: &Caller, q: &str) -> Result<Shown<CallerView>> {
        if !matches!(caller.role, Role::CallCentreAgent | Role::Admin) {
            return Err(Error::not_found());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut view = CallerView {
            person: None,
            open: Vec::new(),
        };
        if let Some(lookup) = PersonLookup::read(q).filter(|l| !matches!(l, PersonLookup::Name(_)))
        {
            let found = tx
                .search_persons(&diwan_store::PersonQuery {
                    lookup: Some(lookup),
                    municipality_id: None,
                    before: None,
                    limit: 1,
                })
                .await?;
            if let Some(p) = found.into_iter().next() {
                for o in tx.open_inquiries_of_person(p.id).await? {
                    let answers = tx.current_answers(o.inquiry.id, p.id).await?;
                    view.open.push(PersonsInquiry {
                        inquiry: o.inquiry,
                        recipient: o.recipient,
                        answers,
                    });
                }
                record(
                    &mut *tx,
                    Some(caller),
                    now,
                    "person.read",
                    "person",
                    Some(p.id.to_string()),
                    json!({"via": "call_centre", "open_inquiries": view.open.len()}),
                )
                .await?;
                view.person = Some(p);
            }
        }
        let frame = self.frame_in(&mut *tx, caller).await?;
        tx.commit().await?;
        Ok(Shown { frame, body: view })
    }

    /// Records the answers a caller gave on the phone, as taken by the
    /// agent, in one transaction with its audit record.
    pub async fn record_phone_answers(
        &self,
        caller: &Caller,
        inquiry_id: Uuid,
        person_id: Uuid,
        values: &[String],
    ) -> Result<usize> {
        if !matches!(caller.role, Role::CallCentreAgent | Role::Admin) || !caller.can_write() {
            return Err(Error::not_found());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let o = tx
            .open_inquiries_of_person(person_id)
            .await?
            .into_iter()
            .find(|o| o.inquiry.id == inquiry_id)
            .ok_or_else(Error::not_found)?;
        let answers = Self::read_answers(&o.inquiry, values)?;
        let mut book = Book::default();
        for (position, a) in &answers {
            book.answer(
                &o.inquiry,
                &o.recipient,
                *position,
                a,
                AnswerChannel::Phone,
                Some(caller.user_id),
                now,
            );
        }
        let mut rec = o.recipient;
        rec.position = rec.position.max(o.inquiry.questions.len() as i32);
        tx.record_inquiry_answers(&book.answers).await?;
        tx.update_inquiry_recipients(std::slice::from_ref(&rec))
            .await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "inquiry.phone_answer",
            "inquiry",
            Some(inquiry_id.to_string()),
            json!({"person": person_id, "answers": answers.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(answers.len())
    }

    /// A page of an inquiry's current answers, oldest first, for its
    /// export; free texts included, persons not named.
    pub async fn inquiry_answers_page(
        &self,
        caller: &Caller,
        id: Uuid,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<(Inquiry, Vec<InquiryAnswer>)> {
        sight(caller)?;
        let mut tx = self.store.read().await?;
        let i = tx.get_inquiry(id).await?.ok_or_else(Error::not_found)?;
        if !visible(caller, &i)? {
            return Err(Error::not_found());
        }
        let page = tx.inquiry_answers(id, after, limit).await?;
        Ok((i, page))
    }

    /// A closed inquiry's results, when its manager made them public; no
    /// sign-in.
    pub async fn public_results(
        &self,
        id: Uuid,
    ) -> Result<(Inquiry, Vec<diwan_store::AnswerCount>)> {
        let mut tx = self.store.read().await?;
        let i = tx
            .get_inquiry(id)
            .await?
            .filter(|i| i.public_results && i.state == InquiryState::Closed)
            .ok_or_else(Error::not_found)?;
        let counts = tx.answer_counts(id).await?;
        Ok((i, counts))
    }
}
