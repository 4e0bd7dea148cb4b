//! SMS through Kannel: its HTTP `sendsms` interface out, its delivery
//! reports (`dlr-url`) and the SMS persons send (`sms-service` `post-url`)
//! back in.
//!
//! Each message goes with a `dlr-url` that names it and carries a signature
//! of its id (HMAC-SHA-256 under the callback key), so that a report is
//! taken only for the message it was made for and the key itself never
//! leaves Diwan. Incoming SMS are posted by Kannel with the key, as its
//! configuration says (`deploy/kannel/kannel.conf`).

use super::Settings;
use crate::audit::entry;
use crate::{Error, Result, Services};
use diwan_domain::messaging::{Channel, Kind, Report};
use diwan_domain::persons::Mobile;
use diwan_domain::text::constant_time_eq;
use diwan_store::{GatewayReport, IncomingMessage, OutboxMessage};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::HashMap;
use uuid::Uuid;

/// Where Kannel is and how Diwan signs in to it.
#[derive(Debug, Clone)]
pub struct Kannel {
    /// `http://host:13013/cgi-bin/sendsms`.
    pub sendsms_url: url::Url,
    pub username: String,
    pub password: String,
    /// The sender shown to persons (the short code, `1415`).
    pub sender: String,
    /// Diwan's address as Kannel reaches it, for delivery reports.
    pub callback_base: url::Url,
}

/// How an attempt to hand a message over failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later: the gateway is down, busy or timed out.
    Temporary(String),
    /// Trying again would fail the same way.
    Permanent(String),
}

fn mac(key: &str, id: Uuid) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(id.as_bytes());
    mac
}

/// The signature of a message's id in its `dlr-url`: the first 16 bytes of
/// its HMAC-SHA-256 under the callback key, in hex.
pub fn sign(key: &str, id: Uuid) -> String {
    hex::encode(&mac(key, id).finalize().into_bytes()[..16])
}

fn signature_holds(key: &str, id: Uuid, sig: &str) -> bool {
    match hex::decode(sig) {
        Ok(sent) => sent.len() == 16 && mac(key, id).verify_truncated_left(&sent).is_ok(),
        Err(_) => false,
    }
}

impl Kannel {
    /// The `sendsms` request for `m`.
    pub fn request(&self, m: &OutboxMessage, settings: &Settings) -> url::Url {
        let coding = diwan_domain::messaging::sms::encoding(&m.body).kannel_coding();
        let mut dlr = self.callback_base.clone();
        dlr.set_path("/api/v1/messaging/kannel/reports");
        let sig = settings
            .callback_key
            .as_deref()
            .map(|k| sign(k, m.id))
            .unwrap_or_default();
        // Kannel fills `%d` (the report's type) and `%A` (the operator's
        // answer); the rest is Diwan's own.
        let dlr = format!("{dlr}?id={}&sig={sig}&type=%d&answer=%A", m.id);
        let mut u = self.sendsms_url.clone();
        u.query_pairs_mut()
            .append_pair("username", &self.username)
            .append_pair("password", &self.password)
            .append_pair("from", &self.sender)
            .append_pair("to", &m.recipient)
            .append_pair("text", &m.body)
            // Kannel turns the UTF-8 text into UCS-2 (UTF-16BE) itself.
            .append_pair("charset", "UTF-8")
            .append_pair("coding", &coding.to_string())
            .append_pair("dlr-mask", "27")
            .append_pair("dlr-url", &dlr);
        u
    }

    /// Hands `m` to Kannel.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        m: &OutboxMessage,
        settings: &Settings,
    ) -> Result<(), SendError> {
        let answer = http
            .get(self.request(m, settings))
            .send()
            .await
            // Never the error's text as it is: it holds the request's URL,
            // with Kannel's password and the report's signature.
            .map_err(|e| {
                let why = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "connection refused or failed"
                } else {
                    "the request failed"
                };
                SendError::Temporary(format!("gateway unreachable: {why}"))
            })?;
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        let body: String = body.trim().chars().take(200).collect();
        match status.as_u16() {
            200..=299 => Ok(()),
            // Kannel answers 503 when its queue is full, 500 on its own errors.
            408 | 429 | 500..=599 => Err(SendError::Temporary(format!("{status}: {body}"))),
            _ => Err(SendError::Permanent(format!("{status}: {body}"))),
        }
    }
}

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

/// Delivery reports applied in one transaction at most.
pub const REPORTS_PER_COMMIT: usize = 256;

/// A delivery report checked and waiting to be applied.
pub(crate) struct Pending {
    report: GatewayReport,
    done: tokio::sync::oneshot::Sender<Result<()>>,
}

/// Delivery reports waiting to be applied, at most; more are refused as
/// busy until some are.
pub const REPORTS_WAITING: usize = 1024;

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

/// A delivery report as Kannel calls it.
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    pub id: String,
    pub sig: String,
    pub kind: String,
    pub answer: Option<String>,
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

/// What a gateway's call is told when its writer's queue is full (busy:
/// try again in 2 seconds) or the writer stopped.
fn refused<T>(e: tokio::sync::mpsc::error::TrySendError<T>, stopped: &str) -> Error {
    match e {
        tokio::sync::mpsc::error::TrySendError::Full(_) => Error::Domain(
            diwan_domain::DomainError::new(diwan_domain::ErrorCode::Busy).retry_after(2),
        ),
        tokio::sync::mpsc::error::TrySendError::Closed(_) => Error::Internal(stopped.into()),
    }
}

impl Services {
    /// Applies a delivery report to its message. A report with a wrong
    /// signature is refused as unauthenticated; one for a message it does
    /// not move (late, twice) changes nothing and is accepted.
    pub async fn kannel_report(&self, f: ReportForm) -> Result<()> {
        let key = self
            .messaging()
            .callback_key
            .as_deref()
            .ok_or_else(Error::unauthenticated)?;
        let id = Uuid::parse_str(f.id.trim()).map_err(|_| Error::unauthenticated())?;
        if !signature_holds(key, id, f.sig.trim()) {
            return Err(Error::unauthenticated());
        }
        let kind: u32 = f
            .kind
            .trim()
            .parse()
            .map_err(|_| Error::invalid("type", diwan_domain::Reason::FieldInvalid))?;
        let Some(report) = Report::from_kannel(kind) else {
            return Err(Error::invalid("type", diwan_domain::Reason::FieldInvalid));
        };
        let error = match report {
            Report::Undelivered | Report::Rejected => Some(
                f.answer
                    .as_deref()
                    .map(|a| a.chars().take(200).collect::<String>())
                    .filter(|a| !a.trim().is_empty())
                    .unwrap_or_else(|| "rejected by the operator".into()),
            ),
            _ => None,
        };
        let (done, answer) = tokio::sync::oneshot::channel();
        let item = Pending {
            report: GatewayReport {
                id,
                report,
                error,
                at: self.now(),
            },
            done,
        };
        let reports = self.reports.get_or_init(|| self.start_report_writer());
        // Reports waiting are bounded: beyond them Kannel is told to try
        // again shortly (it does, `http-queue-delay` later), so that a
        // backlog of reports it passes on at once waits in Kannel, not in
        // this server's memory as thousands of open requests.
        reports
            .try_send(item)
            .map_err(|e| refused(e, "the writer of reports stopped"))?;
        answer
            .await
            .map_err(|_| Error::Internal("the writer of reports stopped".into()))?
    }

    /// The task that applies delivery reports: those waiting when it looks
    /// are applied in one transaction, each answered once it commits, so
    /// that a stream of reports (two per message, as fast as Kannel sends)
    /// costs one commit per group rather than one each.
    fn start_report_writer(&self) -> tokio::sync::mpsc::Sender<Pending> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Pending>(REPORTS_WAITING);
        let services = self.clone();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                while group.len() < REPORTS_PER_COMMIT {
                    match rx.try_recv() {
                        Ok(p) => group.push(p),
                        Err(_) => break,
                    }
                }
                let applied = services.apply_reports(&group).await;
                for p in group {
                    let _ = p.done.send(match &applied {
                        Ok(()) => Ok(()),
                        Err(e) => Err(Error::Internal(format!("applying reports: {e}"))),
                    });
                }
            }
        });
        tx
    }

    async fn apply_reports(&self, group: &[Pending]) -> Result<()> {
        let reports: Vec<GatewayReport> = group.iter().map(|p| p.report.clone()).collect();
        let mut tx = self.store.begin().await?;
        let moved = tx.apply_reports(&reports).await?;
        tx.commit().await?;
        for (_, after) in moved {
            metrics::counter!("diwan_messages_reported_total", "channel" => "sms", "state" => after.as_str())
                .increment(1);
        }
        Ok(())
    }

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
        let outcomes = self.inquiry_replies(&mut *tx, &said, now).await?;
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
        self.messages_waiting.notify_one();
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
            super::queue_sms(
                &mut *tx,
                super::Sms {
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
    fn a_signature_is_of_one_message_under_one_key() {
        let id = Uuid::now_v7();
        let s = sign("k1", id);
        assert_eq!(s.len(), 32);
        assert!(signature_holds("k1", id, &s));
        assert!(!signature_holds("k2", id, &s));
        assert!(!signature_holds("k1", Uuid::now_v7(), &s));
        assert!(!signature_holds("k1", id, &s[..30]));
        assert!(!signature_holds("k1", id, "zz"));
    }

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
