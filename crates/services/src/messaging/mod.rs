//! Messaging: the outbox every capability queues its SMS and e-mail in,
//! bulk SMS to the registry's persons, and reading how messages fared.
//!
//! A message is written in the transaction of the change that causes it
//! ([`queue_sms`]); the worker ([`worker`]) delivers it after commit through
//! the gateway ([`kannel`]), whose reports and the replies of persons come
//! back through [`Services::kannel_report`] and [`Services::kannel_incoming`].
//! Administrators send and follow every message; a municipality's head
//! those of his municipality; auditors read them all.

pub mod bulk;
pub mod email;
pub mod kannel;
pub mod templates;
pub mod worker;

pub use bulk::{BatchView, BulkForm, Preview};
pub use templates::{Rendered, TemplateForm, TemplatePreview};

use crate::audit::record;
use crate::error::Problems;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use chrono::{DateTime, Utc};
use diwan_domain::messaging::sms::{self, SmsCount};
use diwan_domain::messaging::{Channel, Kind, State};
use diwan_domain::persons::Mobile;
use diwan_domain::{Reason, Role};
use diwan_store::{MessageBatch, OutboxMessage, OutboxQuery, StateCount, Tx};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// The most messages one page shows.
pub const PAGE: i64 = 50;

/// The longest SMS Diwan sends, in parts (Kannel joins them).
pub const MAX_PARTS: usize = 10;

/// How messaging is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The SMS gateway; without one, SMS stay queued.
    pub kannel: Option<kannel::Kannel>,
    /// The mail relay; without one, e-mail stays queued.
    pub smtp: Option<email::Smtp>,
    /// E-mails handed to the relay per second, on this node.
    pub email_per_second: u32,
    /// The secret Kannel's reports and incoming SMS are checked with.
    pub callback_key: Option<String>,
    /// SMS handed to the gateway per second, on this node.
    pub sms_per_second: u32,
    /// How long a worker holds a message it is sending. A message whose
    /// worker stopped is sent again only after this, unless a report of it
    /// came meanwhile.
    pub lease: Duration,
    /// A message not sent within this time expires.
    pub sms_validity: Duration,
    /// The price of one SMS part, in dirhams (thousandths of a dinar).
    pub price_per_part: i64,
    /// Replies that opt a number out of bulk SMS, and back in (compared
    /// without case, spaces and punctuation around them).
    pub opt_out_words: Vec<String>,
    pub opt_in_words: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kannel: None,
            smtp: None,
            email_per_second: 20,
            callback_key: None,
            sms_per_second: 100,
            lease: Duration::from_secs(120),
            sms_validity: Duration::from_secs(24 * 3600),
            price_per_part: 0,
            opt_out_words: ["STOP", "إيقاف", "توقف", "ARRET"]
                .map(String::from)
                .to_vec(),
            opt_in_words: ["START", "اشتراك", "REPRISE"].map(String::from).to_vec(),
        }
    }
}

/// Whose messages `c` sees: every organization's (`None`) or its own. To
/// the other roles no message exists (not found, as a case of another
/// organization is).
fn sight(c: &Caller) -> Result<Option<Uuid>> {
    match c.role {
        Role::Admin | Role::Auditor => Ok(None),
        Role::MunicipalHead => Ok(Some(c.org_id)),
        _ => Err(Error::not_found()),
    }
}

/// Whether `c` may send messages.
fn may_send(c: &Caller) -> bool {
    c.can_write() && matches!(c.role, Role::Admin | Role::MunicipalHead)
}

/// An SMS for the outbox, to be queued with [`queue_sms`].
#[derive(Debug, Clone)]
pub struct Sms {
    pub org_id: Uuid,
    pub kind: Kind,
    pub to: Mobile,
    pub person_id: Option<Uuid>,
    pub language: String,
    pub text: String,
    pub batch_id: Option<Uuid>,
}

/// An e-mail for the outbox, to be queued with [`queue_email`].
#[derive(Debug, Clone)]
pub struct Email {
    pub org_id: Uuid,
    pub kind: Kind,
    /// An address checked with `persons::parse_email`.
    pub to: String,
    pub person_id: Option<Uuid>,
    /// `ar`, `en` or `fr`: the HTML part's language and direction.
    pub language: String,
    pub subject: String,
    pub text: String,
    pub batch_id: Option<Uuid>,
}

/// The outbox's row for `s`, to be queued with others at once.
pub fn sms_message(s: Sms, now: DateTime<Utc>, validity: Duration) -> OutboxMessage {
    let parts = sms::count(&s.text).parts as i32;
    outgoing(
        Channel::Sms,
        s.org_id,
        s.kind,
        s.to.to_string(),
        s.person_id,
        s.language,
        None,
        s.text,
        parts,
        s.batch_id,
        now,
        validity,
    )
}

/// Queues `s` in `tx`, the transaction of the change that causes it; the
/// worker sends it once that commits.
pub async fn queue_sms(
    tx: &mut dyn Tx,
    s: Sms,
    now: DateTime<Utc>,
    validity: Duration,
) -> Result<OutboxMessage> {
    let m = sms_message(s, now, validity);
    tx.queue_messages(std::slice::from_ref(&m)).await?;
    Ok(m)
}

/// Queues `e` in `tx`, as [`queue_sms`] does.
pub async fn queue_email(
    tx: &mut dyn Tx,
    e: Email,
    now: DateTime<Utc>,
    validity: Duration,
) -> Result<OutboxMessage> {
    let m = outgoing(
        Channel::Email,
        e.org_id,
        e.kind,
        e.to,
        e.person_id,
        e.language,
        Some(e.subject),
        e.text,
        1,
        e.batch_id,
        now,
        validity,
    );
    tx.queue_messages(std::slice::from_ref(&m)).await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn outgoing(
    channel: Channel,
    org_id: Uuid,
    kind: Kind,
    recipient: String,
    person_id: Option<Uuid>,
    language: String,
    subject: Option<String>,
    body: String,
    parts: i32,
    batch_id: Option<Uuid>,
    now: DateTime<Utc>,
    validity: Duration,
) -> OutboxMessage {
    OutboxMessage {
        id: Uuid::now_v7(),
        batch_id,
        org_id,
        channel,
        kind,
        recipient,
        person_id,
        language,
        subject,
        body,
        parts,
        state: State::Queued,
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        expires_at: now + validity,
        error: None,
        created_at: now,
        sent_at: None,
        delivered_at: None,
        updated_at: now,
    }
}

/// Checks an e-mail's subject (required, on one line, at most
/// [`MAX_SUBJECT_CHARS`]) and text (required, at most
/// [`MAX_EMAIL_TEXT_CHARS`]); returns the subject, trimmed, when it holds.
pub(crate) fn check_email(p: &mut Problems, subject: Option<&str>, text: &str) -> Option<String> {
    let subject = subject.map(str::trim).filter(|s| !s.is_empty());
    let subject = match subject {
        None => {
            p.add("subject", Reason::FieldRequired);
            None
        }
        Some(s) if s.chars().count() > MAX_SUBJECT_CHARS || s.contains(['\r', '\n']) => {
            p.add("subject", Reason::FieldTooLong);
            None
        }
        Some(s) => Some(s.to_owned()),
    };
    if text.trim().is_empty() {
        p.add("text", Reason::FieldRequired);
    } else if text.chars().count() > MAX_EMAIL_TEXT_CHARS {
        p.add("text", Reason::FieldTooLong);
    }
    subject
}

/// The longest subject of an e-mail, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// The longest text of an e-mail, in characters.
pub const MAX_EMAIL_TEXT_CHARS: usize = 20_000;

/// A text checked to be sendable as an SMS: not blank, at most
/// [`MAX_PARTS`] parts.
pub fn check_text(field: &str, text: &str) -> Result<SmsCount> {
    if text.trim().is_empty() {
        return Err(Error::invalid(field, Reason::FieldRequired));
    }
    let c = sms::count(text);
    if c.parts > MAX_PARTS {
        return Err(Error::invalid(field, Reason::FieldTooLong));
    }
    Ok(c)
}

/// One message as a form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct SendForm {
    /// `sms` or `email`; SMS when not given.
    pub channel: Option<String>,
    /// A mobile number, or an e-mail address.
    pub to: String,
    /// An e-mail's subject.
    pub subject: Option<String>,
    pub text: String,
    /// `transactional` or `bulk`; bulk when not given.
    pub kind: Option<String>,
    /// `ar`, `en` or `fr`, the language it is written in; Arabic when the
    /// text has Arabic letters, English otherwise, when not given.
    pub language: Option<String>,
    /// A template to send instead of the text, in the language given, or
    /// else the recipient's as the registry knows it, or else Arabic; with
    /// these values for its placeholders. Its kind is the message's unless
    /// one is given.
    pub template_id: Option<Uuid>,
    pub values: std::collections::BTreeMap<String, String>,
}

/// The language a text is written in, as far as its direction goes:
/// Arabic when it has Arabic letters, English otherwise.
pub fn language_of(text: &str) -> &'static str {
    if text
        .chars()
        .any(|c| matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}'))
    {
        "ar"
    } else {
        "en"
    }
}

/// The messaging page: recent batches and messages.
#[derive(Debug, Clone)]
pub struct Overview {
    pub batches: Vec<MessageBatch>,
    pub messages: Vec<OutboxMessage>,
    pub next: Option<Uuid>,
    pub counts: Vec<StateCount>,
    pub gateway: bool,
}

impl Services {
    /// The messaging settings.
    pub fn messaging(&self) -> &Settings {
        &self.config.messaging
    }

    /// Queues one SMS to a number, or one e-mail to an address, on behalf
    /// of the caller's organization.
    pub async fn send_message(&self, caller: &Caller, mut f: SendForm) -> Result<OutboxMessage> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        if let Some(id) = f.template_id {
            self.fill_from_template(caller, id, &mut f).await?;
        }
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
        };
        let mut p = Problems::default();
        let channel = match given(&f.channel) {
            None => Some(Channel::Sms),
            Some(c) => p.take(
                Channel::parse(&c).ok_or_else(|| Error::invalid("channel", Reason::ChannelUnknown)),
            )?,
        };
        let kind = match given(&f.kind) {
            None => Some(Kind::Bulk),
            Some(k) => {
                p.take(Kind::parse(&k).ok_or_else(|| Error::invalid("kind", Reason::KindUnknown)))?
            }
        };
        let mut to_mobile = None;
        let mut to_email = None;
        let mut subject = None;
        match channel {
            Some(Channel::Sms) => {
                to_mobile = p.take(
                    Mobile::parse(&f.to).map_err(|_| Error::invalid("to", Reason::MobileInvalid)),
                )?;
                p.take(check_text("text", &f.text))?;
            }
            Some(Channel::Email) => {
                to_email = p.take(
                    diwan_domain::persons::parse_email(&f.to)
                        .map_err(|_| Error::invalid("to", Reason::EmailInvalid)),
                )?;
                subject = check_email(&mut p, given(&f.subject).as_deref(), &f.text);
            }
            None => {}
        }
        let language = match given(&f.language) {
            None => Some(language_of(&f.text).to_owned()),
            Some(l) => p.take(
                l.parse::<diwan_domain::persons::Language>()
                    .map(|l| l.as_str().to_owned())
                    .map_err(|_| Error::invalid("language", Reason::LanguageUnknown)),
            )?,
        };
        if kind == Some(Kind::Transactional) && caller.role != Role::Admin {
            // Transactional messages pass opt-outs: they are the system's
            // (codes, notices) and an administrator's, not a head's.
            p.add("kind", Reason::KindNotAllowed);
        }
        if caller.role != Role::Admin
            && to_mobile
                .as_ref()
                .is_some_and(|m| !m.to_string().starts_with("+218"))
        {
            p.add("to", Reason::MobileNotLibyan);
        }
        p.finish()?;
        let (Some(kind), Some(language)) = (kind, language) else {
            return Err(Error::Internal(
                "a message form passed its checks incomplete".into(),
            ));
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let m = match (to_mobile, to_email, subject) {
            (Some(to), _, _) => {
                queue_sms(
                    &mut *tx,
                    Sms {
                        org_id: caller.org_id,
                        kind,
                        to,
                        person_id: None,
                        language,
                        text: f.text,
                        batch_id: None,
                    },
                    now,
                    self.messaging().sms_validity,
                )
                .await?
            }
            (None, Some(to), Some(subject)) => {
                queue_email(
                    &mut *tx,
                    Email {
                        org_id: caller.org_id,
                        kind,
                        to,
                        person_id: None,
                        language,
                        subject,
                        text: f.text,
                        batch_id: None,
                    },
                    now,
                    self.messaging().sms_validity,
                )
                .await?
            }
            _ => {
                return Err(Error::Internal(
                    "a message form passed its checks incomplete".into(),
                ))
            }
        };
        record(
            &mut *tx,
            Some(caller),
            now,
            "message.queue",
            "message",
            Some(m.id.to_string()),
            json!({"channel": m.channel.as_str(), "kind": m.kind.as_str(), "parts": m.parts}),
        )
        .await?;
        tx.commit().await?;
        self.messages_queued();
        Ok(m)
    }

    /// Puts the text of template `id` in `f`, in the language of the
    /// form, of the recipient or Arabic, filled with the form's values.
    async fn fill_from_template(&self, caller: &Caller, id: Uuid, f: &mut SendForm) -> Result<()> {
        use diwan_domain::messaging::template;
        use diwan_domain::persons::{Language, PersonLookup};
        let t = self.usable_template(caller, id, "template").await?.template;
        let values = template::check_values(&t.placeholders, &f.values)?;
        let given = f
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let language = match given {
            Some(l) => l.parse::<Language>()?,
            None => {
                // The recipient's own, when the registry knows the number.
                match Mobile::parse(&f.to) {
                    Ok(m) => {
                        let mut tx = self.store.read().await?;
                        tx.search_persons(&diwan_store::PersonQuery {
                            lookup: Some(PersonLookup::Mobile(m)),
                            municipality_id: None,
                            before: None,
                            limit: 1,
                        })
                        .await?
                        .first()
                        .map_or(Language::Ar, |p| p.language)
                    }
                    Err(_) => Language::Ar,
                }
            }
        };
        f.text = template::render(t.texts.for_language(language), &values)
            .map_err(|_| Error::invalid("template", Reason::TemplatePlaceholderInvalid))?;
        f.language = Some(language.as_str().to_owned());
        if f.kind.as_deref().is_none_or(|k| k.trim().is_empty()) {
            f.kind = Some(t.kind.as_str().to_owned());
        }
        Ok(())
    }

    /// One message, if the caller may see it.
    pub async fn outbox_message(&self, caller: &Caller, id: Uuid) -> Result<Shown<OutboxMessage>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        let m = tx
            .get_outbox_message(id)
            .await?
            .filter(|m| own.is_none_or(|o| o == m.org_id))
            .ok_or_else(Error::not_found)?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body: m })
    }

    /// The messaging page: the newest batches and a page of messages.
    pub async fn messages_page(
        &self,
        caller: &Caller,
        state: Option<State>,
        before: Option<Uuid>,
    ) -> Result<Shown<Overview>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        let batches = tx.list_message_batches(own, 10).await?;
        let mut messages = tx
            .list_outbox(&OutboxQuery {
                org_id: own,
                state,
                before,
                limit: PAGE + 1,
                ..OutboxQuery::default()
            })
            .await?;
        let next = if messages.len() as i64 > PAGE {
            messages.truncate(PAGE as usize);
            messages.last().map(|m| m.id)
        } else {
            None
        };
        let counts = match own {
            None => tx.message_counts(None).await?,
            Some(_) => Vec::new(),
        };
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown {
            frame,
            body: Overview {
                batches,
                messages,
                next,
                counts,
                gateway: self.messaging().kannel.is_some(),
            },
        })
    }

    /// Messages per channel and state, for the metrics.
    pub async fn message_counts(&self) -> Result<Vec<StateCount>> {
        let mut tx = self.store.read().await?;
        Ok(tx.message_counts(None).await?)
    }
}
