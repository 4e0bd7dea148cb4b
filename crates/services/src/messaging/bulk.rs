//! Bulk SMS: one message to every person of an audience of the registry,
//! its cost shown first, queued in one transaction, and how its messages
//! fared.

use super::{check_text, may_send, sight};
use crate::audit::record;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::messaging::sms::SmsCount;
use diwan_domain::messaging::{Channel, Kind, State};
use diwan_domain::Reason;
use diwan_store::{Audience, MessageBatch, StateCount};
use serde_json::json;
use uuid::Uuid;

/// A bulk SMS as the compose page sends it.
#[derive(Debug, Clone, Default)]
pub struct BulkForm {
    pub text: String,
    /// Residents of these municipalities; everyone when empty.
    pub municipalities: Vec<Uuid>,
}

/// What a bulk SMS will cost, shown before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub count: SmsCount,
    pub recipients: i64,
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
                })
            }
        }
    }

    /// What a bulk SMS would take: its encoding, parts, recipients and cost.
    pub async fn preview_bulk(&self, caller: &Caller, f: &BulkForm) -> Result<Preview> {
        if !may_send(caller) {
            return Err(Error::forbidden());
        }
        let count = check_text("text", &f.text)?;
        let audience = self.audience(caller, &f.municipalities).await?;
        let mut tx = self.store.read().await?;
        let recipients = tx.count_audience(&audience).await?;
        let total_parts = recipients * count.parts as i64;
        Ok(Preview {
            count,
            recipients,
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
        let count = check_text("text", &f.text)?;
        let audience = self.audience(caller, &f.municipalities).await?;
        let now = self.now();
        let mut batch = MessageBatch {
            id: Uuid::now_v7(),
            org_id: caller.org_id,
            created_by: Some(caller.user_id),
            channel: Channel::Sms,
            kind: Kind::Bulk,
            subject: None,
            body: f.text,
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
            .queue_audience(&batch, &audience, count.parts as i32, expires)
            .await?;
        record(
            &mut *tx,
            Some(caller),
            now,
            "message.batch_queue",
            "message_batch",
            Some(batch.id.to_string()),
            json!({"channel": "sms", "recipients": batch.total, "parts": count.parts,
                   "encoding": count.encoding.as_str(), "municipalities": audience.municipalities}),
        )
        .await?;
        tx.commit().await?;
        self.messages_waiting.notify_one();
        Ok(batch)
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
