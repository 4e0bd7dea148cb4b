//! Messaging: the outbox of messages to send, their batches, and the
//! numbers and addresses that opted out of bulk messages.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::{Channel, Kind, Report, State};
use serde::Serialize;
use uuid::Uuid;

/// A message to send, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxMessage {
    pub id: Uuid,
    /// The batch it was sent with, if it was one of many.
    pub batch_id: Option<Uuid>,
    /// The organization on whose behalf it is sent: a municipality's staff
    /// see only its own.
    pub org_id: Uuid,
    pub channel: Channel,
    pub kind: Kind,
    /// An E.164 number or an e-mail address.
    pub recipient: String,
    /// The person of the registry it goes to, when known.
    pub person_id: Option<Uuid>,
    /// `ar`, `en` or `fr`: the direction and language of an e-mail.
    pub language: String,
    pub subject: Option<String>,
    pub body: String,
    /// Parts an SMS takes (1 for an e-mail).
    pub parts: i32,
    pub state: State,
    pub attempts: i32,
    /// When a worker may take it (again).
    pub next_attempt_at: DateTime<Utc>,
    /// Until when the worker that holds it (`sending`) may record its answer.
    pub lease_until: Option<DateTime<Utc>>,
    /// Not sent after this, it expires.
    pub expires_at: DateTime<Utc>,
    /// Why the last attempt failed, or why it failed for good.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Many messages sent as one: a bulk SMS, an inquiry's questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageBatch {
    pub id: Uuid,
    pub org_id: Uuid,
    pub created_by: Option<Uuid>,
    pub channel: Channel,
    pub kind: Kind,
    pub subject: Option<String>,
    pub body: String,
    /// Messages queued for it.
    pub total: i64,
    pub created_at: DateTime<Utc>,
}

/// A bulk message's text in each language, with its parts; each person
/// gets the one of their preferred language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkTexts {
    /// Indexed as [`diwan_domain::persons::Language::ALL`]: ar, en, fr.
    pub texts: [(String, i32); 3],
}

impl BulkTexts {
    /// The same text for everyone.
    pub fn one(text: &str, parts: i32) -> Self {
        BulkTexts {
            texts: [0, 1, 2].map(|_| (text.to_owned(), parts)),
        }
    }
}

/// A stored message template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate {
    pub id: Uuid,
    /// The organization it belongs to.
    pub org_id: Uuid,
    pub template: diwan_domain::messaging::template::Template,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Who a bulk message goes to: the persons of the registry with a mobile
/// number who have not opted out of bulk SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// Residents of these municipalities only; every person when empty.
    pub municipalities: Vec<Uuid>,
    /// Only the persons of this inquiry's uploaded list.
    pub list: Option<Uuid>,
}

/// A page of messages, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxQuery {
    /// Only the messages of this organization.
    pub org_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    pub state: Option<State>,
    pub recipient: Option<String>,
    /// Only messages older than this one (ids are time-ordered).
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// What one attempt of a worker came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: Uuid,
    /// `sent`, `queued` again (a temporary failure), or `failed`.
    pub state: State,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A message received from a person (an SMS Kannel passed on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomingMessage {
    pub id: Uuid,
    pub channel: Channel,
    /// The sender, in E.164 when it reads as a mobile number.
    pub sender: String,
    /// The number it was sent to (the short code).
    pub receiver: String,
    pub body: String,
    /// What Diwan made of it: `opt_out`, `opt_in`, `none`, or what an
    /// inquiry made of it.
    pub action: String,
    pub received_at: DateTime<Utc>,
    /// When the gateway received it, as the gateway says it (Kannel's
    /// `X-Kannel-Time`): the same on each of the gateway's repeats.
    pub gateway_time: Option<String>,
}

/// How many messages are in each state, per channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub channel: Channel,
    pub state: State,
    pub count: i64,
}

/// How the counts of messages per batch, channel and state change in one
/// transaction: each backend keeps them in `message_counts`, moved in the
/// transaction that moves the messages, so that a batch's progress and the
/// metrics are read without counting messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountMoves(pub std::collections::BTreeMap<(Uuid, Channel, State), i64>);

impl CountMoves {
    /// The key of messages outside any batch.
    pub const NO_BATCH: Uuid = Uuid::nil();

    pub fn add(&mut self, batch: Option<Uuid>, channel: Channel, state: State, n: i64) {
        if n != 0 {
            *self
                .0
                .entry((batch.unwrap_or(Self::NO_BATCH), channel, state))
                .or_default() += n;
        }
    }

    /// One message moved from `from` to `to`.
    pub fn moved(&mut self, batch: Option<Uuid>, channel: Channel, from: State, to: State) {
        if from != to {
            self.add(batch, channel, from, -1);
            self.add(batch, channel, to, 1);
        }
    }

    /// The changes to write, in key order (so that two transactions lock
    /// the rows they share in the same order), without those that cancel
    /// out.
    pub fn changes(&self) -> impl Iterator<Item = (Uuid, Channel, State, i64)> + '_ {
        self.0
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|((b, c, s), n)| (*b, *c, *s, *n))
    }
}

/// What a gateway reported of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayReport {
    pub id: Uuid,
    pub report: Report,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait MessageRead {
    async fn get_outbox_message(&mut self, id: Uuid) -> Result<Option<OutboxMessage>>;
    async fn list_outbox(&mut self, q: &OutboxQuery) -> Result<Vec<OutboxMessage>>;
    async fn get_message_batch(&mut self, id: Uuid) -> Result<Option<MessageBatch>>;
    /// The newest batches, of one organization or of all.
    async fn list_message_batches(
        &mut self,
        org_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<MessageBatch>>;
    /// Messages per channel and state: of one batch, or of all; read from
    /// the counts kept as messages move (see [`CountMoves`]).
    async fn message_counts(&mut self, batch_id: Option<Uuid>) -> Result<Vec<StateCount>>;
    /// How many persons `audience` reaches, by preferred language (as
    /// [`diwan_domain::persons::Language::ALL`]: ar, en, fr).
    async fn count_audience(&mut self, audience: &Audience) -> Result<[i64; 3]>;
    /// The newest messages received, before `before` (ids are time-ordered).
    async fn list_incoming(
        &mut self,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<IncomingMessage>>;
    /// Those of `addresses` that opted out of bulk messages on `channel`.
    async fn opted_out(&mut self, channel: Channel, addresses: &[String]) -> Result<Vec<String>>;
    /// The messages already received from these senders with these
    /// gateway times (`(sender, gateway_time)` pairs): those a gateway's
    /// repeats may be of.
    async fn incoming_repeats(&mut self, keys: &[(String, String)])
        -> Result<Vec<IncomingMessage>>;
}

#[async_trait]
pub trait MessageRepo: MessageRead {
    /// Queues messages; may be held back until the next read or the commit.
    async fn queue_messages(&mut self, m: &[OutboxMessage]) -> Result<()>;
    async fn insert_message_batch(&mut self, b: &MessageBatch) -> Result<()>;
    /// Queues one SMS of `batch` (its kind, organization and validity
    /// until `expires_at`) to the first mobile number of every person of
    /// `audience`, in the text of the person's language, in one statement;
    /// returns how many.
    async fn queue_audience(
        &mut self,
        batch: &MessageBatch,
        audience: &Audience,
        texts: &BulkTexts,
        expires_at: DateTime<Utc>,
    ) -> Result<i64>;
    /// Takes up to `limit` messages of `channel` that are due: queued with
    /// their time come, or `sending` with their holder's lease run out.
    /// They are `sending` until `until`, and no other worker takes them
    /// meanwhile (on PostgreSQL, `SKIP LOCKED`).
    async fn claim_messages(
        &mut self,
        channel: Channel,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>>;
    /// Records what attempts came to: the count of attempts always, the
    /// outcome for the messages still `sending` (a report that came first
    /// is kept).
    async fn record_attempts(&mut self, a: &[Attempt]) -> Result<()>;
    /// Applies gateways' reports to their messages, taken in the order of
    /// their ids (so that two writers lock shared messages in one order);
    /// returns the states before and after of those that moved (a report
    /// of no message, or one that changes nothing, is left out).
    async fn apply_reports(&mut self, reports: &[GatewayReport]) -> Result<Vec<(State, State)>>;
    /// Marks expired up to `limit` queued messages whose validity ran out
    /// before `now`; returns how many.
    async fn expire_messages(&mut self, now: DateTime<Utc>, limit: i64) -> Result<u64>;
    /// Keeps messages received; may be held back until the next read or
    /// the commit.
    async fn insert_incoming(&mut self, m: &[IncomingMessage]) -> Result<()>;
    /// Records that `address` opted out of bulk messages on `channel`
    /// (`Some(at)`) or back in (`None`).
    async fn set_opt_out(
        &mut self,
        channel: Channel,
        address: &str,
        opted_out_at: Option<DateTime<Utc>>,
    ) -> Result<()>;
}

/// The message templates' reads.
#[async_trait]
pub trait TemplateRead {
    async fn get_message_template(&mut self, id: Uuid) -> Result<Option<MessageTemplate>>;
    /// The templates not archived, by name: of one organization, or of all.
    async fn list_message_templates(
        &mut self,
        org_id: Option<Uuid>,
    ) -> Result<Vec<MessageTemplate>>;
}

/// The message templates' writes.
#[async_trait]
pub trait TemplateRepo {
    /// Stores a new template, or a template's new version under its id; a
    /// name another template of the organization has is a conflict.
    async fn save_message_template(&mut self, t: &MessageTemplate) -> Result<()>;
}
