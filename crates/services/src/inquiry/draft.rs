//! What is done to an inquiry before it is sent: its audience given as an
//! uploaded list of persons of the registry, and a test send of its
//! questions to a few staff numbers.

use super::{may_run, visible};
use crate::audit::record;
use crate::messaging::{queue_sms, Sms};
use crate::{Caller, Error, Result, Services};
use diwan_domain::inquiry::list::{self, ListEntry};
use diwan_domain::inquiry::{self as domain, InquiryState};
use diwan_domain::messaging::Kind;
use diwan_domain::persons::{Language, Mobile};
use diwan_domain::{DomainError, ErrorCode, Reason, Role};
use diwan_store::{Inquiry, Tx};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Lines of a list looked up in the registry at once.
const LOOKUP: usize = 5000;
/// The refused lines a report shows (all are counted).
pub const REFUSED_SHOWN: usize = 50;
/// The most numbers one test send goes to.
pub const MAX_TEST_NUMBERS: usize = 5;

/// A line of a list that names nobody of the audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    pub line: usize,
    pub content: String,
    pub reason: Reason,
}

/// What an uploaded list came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReport {
    pub inquiry: Inquiry,
    /// Lines with something on them.
    pub lines: usize,
    /// Distinct persons on the list.
    pub persons: i64,
    pub refused: usize,
    /// The first [`REFUSED_SHOWN`] refused lines.
    pub first_refused: Vec<RefusedLine>,
    /// Whether the list was kept: one that names nobody is not.
    pub saved: bool,
}

fn not_draft(field: &str) -> Error {
    Error::Domain(
        DomainError::new(ErrorCode::InvalidTransition).with(field, Reason::InquiryNotDraft),
    )
}

impl Services {
    /// The inquiry `id`, locked, if the caller may run it.
    async fn managed(&self, tx: &mut dyn Tx, caller: &Caller, id: Uuid) -> Result<Inquiry> {
        if !may_run(caller) {
            return Err(Error::forbidden());
        }
        let i = tx.lock_inquiry(id).await?.ok_or_else(Error::not_found)?;
        if !visible(caller, &i)? {
            return Err(Error::not_found());
        }
        Ok(i)
    }

    /// Makes `text` (a file or pasted numbers: a national number or a
    /// mobile number on each line) the audience of the draft `id`,
    /// replacing any list before, or removes its list when `text` is
    /// `None`; in one transaction with its audit record. Lines that name
    /// nobody of the caller's audience are refused and reported (a
    /// municipality's head reaches only his residents, and is not told
    /// whether a number is registered elsewhere); a list that names nobody
    /// is not kept, and its report says so (`saved` false).
    pub async fn set_inquiry_list(
        &self,
        caller: &Caller,
        id: Uuid,
        text: Option<&str>,
    ) -> Result<ListReport> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut i = self.managed(&mut *tx, caller, id).await?;
        if i.state != InquiryState::Draft {
            return Err(not_draft("list"));
        }
        tx.clear_inquiry_list(i.id).await?;
        let own = (caller.role == Role::MunicipalHead).then_some(caller.org_id);
        let mut report = ListReport {
            inquiry: i.clone(),
            lines: 0,
            persons: 0,
            refused: 0,
            first_refused: Vec::new(),
            saved: false,
        };
        let refuse = |r: &mut ListReport, line: usize, content: String, reason: Reason| {
            r.refused += 1;
            if r.first_refused.len() < REFUSED_SHOWN {
                r.first_refused.push(RefusedLine {
                    line,
                    content,
                    reason,
                });
            }
        };
        if let Some(text) = text {
            let mut lines = list::read(text).peekable();
            while lines.peek().is_some() {
                let chunk: Vec<list::ListLine> = lines.by_ref().take(LOOKUP).collect();
                report.lines += chunk.len();
                let (mut numbers, mut mobiles) = (Vec::new(), Vec::new());
                for l in &chunk {
                    match &l.entry {
                        Ok(ListEntry::NationalNumber(n)) => numbers.push(n.as_str().to_owned()),
                        Ok(ListEntry::Mobile(m)) => mobiles.push(m.as_str().to_owned()),
                        Err(_) => {}
                    }
                }
                let found: HashMap<String, Uuid> = tx
                    .person_keys(&numbers, &mobiles)
                    .await?
                    .into_iter()
                    .filter(|k| own.is_none_or(|o| k.municipality_id == Some(o)))
                    .map(|k| (k.key, k.person_id))
                    .collect();
                let mut persons = Vec::with_capacity(chunk.len());
                for l in chunk {
                    match l.entry {
                        Ok(e) => match found.get(e.key()) {
                            Some(p) => persons.push(*p),
                            None => refuse(
                                &mut report,
                                l.line,
                                l.content,
                                Reason::InquiryListPersonUnknown,
                            ),
                        },
                        Err(reason) => refuse(&mut report, l.line, l.content, reason),
                    }
                }
                report.persons += tx.add_to_inquiry_list(i.id, &persons).await? as i64;
            }
            if report.persons == 0 {
                // Nothing is kept (the transaction is not committed): the
                // report says why.
                return Ok(report);
            }
        }
        let before = i.state;
        i.list_size = text.map(|_| report.persons);
        i.updated_at = now;
        if !tx.update_inquiry(&i, before).await? {
            return Err(Error::Domain(DomainError::new(ErrorCode::Conflict)));
        }
        record(
            &mut *tx,
            Some(caller),
            now,
            if text.is_some() {
                "inquiry.list"
            } else {
                "inquiry.list_remove"
            },
            "inquiry",
            Some(i.id.to_string()),
            json!({"lines": report.lines, "persons": report.persons, "refused": report.refused}),
        )
        .await?;
        tx.commit().await?;
        report.inquiry = i;
        report.saved = true;
        Ok(report)
    }

    /// Sends the questions of inquiry `id`, each as the recipients will
    /// read it (in Arabic, with its code and, when it has them, a sample
    /// personal link), to one to five staff `numbers` before it goes out;
    /// a municipality's head to Libyan numbers only. Bulk messages: a
    /// number that opted out gets none. Returns how many SMS were queued.
    pub async fn test_inquiry(&self, caller: &Caller, id: Uuid, numbers: &str) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let i = self.managed(&mut *tx, caller, id).await?;
        if !matches!(
            i.state,
            InquiryState::Draft | InquiryState::AwaitingApproval | InquiryState::Approved
        ) {
            return Err(not_draft("numbers"));
        }
        let mut to: Vec<Mobile> = Vec::new();
        for n in numbers
            .split(['\n', ',', '\u{060C}', ';'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let m =
                Mobile::parse(n).map_err(|_| Error::invalid("numbers", Reason::MobileInvalid))?;
            if caller.role != Role::Admin && !m.as_str().starts_with("+218") {
                return Err(Error::invalid("numbers", Reason::MobileNotLibyan));
            }
            if !to.contains(&m) {
                to.push(m);
            }
        }
        if to.is_empty() {
            return Err(Error::invalid("numbers", Reason::FieldRequired));
        }
        if to.len() > MAX_TEST_NUMBERS {
            return Err(Error::invalid("numbers", Reason::FieldTooLong));
        }
        let code = i.code.clone().unwrap_or_else(|| "--".into());
        let link = i.web_link.then(|| {
            let mut u = self.config.inquiry.public_url.clone();
            u.set_path(&format!(
                "/i/{code}/0/{}",
                super::link_signature(&i.link_key, 0)
            ));
            u.to_string()
        });
        let mut queued = 0;
        for m in &to {
            for (at, q) in i.questions.iter().enumerate() {
                let text = domain::question_sms(
                    q,
                    Language::Ar,
                    &code,
                    link.as_deref().filter(|_| at == 0),
                );
                queue_sms(
                    &mut *tx,
                    Sms {
                        org_id: i.org_id,
                        kind: Kind::Bulk,
                        to: m.clone(),
                        person_id: None,
                        language: "ar".into(),
                        text,
                        batch_id: None,
                    },
                    now,
                    self.messaging().sms_validity,
                )
                .await?;
                queued += 1;
            }
        }
        let numbers: Vec<&str> = to.iter().map(Mobile::as_str).collect();
        record(
            &mut *tx,
            Some(caller),
            now,
            "inquiry.test",
            "inquiry",
            Some(i.id.to_string()),
            json!({"numbers": numbers, "messages": queued}),
        )
        .await?;
        tx.commit().await?;
        self.messages_queued();
        Ok(queued)
    }
}
