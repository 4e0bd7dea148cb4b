//! The national inquiry's storage: inquiries with their questions, their
//! recipients (fixed when sending starts, numbered 1, 2, … so that sending
//! resumes after the last one queued), every answer kept, and the counts
//! of current answers per question, answer, municipality and channel,
//! moved in the transaction of each answer.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::inquiry::{AnswerChannel, InquiryState, Question, QuestionKind};
use diwan_domain::messaging::template::Texts;
use diwan_domain::persons::Language;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    pub id: Uuid,
    /// The organization that runs it (the ministry, or a municipality for
    /// its own residents).
    pub org_id: Uuid,
    /// Its short code in SMS (`K4`), given when it is submitted and kept
    /// while it is open.
    pub code: Option<String>,
    pub title: String,
    pub state: InquiryState,
    pub questions: Vec<Question>,
    /// Residents of these municipalities; every person when empty.
    pub municipalities: Vec<Uuid>,
    /// A random sample of this many of the audience, when given.
    pub sample: Option<i64>,
    /// Whether the SMS carries a personal link to a web form.
    pub web_link: bool,
    /// Not sent before.
    pub starts_at: DateTime<Utc>,
    /// The quiet hours, in minutes after midnight, local time.
    pub quiet_start: i32,
    pub quiet_end: i32,
    /// Whether its results are public once it is closed.
    pub public_results: bool,
    pub created_by: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Recipients fixed so far (a run at a time once sending started).
    pub recipients: i64,
    /// Whether every recipient is fixed.
    pub recipients_fixed: bool,
    /// Recipients whose first question was queued (1 to this).
    pub queued: i64,
    /// Recipients who answered at least one question.
    pub respondents: i64,
    /// The message batch of its questions, once sending started.
    pub batch_id: Option<Uuid>,
    /// The key its personal links are signed with.
    pub link_key: String,
    /// How many persons its uploaded list holds; `None` when it has none
    /// (its audience is then the municipalities').
    pub list_size: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A person an inquiry was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryRecipient {
    pub inquiry_id: Uuid,
    /// Its number within the inquiry, 1 upwards.
    pub n: i64,
    pub person_id: Uuid,
    pub mobile: String,
    pub municipality_id: Option<Uuid>,
    pub language: Language,
    /// The question its SMS conversation is at (0-based); the number of
    /// questions once every one was asked.
    pub position: i32,
    /// The question an unreadable reply was last helped with, so that help
    /// is sent once per question.
    pub helped: Option<i32>,
    /// When its web link was used (it is then spent).
    pub web_used_at: Option<DateTime<Utc>>,
    pub first_answer_at: Option<DateTime<Utc>>,
}

/// One answer as it was given; a later answer of the same person to the
/// same question replaces it in the counts, and both are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryAnswer {
    pub id: Uuid,
    pub inquiry_id: Uuid,
    pub person_id: Uuid,
    pub position: i32,
    /// As [`diwan_domain::inquiry::Answer::key`].
    pub key: String,
    pub text: Option<String>,
    pub channel: AnswerChannel,
    /// The agent who took it on the phone.
    pub taken_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

/// How many current answers an inquiry has for one question and answer,
/// from one municipality, by one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerCount {
    pub position: i32,
    pub key: String,
    pub municipality_id: Option<Uuid>,
    pub channel: AnswerChannel,
    pub n: i64,
}

/// An answer to keep, with what it is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    pub answer: InquiryAnswer,
    /// Where its recipient lives: the counts' municipality.
    pub municipality_id: Option<Uuid>,
    /// Whether it becomes the person's current answer to its question;
    /// `false` for one that a later answer of the same call replaces.
    pub current: bool,
}

/// The same question queued to a run of an inquiry's recipients, each in
/// their language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRun {
    pub inquiry_id: Uuid,
    pub batch_id: Uuid,
    pub org_id: Uuid,
    /// Recipients `after + 1` to `upto`.
    pub after: i64,
    pub upto: i64,
    pub texts: crate::BulkTexts,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A person's open inquiry, with where they are in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInquiry {
    pub inquiry: Inquiry,
    pub recipient: InquiryRecipient,
}

/// Pairs rows of recipients joined to their inquiries: each recipient with
/// its inquiry, an inquiry read from the first of its rows only.
pub fn open_inquiries_of_rows<R>(
    rows: &[R],
    recipient: impl Fn(&R) -> Result<InquiryRecipient>,
    inquiry: impl Fn(&R) -> Result<Inquiry>,
) -> Result<Vec<OpenInquiry>> {
    let mut read: std::collections::HashMap<Uuid, Inquiry> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let recipient = recipient(r)?;
        let inquiry = match read.get(&recipient.inquiry_id) {
            Some(i) => i.clone(),
            None => {
                let i = inquiry(r)?;
                read.insert(i.id, i.clone());
                i
            }
        };
        out.push(OpenInquiry { inquiry, recipient });
    }
    Ok(out)
}

/// Who an inquiry goes to, as it is fixed when sending starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryAudience {
    pub municipalities: Vec<Uuid>,
    pub sample: Option<i64>,
    /// Only the persons of this inquiry's uploaded list.
    pub list: Option<Uuid>,
}

#[derive(Serialize, Deserialize)]
struct QuestionJson {
    kind: String,
    ar: String,
    #[serde(default)]
    en: Option<String>,
    #[serde(default)]
    fr: Option<String>,
    #[serde(default)]
    options: Vec<String>,
}

/// An inquiry's questions as the backends keep them (JSON).
pub fn questions_json(q: &[Question]) -> String {
    let v: Vec<QuestionJson> = q
        .iter()
        .map(|q| QuestionJson {
            kind: q.kind.as_str().into(),
            ar: q.text.ar.clone(),
            en: q.text.en.clone(),
            fr: q.text.fr.clone(),
            options: q.options.clone(),
        })
        .collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
}

/// Reads questions back; `None` when the JSON is not theirs.
pub fn questions_from_json(s: &str) -> Option<Vec<Question>> {
    let v: Vec<QuestionJson> = serde_json::from_str(s).ok()?;
    v.into_iter()
        .map(|q| {
            Some(Question {
                kind: QuestionKind::parse(&q.kind)?,
                text: Texts {
                    ar: q.ar,
                    en: q.en,
                    fr: q.fr,
                },
                options: q.options,
            })
        })
        .collect()
}

#[async_trait]
pub trait InquiryRead {
    async fn get_inquiry(&mut self, id: Uuid) -> Result<Option<Inquiry>>;
    /// The newest inquiries: of one organization, or of all.
    async fn list_inquiries(&mut self, org_id: Option<Uuid>, limit: i64) -> Result<Vec<Inquiry>>;
    /// The inquiry not closed that has this short code.
    async fn inquiry_by_code(&mut self, code: &str) -> Result<Option<Inquiry>>;
    /// The short codes of inquiries not closed that have one.
    async fn inquiry_codes_in_use(&mut self) -> Result<Vec<String>>;
    /// Inquiries in `states` whose start time has come, oldest first.
    async fn inquiries_due(
        &mut self,
        states: &[InquiryState],
        now: DateTime<Utc>,
    ) -> Result<Vec<Inquiry>>;
    /// Recipients `after + 1` … `after + limit` of an inquiry.
    async fn inquiry_recipients(
        &mut self,
        inquiry_id: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<InquiryRecipient>>;
    async fn inquiry_recipient(
        &mut self,
        inquiry_id: Uuid,
        n: i64,
    ) -> Result<Option<InquiryRecipient>>;
    /// The recipients of inquiries taking answers that were sent to these
    /// mobile numbers, each with its inquiry, oldest inquiry first; in one
    /// query.
    async fn open_recipients_of_mobiles(&mut self, mobiles: &[String]) -> Result<Vec<OpenInquiry>>;
    /// The inquiries taking answers that were sent to this person.
    async fn open_inquiries_of_person(&mut self, person_id: Uuid) -> Result<Vec<OpenInquiry>>;
    /// The current answers of one person to an inquiry, by question.
    async fn current_answers(
        &mut self,
        inquiry_id: Uuid,
        person_id: Uuid,
    ) -> Result<Vec<InquiryAnswer>>;
    async fn answer_counts(&mut self, inquiry_id: Uuid) -> Result<Vec<AnswerCount>>;
    /// Current answers in the order they were given, after `after`.
    async fn inquiry_answers(
        &mut self,
        inquiry_id: Uuid,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<InquiryAnswer>>;
}

#[async_trait]
pub trait InquiryRepo {
    async fn insert_inquiry(&mut self, i: &Inquiry) -> Result<()>;
    /// Reads an inquiry and holds it until the transaction ends, so that
    /// two transactions that write its counts follow one another (a step
    /// of sending it takes it last, once its run is written).
    async fn lock_inquiry(&mut self, id: Uuid) -> Result<Option<Inquiry>>;
    /// Writes an inquiry's state and what goes with it (code, approval,
    /// counts, times), unless its state is no longer `expected` (another
    /// node moved it); returns whether it was written.
    async fn update_inquiry(&mut self, i: &Inquiry, expected: InquiryState) -> Result<bool>;
    /// Fixes recipients of an inquiry, numbered on from `after` (those
    /// fixed so far): the next `limit` persons of `audience` with a mobile
    /// number, in the order of their ids, after the last one fixed; or,
    /// for a random sample (`audience.sample`), all of them in one
    /// statement. Returns how many were fixed; the caller writes the
    /// inquiry's count (see [`InquiryRepo::update_inquiry`]). Fails with a
    /// conflict if another transaction fixed these numbers first. The
    /// caller has read the inquiry in this transaction: PostgreSQL does not
    /// look it up again for each recipient.
    async fn fix_inquiry_recipients(
        &mut self,
        inquiry_id: Uuid,
        audience: &InquiryAudience,
        after: i64,
        limit: i64,
    ) -> Result<i64>;
    /// After many recipients were fixed or many answers kept: refreshes
    /// what the database's planner knows of the recipients' and answers'
    /// tables, so that a reply is matched and its answer replaced through
    /// their indexes rather than by reading the tables. PostgreSQL plans by
    /// statistics that nothing else may have refreshed yet (autovacuum may
    /// be off or behind), and keeps a statement's plan, made when the table
    /// was small, until they change; SQLite's plans need none.
    async fn refresh_inquiry_statistics(&mut self) -> Result<()>;
    /// Keeps answers; each marked current becomes the person's current one
    /// to its question, and the counts move from the answer it replaces
    /// (if any) to it, under the recipient's municipality, in key order. A
    /// person's first answer to an inquiry marks the recipient and adds a
    /// respondent. Written in one statement whatever their number, or held
    /// back until the next read or the commit.
    async fn record_inquiry_answers(&mut self, answers: &[NewAnswer]) -> Result<()>;
    /// Queues one question to a run of recipients in one statement (the
    /// messages' ids are the batch's time-ordered prefix and the
    /// recipient's number); returns how many were queued. Fails with a
    /// conflict if another transaction queued this run first. The run's
    /// batch and organization are those of the inquiry the caller has read
    /// in this transaction: PostgreSQL does not look them up again for each
    /// message.
    async fn queue_question_run(&mut self, run: &QuestionRun) -> Result<i64>;
    /// Empties an inquiry's uploaded list.
    async fn clear_inquiry_list(&mut self, inquiry_id: Uuid) -> Result<()>;
    /// Adds persons to an inquiry's uploaded list (those on it already
    /// stay once); returns how many were added.
    async fn add_to_inquiry_list(&mut self, inquiry_id: Uuid, persons: &[Uuid]) -> Result<u64>;
    /// Writes where recipients are (position, help given, web link spent),
    /// in one statement; may be held back until the next read or the
    /// commit.
    async fn update_inquiry_recipients(&mut self, r: &[InquiryRecipient]) -> Result<()>;
}
