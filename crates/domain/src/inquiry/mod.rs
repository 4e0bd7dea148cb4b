//! The national inquiry: a poll of questions sent to persons of the
//! registry by SMS (with a personal web link, and the 1415 call centre
//! beside it), answered once per person and question, counted as answers
//! come.
//!
//! An inquiry is written as a draft, submitted, approved by a second
//! person when it goes to more recipients than a set number, sent in
//! batches outside quiet hours (pausable, resumed after a crash where it
//! stopped), open for answers, and closed. Its states move only as
//! [`next`] allows.

pub mod list;
pub mod reply;
pub mod schedule;

use crate::messaging::template::Texts;
use crate::{DomainError, ErrorCode, Reason};
use serde::Serialize;

/// The most questions an inquiry asks.
pub const MAX_QUESTIONS: usize = 10;
/// The most options a single-choice question offers (answered 1 to 9).
pub const MAX_OPTIONS: usize = 9;
/// The longest question, in characters (with its options, an SMS of a few
/// parts).
pub const MAX_QUESTION_CHARS: usize = 300;
/// The longest option label.
pub const MAX_OPTION_CHARS: usize = 60;
/// The longest free-text answer kept.
pub const MAX_FREE_TEXT_CHARS: usize = 500;

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One of numbered options (1 to 9).
    SingleChoice,
    /// Yes (1) or no (2).
    YesNo,
    /// A number from 1 to 5.
    Scale,
    /// Any text.
    FreeText,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] = [
        QuestionKind::SingleChoice,
        QuestionKind::YesNo,
        QuestionKind::Scale,
        QuestionKind::FreeText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::SingleChoice => "single_choice",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Scale => "scale",
            QuestionKind::FreeText => "free_text",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// One question of an inquiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    /// The question in each language written (Arabic always).
    pub text: Texts,
    /// A single-choice question's options, in order (answered by number).
    pub options: Vec<String>,
}

impl Question {
    /// The answers a question counts, as they are stored and counted:
    /// `1`…`n` for options, `yes`/`no`, `1`…`5`; free text counts as
    /// `text`.
    pub fn answer_keys(&self) -> Vec<String> {
        match self.kind {
            QuestionKind::SingleChoice => (1..=self.options.len()).map(|i| i.to_string()).collect(),
            QuestionKind::YesNo => vec!["yes".into(), "no".into()],
            QuestionKind::Scale => (1..=5).map(|i| i.to_string()).collect(),
            QuestionKind::FreeText => vec!["text".into()],
        }
    }
}

/// An answer, read from an SMS, the web form or the call centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An option's number (single choice), or the scale's value.
    Number(u8),
    Yes,
    No,
    Text(String),
}

impl Answer {
    /// The key it is counted under (see [`Question::answer_keys`]).
    pub fn key(&self) -> String {
        match self {
            Answer::Number(n) => n.to_string(),
            Answer::Yes => "yes".into(),
            Answer::No => "no".into(),
            Answer::Text(_) => "text".into(),
        }
    }

    /// What a free-text answer said.
    pub fn text(&self) -> Option<&str> {
        match self {
            Answer::Text(t) => Some(t),
            _ => None,
        }
    }

    /// Reads a stored answer back: its key, and its text for free text.
    pub fn from_key(key: &str, text: Option<&str>) -> Option<Answer> {
        match key {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "text" => Some(Answer::Text(text.unwrap_or_default().to_owned())),
            n => n
                .parse()
                .ok()
                .filter(|n| (1..=9).contains(n))
                .map(Answer::Number),
        }
    }

    /// Whether this answer is one `q` takes.
    pub fn fits(&self, q: &Question) -> bool {
        match (self, q.kind) {
            (Answer::Number(n), QuestionKind::SingleChoice) => {
                (1..=q.options.len()).contains(&(*n as usize))
            }
            (Answer::Number(n), QuestionKind::Scale) => (1..=5).contains(n),
            (Answer::Yes | Answer::No, QuestionKind::YesNo) => true,
            (Answer::Text(t), QuestionKind::FreeText) => {
                !t.trim().is_empty() && t.chars().count() <= MAX_FREE_TEXT_CHARS
            }
            _ => false,
        }
    }
}

/// How an answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerChannel {
    Sms,
    Web,
    /// Taken by a 1415 agent on the phone.
    Phone,
}

impl AnswerChannel {
    pub const ALL: [AnswerChannel; 3] =
        [AnswerChannel::Sms, AnswerChannel::Web, AnswerChannel::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerChannel::Sms => "sms",
            AnswerChannel::Web => "web",
            AnswerChannel::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Where an inquiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryState {
    /// Being written; nothing sent.
    Draft,
    /// Submitted, waiting for a second person's approval.
    AwaitingApproval,
    /// Approved (or needing no approval): sent from its start time on.
    Approved,
    /// Its questions are being queued, batch by batch.
    Sending,
    /// Held by its manager; answers still come in.
    Paused,
    /// Every recipient was sent the question; answers come in.
    Open,
    /// No more answers are taken.
    Closed,
}

impl InquiryState {
    pub const ALL: [InquiryState; 7] = [
        InquiryState::Draft,
        InquiryState::AwaitingApproval,
        InquiryState::Approved,
        InquiryState::Sending,
        InquiryState::Paused,
        InquiryState::Open,
        InquiryState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryState::Draft => "draft",
            InquiryState::AwaitingApproval => "awaiting_approval",
            InquiryState::Approved => "approved",
            InquiryState::Sending => "sending",
            InquiryState::Paused => "paused",
            InquiryState::Open => "open",
            InquiryState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether answers are taken.
    pub fn takes_answers(self) -> bool {
        matches!(
            self,
            InquiryState::Sending | InquiryState::Paused | InquiryState::Open
        )
    }
}

/// What is done to an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The manager submits the draft.
    Submit {
        /// Whether its audience is larger than a second approval allows.
        needs_approval: bool,
    },
    /// A second person approves.
    Approve,
    /// A second person sends it back to its author.
    Reject,
    /// Its start time came (the background job).
    Start,
    Pause,
    Resume,
    /// Every recipient was queued (the background job).
    Finish,
    Close,
}

/// The state `action` leads to from `state`, or `None` when it may not be
/// done there.
pub fn next(state: InquiryState, action: Action) -> Option<InquiryState> {
    use InquiryState as S;
    Some(match (state, action) {
        (
            S::Draft,
            Action::Submit {
                needs_approval: true,
            },
        ) => S::AwaitingApproval,
        (
            S::Draft,
            Action::Submit {
                needs_approval: false,
            },
        ) => S::Approved,
        (S::AwaitingApproval, Action::Approve) => S::Approved,
        (S::AwaitingApproval, Action::Reject) => S::Draft,
        (S::Approved, Action::Start) => S::Sending,
        (S::Sending, Action::Pause) => S::Paused,
        (S::Paused, Action::Resume) => S::Sending,
        (S::Sending, Action::Finish) => S::Open,
        (S::Approved | S::Sending | S::Paused | S::Open, Action::Close) => S::Closed,
        _ => return None,
    })
}

/// Checks an inquiry's questions as written: one to ten, each with its
/// Arabic text, the options a single choice needs (two to nine, each
/// named), within their lengths. Problems are reported at
/// `questions.{i}.text`, `questions.{i}.options`.
pub fn check_questions(questions: &[Question]) -> Result<(), DomainError> {
    let mut e = DomainError::new(ErrorCode::InvalidInput);
    if questions.is_empty() {
        e = e.with("questions", Reason::FieldRequired);
    } else if questions.len() > MAX_QUESTIONS {
        e = e.with("questions", Reason::FieldTooLong);
    }
    for (i, q) in questions.iter().enumerate() {
        let field = |f: &str| format!("questions.{i}.{f}");
        for (_, text) in q.text.written() {
            if text.trim().is_empty() {
                e = e.with(&field("text"), Reason::FieldRequired);
            } else if text.chars().count() > MAX_QUESTION_CHARS {
                e = e.with(&field("text"), Reason::FieldTooLong);
            }
        }
        match q.kind {
            QuestionKind::SingleChoice => {
                if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
                    e = e.with(&field("options"), Reason::InquiryOptionsCount);
                } else if q
                    .options
                    .iter()
                    .any(|o| o.trim().is_empty() || o.chars().count() > MAX_OPTION_CHARS)
                {
                    e = e.with(&field("options"), Reason::FieldTooLong);
                }
            }
            _ if !q.options.is_empty() => {
                e = e.with(&field("options"), Reason::InquiryOptionsCount)
            }
            _ => {}
        }
    }
    if e.details.is_empty() {
        Ok(())
    } else {
        Err(e)
    }
}

/// Whether `approver` may approve an inquiry `author` wrote: a second
/// person, never its author.
pub fn may_approve(author: uuid::Uuid, approver: uuid::Uuid) -> bool {
    author != approver
}

/// How to answer a question of `kind`, in `language`.
pub fn instruction(kind: QuestionKind, language: crate::persons::Language) -> &'static str {
    use crate::persons::Language::*;
    use QuestionKind::*;
    match (kind, language) {
        (SingleChoice, Ar) => "أرسل رقم اختيارك.",
        (SingleChoice, En) => "Reply with the number of your choice.",
        (SingleChoice, Fr) => "Répondez par le numéro de votre choix.",
        (YesNo, Ar) => "أرسل 1 (نعم) أو 2 (لا).",
        (YesNo, En) => "Reply 1 (yes) or 2 (no).",
        (YesNo, Fr) => "Répondez 1 (oui) ou 2 (non).",
        (Scale, Ar) => "أرسل رقمًا من 1 إلى 5.",
        (Scale, En) => "Reply with a number from 1 to 5.",
        (Scale, Fr) => "Répondez par un nombre de 1 à 5.",
        (FreeText, Ar) => "أرسل رأيك في رسالة.",
        (FreeText, En) => "Reply with your opinion.",
        (FreeText, Fr) => "Répondez en donnant votre avis.",
    }
}

/// The SMS that asks `q`: its code, the question in the recipient's
/// language (Arabic when theirs is not written), its numbered options, how
/// to answer, and the personal link when there is one.
pub fn question_sms(
    q: &Question,
    language: crate::persons::Language,
    code: &str,
    link: Option<&str>,
) -> String {
    let written = match language {
        crate::persons::Language::Ar => language,
        l if q.text.for_language(l) != q.text.ar => l,
        _ => crate::persons::Language::Ar,
    };
    let mut out = format!("[{code}] {}", q.text.for_language(written).trim());
    for (i, o) in q.options.iter().enumerate() {
        out.push_str(&format!("\n{} {}", i + 1, o.trim()));
    }
    out.push('\n');
    out.push_str(instruction(q.kind, written));
    if let Some(link) = link {
        out.push('\n');
        out.push_str(link);
    }
    out
}

/// The one SMS sent back when a reply to `q` cannot be read.
pub fn help_sms(q: &Question, language: crate::persons::Language, code: &str) -> String {
    let lead = match language {
        crate::persons::Language::Ar => "لم نفهم ردك.",
        crate::persons::Language::En => "We could not read your reply.",
        crate::persons::Language::Fr => "Nous n'avons pas compris votre réponse.",
    };
    format!("[{code}] {lead} {}", instruction(q.kind, language))
}

/// The SMS sent back when a reply names none of several open inquiries.
pub fn which_sms(codes: &[String]) -> String {
    format!(
        "لديك أكثر من استعلام مفتوح. اكتب رمز الاستعلام مع ردك: {}",
        codes.join("، ")
    )
}

/// The SMS sent once every question was answered.
pub fn thanks_sms(language: crate::persons::Language, code: &str) -> String {
    let t = match language {
        crate::persons::Language::Ar => "شكرًا لمشاركتك. يمكنك تغيير إجابتك بإرسالها مجددًا.",
        crate::persons::Language::En => {
            "Thank you for taking part. Send an answer again to change it."
        }
        crate::persons::Language::Fr => {
            "Merci de votre participation. Renvoyez une réponse pour la changer."
        }
    };
    format!("[{code}] {t}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: QuestionKind, options: &[&str]) -> Question {
        Question {
            kind,
            text: Texts {
                ar: "هل توافق على المشروع؟".into(),
                en: None,
                fr: None,
            },
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    #[test]
    fn an_inquiry_moves_only_forward_through_its_states() {
        use InquiryState as S;
        assert_eq!(
            next(
                S::Draft,
                Action::Submit {
                    needs_approval: true
                }
            ),
            Some(S::AwaitingApproval)
        );
        assert_eq!(
            next(
                S::Draft,
                Action::Submit {
                    needs_approval: false
                }
            ),
            Some(S::Approved)
        );
        assert_eq!(
            next(S::AwaitingApproval, Action::Approve),
            Some(S::Approved)
        );
        assert_eq!(next(S::AwaitingApproval, Action::Reject), Some(S::Draft));
        assert_eq!(next(S::Draft, Action::Approve), None, "nothing to approve");
        assert_eq!(next(S::Draft, Action::Start), None, "not sent unapproved");
        assert_eq!(next(S::AwaitingApproval, Action::Start), None);
        assert_eq!(next(S::Sending, Action::Pause), Some(S::Paused));
        assert_eq!(
            next(S::Paused, Action::Finish),
            None,
            "a paused one is not finished"
        );
        assert_eq!(next(S::Paused, Action::Resume), Some(S::Sending));
        assert_eq!(next(S::Sending, Action::Finish), Some(S::Open));
        assert_eq!(next(S::Open, Action::Close), Some(S::Closed));
        for a in [
            Action::Approve,
            Action::Start,
            Action::Resume,
            Action::Close,
        ] {
            assert_eq!(next(S::Closed, a), None, "closed for good");
        }
        assert!(
            S::Paused.takes_answers() && !S::Closed.takes_answers() && !S::Approved.takes_answers()
        );
    }

    #[test]
    fn questions_are_checked_each_at_its_field() {
        assert!(check_questions(&[q(QuestionKind::YesNo, &[])]).is_ok());
        assert!(check_questions(&[q(QuestionKind::SingleChoice, &["أ", "ب", "ج"])]).is_ok());
        let e = check_questions(&[
            q(QuestionKind::SingleChoice, &["وحيد"]),
            q(QuestionKind::Scale, &["x"]),
        ])
        .unwrap_err();
        assert_eq!(
            e.details,
            [
                ("questions.0.options".into(), Reason::InquiryOptionsCount),
                ("questions.1.options".into(), Reason::InquiryOptionsCount)
            ]
        );
        assert!(check_questions(&[]).is_err());
        let many = vec![q(QuestionKind::YesNo, &[]); MAX_QUESTIONS + 1];
        assert!(check_questions(&many).is_err());
    }

    #[test]
    fn a_question_sms_has_its_code_options_instruction_and_link() {
        let choice = q(QuestionKind::SingleChoice, &["مدرسة", "مستشفى"]);
        let sms = question_sms(
            &choice,
            crate::persons::Language::En,
            "K4",
            Some("https://d.ly/i/K4/7/x"),
        );
        assert_eq!(
            sms,
            "[K4] هل توافق على المشروع؟\n1 مدرسة\n2 مستشفى\nأرسل رقم اختيارك.\nhttps://d.ly/i/K4/7/x",
            "no English text: all in Arabic"
        );
        let mut yes_no = q(QuestionKind::YesNo, &[]);
        yes_no.text.fr = Some("Approuvez-vous le projet ?".into());
        assert_eq!(
            question_sms(&yes_no, crate::persons::Language::Fr, "A1", None),
            "[A1] Approuvez-vous le projet ?\nRépondez 1 (oui) ou 2 (non)."
        );
        assert!(help_sms(&yes_no, crate::persons::Language::Ar, "A1").starts_with("[A1] لم نفهم"));
    }

    #[test]
    fn answers_fit_their_questions_and_read_back_from_their_keys() {
        let choice = q(QuestionKind::SingleChoice, &["أ", "ب", "ج"]);
        assert!(Answer::Number(3).fits(&choice));
        assert!(!Answer::Number(4).fits(&choice));
        assert!(!Answer::Yes.fits(&choice));
        assert!(Answer::Number(5).fits(&q(QuestionKind::Scale, &[])));
        assert!(!Answer::Number(6).fits(&q(QuestionKind::Scale, &[])));
        for a in [
            Answer::Yes,
            Answer::No,
            Answer::Number(2),
            Answer::Text("رأيي".into()),
        ] {
            assert_eq!(Answer::from_key(&a.key(), a.text()), Some(a.clone()));
        }
        assert_eq!(choice.answer_keys(), ["1", "2", "3"]);
        assert!(may_approve(uuid::Uuid::now_v7(), uuid::Uuid::now_v7()));
        let me = uuid::Uuid::now_v7();
        assert!(!may_approve(me, me), "never one's own");
    }
}
