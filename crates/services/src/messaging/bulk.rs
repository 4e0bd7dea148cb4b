//! Bulk SMS: one message to every person of an audience of the registry,
//! its cost shown first, queued in one transaction, and how its messages
//! fared.

use super::templates::{bulk_texts, render_all, Rendered};
use super::{check_text, may_send, sight};
use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::messaging::sms::SmsCount;
use diwan_domain::messaging::template;
use diwan_domain::messaging::{Channel, Kind, State};
use diwan_domain::persons::Language;
use diwan_domain::Reason;
use diwan_store::{Audience, MessageBatch, StateCount};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The most addresses one batch of e-mail takes.
pub const MAX_EMAIL_BATCH: usize = 10_000;

/// A bulk SMS as the compose page sends it.
#[derive(Debug, Clone, Default)]
pub struct BulkForm {
    /// The text, when no template is used.
    pub text: String,
    /// A template to send instead of the text, each person getting the
    /// text of their language, with these values for its placeholders.
    pub template_id: Option<Uuid>,
    pub values: BTreeMap<String, String>,
    /// Residents of these municipalities; everyone when empty.
    pub municipalities: Vec<Uuid>,
}

/// What a bulk SMS will cost, shown before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Of the Arabic text.
    pub count: SmsCount,
    /// Each language written, filled in (the text alone when no template).
    pub rendered: Vec<Rendered>,
    pub recipients: i64,
    /// Recipients by preferred language (ar, en, fr).
    pub by_language: [i64; 3],
    pub total_parts: i64,
    /// In dirhams.
    pub cost: i64,
    pub price_per_part: i64,
}

/// A batch and how its messages fared.
#[derive(Debug, Clone)]
pub struct BatchView {
    pub batch: MessageBatch,
    pub counts: Vec<StateCount>,
}

impl BatchView {
    /// Messages of the batch in `state`.
    pub fn count(&self, state: State) -> i64 {
        self.counts
            .iter()
            .filter(|c| c.state == state)
            .map(|c| c.count)
            .sum()
    }
}

impl Services {
    /// The audience of a bulk SMS, limited to what the caller may reach: a
    /// municipality's head writes to his own residents only, and every
    /// municipality named must be one (each once).
    async fn audience(&self, caller: &Caller, municipalities: &[Uuid]) -> Result<Audience> {
        let mut wanted = municipalities.to_vec();
        wanted.sort();
        wanted.dedup();
        match sight(caller)? {
            Some(own) if wanted.iter().any(|m| *m != own) => {
                Err(Error::invalid("municipalities", Reason::AudienceNotOwn))
            }
            Some(own) => Ok(Audience {
                municipalities: vec![own],
                list: None,
            }),
            None => {
                let mut tx = self.store.read().await?;
                let orgs = self.cache.orgs(&mut *tx).await?;
                let is_municipality = |m: &Uuid| {
                    orgs.iter().any(|o| {
                        o.id == *m && o.kind == diwan_domain::organizations::OrgKind::Municipality
                    })
                };
                if !wanted.iter().all(is_municipality) {
                    return Err(Error::invalid(
                        "municipalities",
                        Reason::MunicipalityUnknown,
                    ));
                }
                Ok(Audience {
                    municipalities: wanted,
                    list: None,
                })
            }
        }
    }

    /// The texts of a bulk SMS: its own, or its template's in each
    /// language written, filled with the values given.
    async fn bulk_content(&self, caller: &Caller, f: &BulkForm) -> Result<Vec<Rendered>> {
        match f.template_id {
            None => {
                let count = check_text("text", &f.text)?;
                Ok(vec![Rendered {
                    language: Language::Ar,
                    text: f.text.clone(),
                    count,
                }])
            }
            Some(id) => {
                let t = self.usable_template(caller, id, "template").await?;
                let values = template::check_values(&t.template.placeholders, &f.values)?;
                render_all(&t.template, &values)
            }
        }
    }

    /// What a bulk SMS would take: its encoding, parts, recipients (by
    /// language) and cost.
    pub async fn preview_bulk(&self, caller: &Caller, f: &BulkForm) -> Result<Preview> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        let rendered = self.bulk_content(caller, f).await?;
        let audience = self.audience(caller, &f.municipalities).await?;
        let mut tx = self.store.read().await?;
        let by_language = tx.count_audience(&audience).await?;
        let texts = bulk_texts(&rendered);
        let total_parts = by_language
            .iter()
            .zip(&texts.texts)
            .map(|(n, (_, parts))| n * *parts as i64)
            .sum::<i64>();
        Ok(Preview {
            count: rendered[0].count,
            rendered,
            recipients: by_language.iter().sum(),
            by_language,
            total_parts,
            cost: total_parts.saturating_mul(self.messaging().price_per_part),
            price_per_part: self.messaging().price_per_part,
        })
    }

    /// Queues a bulk SMS to every person of the audience with a mobile
    /// number who has not opted out, in one transaction with its audit
    /// record; the worker sends them after commit.
    pub async fn send_bulk(&self, caller: &Caller, f: BulkForm) -> Result<MessageBatch> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        let rendered = self.bulk_content(caller, &f).await?;
        let count = rendered[0].count;
        let texts = bulk_texts(&rendered);
        let audience = self.audience(caller, &f.municipalities).await?;
        let now = self.now();
        let mut batch = MessageBatch {
            id: Uuid::now_v7(),
            org_id: caller.org_id,
            created_by: Some(caller.user_id),
            channel: Channel::Sms,
            kind: Kind::Bulk,
            subject: None,
            body: rendered[0].text.clone(),
            total: 0,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        let orgs = self.cache.orgs(&mut *tx).await?;
        if audience
            .municipalities
            .iter()
            .any(|m| !orgs.iter().any(|o| o.id == *m))
        {
            return Err(Error::invalid(
                "municipalities",
                Reason::MunicipalityUnknown,
            ));
        }
        tx.insert_message_batch(&batch).await?;
        let expires = now + self.messaging().sms_validity;
        batch.total = tx
            .queue_audience(&batch, &audience, &texts, expires)
            .await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "message.batch_queue",
            "message_batch",
            Some(batch.id.to_string()),
            json!({"channel": "sms", "recipients": batch.total, "parts": count.parts,
                   "encoding": count.encoding.as_str(), "municipalities": audience.municipalities,
                   "template": f.template_id, "languages": rendered.iter().map(|r| r.language.as_str()).collect::<Vec<_>>()}),
        )
        .await?;
        tx.commit().await?;
        self.messages_queued();
        Ok(batch)
    }

    /// Queues one e-mail to each address of `to` (checked, each once), with
    /// one subject and text, as a batch, in one transaction with its audit
    /// record: the GovStack Messaging building block's batch e-mail.
    pub async fn send_email_batch(
        &self,
        caller: &Caller,
        subject: &str,
        text: &str,
        to: &[String],
    ) -> Result<MessageBatch> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        let mut p = crate::error::Problems::default();
        let subject = super::check_email(&mut p, Some(subject), text).unwrap_or_default();
        let mut addresses = Vec::new();
        for a in to {
            match diwan_domain::persons::parse_email(a) {
                Ok(e) if !addresses.contains(&e) => addresses.push(e),
                Ok(_) => {}
                Err(_) => p.add("recipients", Reason::EmailInvalid),
            }
        }
        if addresses.is_empty() {
            p.add("recipients", Reason::FieldRequired);
        } else if addresses.len() > MAX_EMAIL_BATCH {
            p.add("recipients", Reason::FieldTooLong);
        }
        p.finish()?;
        let now = self.now();
        let language = super::language_of(text).to_owned();
        let mut batch = MessageBatch {
            id: Uuid::now_v7(),
            org_id: caller.org_id,
            created_by: Some(caller.user_id),
            channel: Channel::Email,
            kind: Kind::Bulk,
            subject: Some(subject.clone()),
            body: text.to_owned(),
            total: addresses.len() as i64,
            created_at: now,
        };
        let messages: Vec<_> = addresses
            .into_iter()
            .map(|to| {
                super::outgoing(
                    Channel::Email,
                    caller.org_id,
                    Kind::Bulk,
                    to,
                    None,
                    language.clone(),
                    Some(subject.clone()),
                    text.to_owned(),
                    1,
                    Some(batch.id),
                    now,
                    self.messaging().sms_validity,
                )
            })
            .collect();
        let mut tx = self.store.begin().await?;
        tx.insert_message_batch(&batch).await?;
        tx.queue_messages(&messages).await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "message.batch_queue",
            "message_batch",
            Some(batch.id.to_string()),
            json!({"channel": "email", "recipients": messages.len()}),
        )
        .await?;
        tx.commit().await?;
        batch.total = messages.len() as i64;
        self.messages_queued();
        Ok(batch)
    }

    /// How the messages of a request fared: those of a batch, or the one
    /// message of that id; either only if the caller may see it.
    pub async fn request_counts(&self, caller: &Caller, id: Uuid) -> Result<Vec<StateCount>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        if let Some(b) = tx.get_message_batch(id).await? {
            if own.is_none_or(|o| o == b.org_id) {
                return Ok(tx.message_counts(Some(id)).await?);
            }
            return Err(Error::not_found());
        }
        let m = tx
            .get_outbox_message(id)
            .await?
            .filter(|m| own.is_none_or(|o| o == m.org_id))
            .ok_or_else(Error::not_found)?;
        Ok(vec![StateCount {
            channel: m.channel,
            state: m.state,
            count: 1,
        }])
    }

    /// One batch and how its messages fared, if the caller may see it.
    pub async fn message_batch(&self, caller: &Caller, id: Uuid) -> Result<Shown<BatchView>> {
        let own = sight(caller)?;
        let mut tx = self.store.read().await?;
        let batch = tx
            .get_message_batch(id)
            .await?
            .filter(|b| own.is_none_or(|o| o == b.org_id))
            .ok_or_else(Error::not_found)?;
        let counts = tx.message_counts(Some(id)).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown {
            frame,
            body: BatchView { batch, counts },
        })
    }
}
