//! The national inquiry: written by an inquiry manager (the ministry's
//! communications office; a municipality's head for his own residents),
//! approved by a second person above a number of recipients, sent by the
//! background job in batches outside quiet hours ([`fanout`]), answered by
//! SMS, through a personal link, or on the phone to the 1415 call centre
//! ([`answers`]), with results counted as answers come.
//!
//! Administrators and inquiry managers run every inquiry; a municipality's
//! head those of his municipality; auditors read them all; call-centre
//! agents see the open inquiries of the person on the line.

pub mod answers;
pub mod draft;
pub mod fanout;
pub mod replies;

use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, Utc};
use diwan_domain::inquiry::{self, Action, InquiryState, Question, QuestionKind};
use diwan_domain::messaging::template::Texts;
use diwan_domain::organizations::{parse_time_zone, OrgKind};
use diwan_domain::{DomainError, ErrorCode, Reason, Role};
use diwan_store::{AnswerCount, Inquiry, InquiryAudience};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

/// How inquiries are run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Diwan's address as citizens reach it, for personal links.
    pub public_url: url::Url,
    /// An inquiry to more recipients than this needs a second person's
    /// approval.
    pub approval_threshold: i64,
    /// Recipients whose question is queued per transaction, when each has
    /// a personal link (rendered one by one).
    pub batch: i64,
    /// The same, when the question is one text per language (one
    /// statement). As many as a step fixes: each of these steps writes to
    /// an index of the mobile numbers at random places, and on SQLite a
    /// transaction writes every page it touched again, so fewer and larger
    /// steps write far less (at 1,000,000 recipients, 20,000 a step: 16.6 s
    /// on SQLite and 34.7 s on PostgreSQL, against 23.7 s and 42.4 s at
    /// 5,000).
    pub batch_in_sql: i64,
    /// Recipients fixed per transaction.
    pub fix_run: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".parse().expect("a URL"),
            approval_threshold: 1000,
            batch: 2000,
            batch_in_sql: 20_000,
            fix_run: 20_000,
        }
    }
}

/// The longest title of an inquiry.
pub const MAX_TITLE_CHARS: usize = 200;

/// One question as the form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct QuestionForm {
    pub kind: String,
    pub text_ar: String,
    pub text_en: Option<String>,
    pub text_fr: Option<String>,
    /// A single choice's options, one per entry.
    pub options: Vec<String>,
}

/// An inquiry as its form sends it.
#[derive(Debug, Clone, Default)]
pub struct InquiryForm {
    pub title: String,
    pub questions: Vec<QuestionForm>,
    /// Residents of these municipalities; everyone when empty (a
    /// municipality's head: his own, always).
    pub municipalities: Vec<Uuid>,
    pub sample: Option<i64>,
    pub web_link: bool,
    /// Not sent before; now when absent.
    pub starts_at: Option<DateTime<Utc>>,
    /// The same, as a form gives it: a local time of the organization's
    /// time zone (used when `starts_at` is absent).
    pub starts_local: Option<chrono::NaiveDateTime>,
    /// Quiet hours, minutes after midnight local time (22:00 to 08:00 when
    /// absent).
    pub quiet_start: Option<i32>,
    pub quiet_end: Option<i32>,
    pub public_results: bool,
}

/// An inquiry and its counts, as its page shows them.
#[derive(Debug, Clone)]
pub struct InquiryView {
    pub inquiry: Inquiry,
    pub counts: Vec<AnswerCount>,
    /// Whether the caller may approve it (a second person).
    pub may_approve: bool,
    /// Whether the caller may pause, resume, close it.
    pub may_manage: bool,
}

/// Whom `c` sees inquiries of: everyone's (`None`), or one organization's.
fn sight(c: &Caller) -> Result<Option<Uuid>> {
    match c.role {
        Role::Admin | Role::InquiryManager | Role::Auditor => Ok(None),
        Role::MunicipalHead => Ok(Some(c.org_id)),
        _ => Err(Error::not_found()),
    }
}

/// Whether `c` may write, send and manage inquiries.
pub fn may_run(c: &Caller) -> bool {
    c.can_write()
        && matches!(
            c.role,
            Role::Admin | Role::InquiryManager | Role::MunicipalHead
        )
}

fn visible(c: &Caller, i: &Inquiry) -> Result<bool> {
    Ok(sight(c)?.is_none_or(|o| o == i.org_id))
}

/// The signature of recipient `n`'s personal link.
pub fn link_signature(key: &str, n: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(&n.to_be_bytes());
    let b = mac.finalize().into_bytes();
    // Ten bytes, in lower-case hex: short in an SMS, not guessable.
    hex::encode(&b[..10])
}

/// Whether `sig` is recipient `n`'s.
pub fn link_holds(key: &str, n: i64, sig: &str) -> bool {
    diwan_domain::text::constant_time_eq(&link_signature(key, n), &sig.to_ascii_lowercase())
}

fn questions_of(forms: Vec<QuestionForm>) -> Result<Vec<Question>> {
    let mut e = DomainError::new(ErrorCode::InvalidInput);
    let mut out = Vec::new();
    for (i, f) in forms.into_iter().enumerate() {
        let Some(kind) = QuestionKind::parse(&f.kind) else {
            e = e.with(&format!("questions.{i}.kind"), Reason::FieldRequired);
            continue;
        };
        let clean = |t: Option<String>| {
            t.map(|t| t.replace("\r\n", "\n"))
                .filter(|t| !t.trim().is_empty())
        };
        out.push(Question {
            kind,
            text: Texts {
                ar: f.text_ar.replace("\r\n", "\n").trim().to_owned(),
                en: clean(f.text_en),
                fr: clean(f.text_fr),
            },
            options: f
                .options
                .into_iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        });
    }
    if let Err(d) = inquiry::check_questions(&out) {
        for (f, r) in d.details {
            e = e.with(&f, r);
        }
    }
    if e.details.is_empty() {
        Ok(out)
    } else {
        Err(Error::Domain(e))
    }
}

impl Services {
    /// Checks the form and the audience the caller may reach.
    async fn checked(
        &self,
        caller: &Caller,
        f: InquiryForm,
    ) -> Result<(String, Vec<Question>, Vec<Uuid>, InquiryForm)> {
        let mut p = crate::error::Problems::default();
        let title = f.title.trim().to_owned();
        if title.is_empty() {
            p.add("title", Reason::FieldRequired);
        } else if title.chars().count() > MAX_TITLE_CHARS {
            p.add("title", Reason::FieldTooLong);
        }
        let questions = p.take(questions_of(f.questions.clone()))?;
        if f.sample.is_some_and(|n| n < 1) {
            p.add("sample", Reason::FieldTooLong);
        }
        for (field, v) in [("quiet_start", f.quiet_start), ("quiet_end", f.quiet_end)] {
            if v.is_some_and(|m| !(0..24 * 60).contains(&m)) {
                p.add(field, Reason::FieldTooLong);
            }
        }
        let mut f = f;
        if f.starts_at.is_none() {
            if let Some(local) = f.starts_local {
                let mut tx = self.store.read().await?;
                let orgs = self.cache.orgs(&mut *tx).await?;
                let tz = orgs
                    .iter()
                    .find(|o| o.id == caller.org_id)
                    .and_then(|o| parse_time_zone(&o.time_zone).ok())
                    .unwrap_or(chrono_tz::Africa::Tripoli);
                match local.and_local_timezone(tz).earliest() {
                    Some(t) => f.starts_at = Some(t.with_timezone(&Utc)),
                    None => p.add("starts_at", Reason::DateInvalid),
                }
            }
        }
        if let Some(t) = f.starts_at {
            let now = self.now();
            if t < now - chrono::Duration::minutes(5) {
                p.add("starts_at", Reason::InquiryStartPast);
            } else if t > now + chrono::Duration::days(366) {
                p.add("starts_at", Reason::DateInvalid);
            }
        }
        let mut wanted = f.municipalities.clone();
        wanted.sort();
        wanted.dedup();
        if caller.role == Role::MunicipalHead {
            if wanted.iter().any(|m| *m != caller.org_id) {
                p.add("municipalities", Reason::AudienceNotOwn);
            }
            wanted = vec![caller.org_id];
        } else {
            let mut tx = self.store.read().await?;
            let orgs = self.cache.orgs(&mut *tx).await?;
            if !wanted.iter().all(|m| {
                orgs.iter()
                    .any(|o| o.id == *m && o.kind == OrgKind::Municipality)
            }) {
                p.add("municipalities", Reason::MunicipalityUnknown);
            }
        }
        p.finish()?;
        let questions = questions.unwrap_or_default();
        Ok((title, questions, wanted, f))
    }

    /// Saves a new inquiry as a draft, with its audit record.
    pub async fn create_inquiry(&self, caller: &Caller, f: InquiryForm) -> Result<Inquiry> {
        if !may_run(caller) {
            return Err(Error::forbidden());
        }
        let (title, questions, municipalities, f) = self.checked(caller, f).await?;
        let now = self.now();
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let quiet = diwan_domain::inquiry::schedule::QuietHours::default();
        let minutes = fanout::minutes_of;
        let i = Inquiry {
            id: Uuid::now_v7(),
            org_id: caller.org_id,
            code: None,
            title,
            state: InquiryState::Draft,
            questions,
            municipalities,
            sample: f.sample,
            web_link: f.web_link,
            starts_at: f.starts_at.unwrap_or(now),
            quiet_start: f.quiet_start.unwrap_or_else(|| minutes(quiet.start)),
            quiet_end: f.quiet_end.unwrap_or_else(|| minutes(quiet.end)),
            public_results: f.public_results,
            created_by: caller.user_id,
            submitted_at: None,
            approved_by: None,
            approved_at: None,
            recipients: 0,
            recipients_fixed: false,
            queued: 0,
            respondents: 0,
            batch_id: None,
            link_key: hex::encode(key),
            list_size: None,
            created_at: now,
            updated_at: now,
            closed_at: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_inquiry(&i).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "inquiry.create",
            "inquiry",
            Some(i.id.to_string()),
            json!({"title": i.title, "questions": i.questions.len(), "municipalities": i.municipalities,
                   "sample": i.sample, "web_link": i.web_link}),
        )
        .await?;
        tx.commit().await?;
        Ok(i)
    }

    /// The newest inquiries the caller may see.
    /// A call-centre agent sees none here: theirs are the caller's, in the
    /// console.
    pub async fn inquiries(&self, caller: &Caller) -> Result<Shown<Vec<Inquiry>>> {
        let own = match caller.role {
            Role::CallCentreAgent => None,
            _ => sight(caller)?,
        };
        let mut tx = self.store.read().await?;
        let list = match caller.role {
            Role::CallCentreAgent => Vec::new(),
            _ => tx.list_inquiries(own, 50).await?,
        };
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body: list })
    }

    /// One inquiry with its counts, if the caller may see it.
    pub async fn inquiry(&self, caller: &Caller, id: Uuid) -> Result<Shown<InquiryView>> {
        let mut tx = self.store.read().await?;
        let i = tx.get_inquiry(id).await?.ok_or_else(Error::not_found)?;
        if !visible(caller, &i)? {
            return Err(Error::not_found());
        }
        let counts = tx.answer_counts(id).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        let may_manage = may_run(caller);
        Ok(Shown {
            frame,
            body: InquiryView {
                may_approve: may_manage
                    && i.state == InquiryState::AwaitingApproval
                    && inquiry::may_approve(i.created_by, caller.user_id),
                may_manage,
                inquiry: i,
                counts,
            },
        })
    }

    /// Moves an inquiry: submit, approve, reject, pause, resume or close;
    /// in one transaction with its audit record. Submitting counts the
    /// audience: above the approval threshold, a second person approves.
    pub async fn move_inquiry(&self, caller: &Caller, id: Uuid, action: &str) -> Result<Inquiry> {
        if !may_run(caller) {
            return Err(Error::forbidden());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut i = tx.lock_inquiry(id).await?.ok_or_else(Error::not_found)?;
        if !visible(caller, &i)? {
            return Err(Error::not_found());
        }
        let before = i.state;
        let mut details = json!({"from": before.as_str()});
        let act = match action {
            "submit" => {
                let audience = tx
                    .count_audience(&diwan_store::Audience {
                        municipalities: i.municipalities.clone(),
                        list: i.list_size.map(|_| i.id),
                    })
                    .await?
                    .iter()
                    .sum::<i64>();
                let reach = i.sample.map_or(audience, |n| n.min(audience));
                details["recipients"] = json!(reach);
                Action::Submit {
                    needs_approval: reach > self.config.inquiry.approval_threshold,
                }
            }
            "approve" => {
                if !inquiry::may_approve(i.created_by, caller.user_id) {
                    return Err(Error::Domain(
                        DomainError::new(ErrorCode::InvalidTransition)
                            .with("action", Reason::InquirySecondPerson),
                    ));
                }
                Action::Approve
            }
            "reject" => Action::Reject,
            "pause" => Action::Pause,
            "resume" => Action::Resume,
            "close" => Action::Close,
            _ => return Err(Error::invalid("action", Reason::FieldRequired)),
        };
        let Some(next) = inquiry::next(before, act) else {
            return Err(Error::Domain(DomainError::new(
                ErrorCode::InvalidTransition,
            )));
        };
        i.state = next;
        i.updated_at = now;
        match act {
            Action::Submit { .. } => {
                i.submitted_at = Some(now);
                let used = tx.inquiry_codes_in_use().await?;
                i.code = (0..)
                    .map_while(diwan_domain::inquiry::reply::code_for)
                    .find(|c| !used.contains(c));
                if i.code.is_none() {
                    return Err(Error::Domain(
                        DomainError::new(ErrorCode::Conflict)
                            .with("code", Reason::InquiryCodesTaken),
                    ));
                }
                if next == InquiryState::Approved {
                    i.approved_at = Some(now);
                }
            }
            Action::Approve => {
                i.approved_by = Some(caller.user_id);
                i.approved_at = Some(now);
            }
            Action::Reject => i.code = None,
            Action::Close => i.closed_at = Some(now),
            _ => {}
        }
        if !tx.update_inquiry(&i, before).await? {
            return Err(Error::Domain(DomainError::new(ErrorCode::Conflict)));
        }
        details["to"] = json!(next.as_str());
        record(
            &mut *tx,
            Some(caller),
            now,
            &format!("inquiry.{action}"),
            "inquiry",
            Some(i.id.to_string()),
            details,
        )
        .await?;
        tx.commit().await?;
        self.inquiries_waiting.notify_one();
        Ok(i)
    }

    /// The inquiry's audience as it is fixed when sending starts.
    pub(crate) fn audience_of(i: &Inquiry) -> InquiryAudience {
        InquiryAudience {
            municipalities: i.municipalities.clone(),
            sample: i.sample,
            list: i.list_size.map(|_| i.id),
        }
    }
}

/// Whether a count going from `before` to `after` passed a power of two:
/// when what the database's planner knows of a table that grows with it is
/// refreshed (see [`diwan_store::InquiryRepo::refresh_inquiry_statistics`]),
/// a few times over a million rows rather than at every step.
pub(crate) fn doubled(before: i64, after: i64) -> bool {
    after > before && after.ilog2() > before.max(1).ilog2()
}
