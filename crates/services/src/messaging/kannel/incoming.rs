//! The SMS persons send, as Kannel's `sms-service` passes them: checked,
//! then taken a group per transaction by this node's writer of incoming
//! SMS; opt-out and opt-in words, and replies to inquiries.

use super::refused;
use crate::audit::entry;
use crate::messaging::Settings;
use crate::{Error, Result, Services};
use diwan_domain::messaging::{Channel, Kind};
use diwan_domain::persons::Mobile;
use diwan_domain::text::constant_time_eq;
use diwan_store::IncomingMessage;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The sender of an incoming SMS: in E.164 when it reads as a mobile
/// number, also as operators pass international numbers without `+`
/// (`218912345678`); as it came otherwise (a short code, a name), bounded.
fn sender_of(from: &str) -> String {
    let from = from.trim();
    let digits = from.chars().all(|c| c.is_ascii_digit());
    match Mobile::parse(from) {
        Ok(m) => m.to_string(),
        Err(_) if digits && from.len() > 9 => match Mobile::parse(&format!("+{from}")) {
            Ok(m) => m.to_string(),
            Err(_) => from.chars().take(32).collect(),
        },
        Err(_) => from.chars().filter(|c| !c.is_control()).take(32).collect(),
    }
}

/// Whether `key` is the callback key (compared in constant time).
pub fn key_holds(settings: &Settings, key: &str) -> bool {
    settings
        .callback_key
        .as_deref()
        .is_some_and(|k| constant_time_eq(k, key.trim()))
}

/// What an incoming SMS asks for, by its words.
fn keyword_of(settings: &Settings, text: &str) -> &'static str {
    let word: String = text
        .trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || "،؟".contains(c))
        .to_uppercase();
    let is = |words: &[String]| words.iter().any(|w| w.to_uppercase() == word);
    if is(&settings.opt_out_words) {
        "opt_out"
    } else if is(&settings.opt_in_words) {
        "opt_in"
    } else {
        "none"
    }
}

/// Incoming SMS taken in one transaction at most.
pub const INCOMING_PER_COMMIT: usize = 256;

/// Incoming SMS waiting to be taken, at most; more are refused as busy
/// until some are, as delivery reports are.
pub const INCOMING_WAITING: usize = 1024;

/// An incoming SMS checked and waiting to be taken.
pub(crate) struct PendingIncoming {
    sender: String,
    receiver: String,
    text: String,
    time: Option<String>,
    done: tokio::sync::oneshot::Sender<Result<IncomingMessage>>,
}

/// An SMS as Kannel posts it.
#[derive(Debug, Clone, Default)]
pub struct IncomingForm {
    pub key: String,
    pub from: String,
    pub to: String,
    pub text: String,
    /// When Kannel received it (`X-Kannel-Time`, or `%t` in a `get-url`):
    /// Kannel's repeats of one SMS carry the same.
    pub time: String,
}

impl Services {
    /// Records an SMS a person sent; a reply of an opt-out word opts the
    /// number out of bulk SMS and one of an opt-in word back in, each
    /// audited and confirmed by one SMS; any other may answer an inquiry.
    ///
    /// The SMS is checked here and handed to this node's writer of incoming
    /// SMS, which takes those waiting in one transaction (up to 256) and
    /// answers each once it commits: a stream of replies to an inquiry costs
    /// one commit per group, and the counts they move are written by one
    /// transaction at a time.
    pub async fn kannel_incoming(&self, f: IncomingForm) -> Result<IncomingMessage> {
        let key = self
            .messaging()
            .callback_key
            .as_deref()
            .ok_or_else(Error::unauthenticated)?;
        if !constant_time_eq(key, f.key.trim()) {
            return Err(Error::unauthenticated());
        }
        let sender = sender_of(&f.from);
        if sender.is_empty() {
            return Err(Error::invalid("from", diwan_domain::Reason::FieldRequired));
        }
        // What a phone may send that a database may not keep (NUL) or a
        // page should not show: control characters but line breaks.
        let text: String = f
            .text
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            .take(2000)
            .collect();
        let (done, answer) = tokio::sync::oneshot::channel();
        let time: String = f
            .time
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(32)
            .collect();
        let item = PendingIncoming {
            sender,
            receiver: f.to.trim().chars().take(32).collect(),
            text,
            time: Some(time).filter(|t| !t.is_empty()),
            done,
        };
        let writer = self.incoming.get_or_init(|| self.start_incoming_writer());
        // Bounded as reports are: a backlog Kannel passes on after an
        // outage waits in Kannel, which tries again `http-queue-delay`
        // later, not here as thousands of open requests.
        writer
            .try_send(item)
            .map_err(|e| refused(e, "the writer of incoming SMS stopped"))?;
        answer
            .await
            .map_err(|_| Error::Internal("the writer of incoming SMS stopped".into()))?
    }

    /// The task that takes incoming SMS, a group per transaction.
    fn start_incoming_writer(&self) -> tokio::sync::mpsc::Sender<PendingIncoming> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<PendingIncoming>(INCOMING_WAITING);
        let services = self.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                while group.len() < INCOMING_PER_COMMIT {
                    match rx.try_recv() {
                        Ok(p) => group.push(p),
                        Err(_) => break,
                    }
                }
                let taken = services.take_incoming(&group).await;
                match taken {
                    Ok(messages) => {
                        for (p, m) in group.into_iter().zip(messages) {
                            let _ = p.done.send(Ok(m));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "taking incoming SMS failed");
                        for p in group {
                            let _ = p
                                .done
                                .send(Err(Error::Internal(format!("taking incoming SMS: {e}"))));
                        }
                    }
                }
            }
        });
        tx
    }

    /// A group of incoming SMS, in one transaction: Kannel's repeats found
    /// in one query, the replies to inquiries taken together
    /// ([`Services::inquiry_replies`]), the new SMS kept in one statement.
    async fn take_incoming(&self, group: &[PendingIncoming]) -> Result<Vec<IncomingMessage>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // Kannel posts an SMS again when it saw no answer, also when it had
        // been taken: a repeat (same sender, time and words, kept or
        // earlier in this group) is answered as the first was, and changes
        // nothing.
        let keys: Vec<(String, String)> = group
            .iter()
            .filter_map(|p| p.time.clone().map(|t| (p.sender.clone(), t)))
            .collect();
        let mut kept: HashMap<(String, String, String), IncomingMessage> = HashMap::new();
        for m in tx.incoming_repeats(&keys).await? {
            if let Some(t) = m.gateway_time.clone() {
                kept.entry((m.sender.clone(), t, m.body.clone()))
                    .or_insert(m);
            }
        }
        enum Slot {
            Kept(IncomingMessage),
            New(usize),
        }
        let mut slots = Vec::with_capacity(group.len());
        let mut fresh: Vec<IncomingMessage> = Vec::new();
        let mut earlier: HashMap<(String, String, String), usize> = HashMap::new();
        for p in group {
            let key = p
                .time
                .clone()
                .map(|t| (p.sender.clone(), t, p.text.clone()));
            if let Some(k) = &key {
                if let Some(m) = kept.get(k) {
                    slots.push(Slot::Kept(m.clone()));
                    continue;
                }
                if let Some(at) = earlier.get(k) {
                    slots.push(Slot::New(*at));
                    continue;
                }
                earlier.insert(k.clone(), fresh.len());
            }
            slots.push(Slot::New(fresh.len()));
            fresh.push(IncomingMessage {
                id: Uuid::now_v7(),
                channel: Channel::Sms,
                sender: p.sender.clone(),
                receiver: p.receiver.clone(),
                body: p.text.clone(),
                action: keyword_of(self.messaging(), &p.text).into(),
                received_at: now,
                gateway_time: p.time.clone(),
            });
        }
        // Any other SMS may answer an inquiry.
        let replies: Vec<(usize, (&str, &str))> = fresh
            .iter()
            .enumerate()
            .filter(|(_, m)| m.action == "none")
            .map(|(at, m)| (at, (m.sender.as_str(), m.body.as_str())))
            .collect();
        let said: Vec<(&str, &str)> = replies.iter().map(|(_, r)| *r).collect();
        let (outcomes, grew) = self.inquiry_replies(&mut *tx, &said, now).await?;
        let taken: Vec<usize> = replies.iter().map(|(at, _)| *at).collect();
        for (at, outcome) in taken.into_iter().zip(outcomes) {
            fresh[at].action = outcome.as_str().into();
        }
        let mut audit = Vec::with_capacity(fresh.len());
        for m in &fresh {
            audit.push(entry(
                None,
                now,
                "message.receive",
                "incoming_message",
                Some(m.id.to_string()),
                json!({"channel": "sms", "action": m.action}),
            ));
            if m.action == "opt_out" || m.action == "opt_in" {
                self.opt(&mut *tx, m, now, &mut audit).await?;
            }
        }
        tx.insert_incoming(&fresh).await?;
        tx.append_audit(&audit).await?;
        tx.commit().await?;
        if grew {
            self.refresh_inquiry_statistics_later();
        }
        self.messages_queued();
        metrics::counter!("diwan_messages_received_total", "channel" => "sms")
            .increment(fresh.len() as u64);
        Ok(slots
            .into_iter()
            .map(|s| match s {
                Slot::Kept(m) => m,
                Slot::New(at) => fresh[at].clone(),
            })
            .collect())
    }

    /// An opt-out or opt-in word from `m`'s sender: recorded, audited and
    /// confirmed by one SMS, in the group's transaction.
    async fn opt(
        &self,
        tx: &mut dyn diwan_store::Tx,
        m: &IncomingMessage,
        now: chrono::DateTime<chrono::Utc>,
        audit: &mut Vec<diwan_store::AuditRecord>,
    ) -> Result<()> {
        let out = m.action == "opt_out";
        let sender = &m.sender;
        tx.set_opt_out(Channel::Sms, sender, out.then_some(now))
            .await?;
        audit.push(entry(
            None,
            now,
            if out {
                "message.opt_out"
            } else {
                "message.opt_in"
            },
            "address",
            Some(sender.clone()),
            json!({"channel": "sms", "via": "sms", "incoming": m.id}),
        ));
        if let Ok(to) = Mobile::parse(sender) {
            let ministry = self.ministry(&mut *tx).await?;
            let text = if out {
                "تم إيقاف الرسائل العامة إلى هذا الرقم. للاشتراك مجددا أرسل START أو اشتراك."
            } else {
                "تم الاشتراك مجددا في الرسائل العامة. للإيقاف أرسل STOP أو إيقاف."
            };
            crate::messaging::queue_sms(
                &mut *tx,
                crate::messaging::Sms {
                    org_id: ministry.id,
                    // Sent whatever the number chose: it confirms the choice.
                    kind: Kind::Transactional,
                    to,
                    person_id: None,
                    language: "ar".into(),
                    text: text.into(),
                    batch_id: None,
                },
                now,
                self.messaging().sms_validity,
            )
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_read_without_case_or_punctuation() {
        let s = Settings::default();
        assert_eq!(keyword_of(&s, " stop! "), "opt_out");
        assert_eq!(keyword_of(&s, "إيقاف"), "opt_out");
        assert_eq!(keyword_of(&s, "توقف."), "opt_out");
        assert_eq!(keyword_of(&s, "Start"), "opt_in");
        assert_eq!(keyword_of(&s, "اشتراك"), "opt_in");
        assert_eq!(keyword_of(&s, "stop please"), "none");
        assert_eq!(keyword_of(&s, "نعم"), "none");
    }

    #[test]
    fn senders_read_as_e164_however_the_operator_writes_them() {
        assert_eq!(sender_of("+218912345678"), "+218912345678");
        assert_eq!(sender_of("218912345678"), "+218912345678");
        assert_eq!(sender_of("00218912345678"), "+218912345678");
        assert_eq!(sender_of("0912345678"), "+218912345678");
        assert_eq!(sender_of("1415"), "1415");
        assert_eq!(sender_of("Libyana\u{0}"), "Libyana");
    }
}
