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
use crate::{Error, Result, Services};
use diwan_domain::messaging::Report;
use diwan_store::{GatewayReport, OutboxMessage};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

mod incoming;
pub(crate) use incoming::PendingIncoming;
pub use incoming::{key_holds, IncomingForm, INCOMING_PER_COMMIT, INCOMING_WAITING};

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
    /// The `sendsms` request for `m`: a POST whose body is the text and
    /// whose `X-Kannel-*` headers say the rest, so that the password and
    /// the report's signature are in no address (which a proxy's log or an
    /// error quoting the address would keep), and a long Arabic text is
    /// not an address of several kilobytes. A value a header cannot carry
    /// (a password with a line break) is refused before anything is sent.
    pub fn request(
        &self,
        http: &reqwest::Client,
        m: &OutboxMessage,
        settings: &Settings,
    ) -> Result<reqwest::Request, SendError> {
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
        let coding = coding.to_string();
        let headers = [
            ("X-Kannel-Username", self.username.as_str()),
            ("X-Kannel-Password", self.password.as_str()),
            ("X-Kannel-From", self.sender.as_str()),
            ("X-Kannel-To", m.recipient.as_str()),
            ("X-Kannel-Coding", coding.as_str()),
            ("X-Kannel-DLR-Mask", "27"),
            ("X-Kannel-DLR-Url", dlr.as_str()),
            // Kannel turns the UTF-8 text into UCS-2 (UTF-16BE) itself.
            ("Content-Type", "text/plain; charset=UTF-8"),
        ];
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                // Never the value itself: it may be the password.
                SendError::Temporary(format!("{name} cannot be sent to the gateway as it is set"))
            })?;
            map.insert(name, value);
        }
        http.post(self.sendsms_url.clone())
            .headers(map)
            .body(m.body.clone())
            .build()
            .map_err(|_| SendError::Temporary("the gateway's request could not be made".into()))
    }

    /// Hands `m` to Kannel.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        m: &OutboxMessage,
        settings: &Settings,
    ) -> Result<(), SendError> {
        let answer = http
            .execute(self.request(http, m, settings)?)
            .await
            // Never the error's text as it is: it may hold the request's
            // address.
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

/// A delivery report as Kannel calls it.
#[derive(Debug, Clone, Default)]
pub struct ReportForm {
    pub id: String,
    pub sig: String,
    pub kind: String,
    pub answer: Option<String>,
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use diwan_domain::messaging::{Channel, Kind, State};

    fn kannel(password: &str) -> Kannel {
        Kannel {
            sendsms_url: "http://127.0.0.1:13013/cgi-bin/sendsms".parse().unwrap(),
            username: "diwan".into(),
            password: password.into(),
            sender: "1415".into(),
            callback_base: "http://127.0.0.1:8081".parse().unwrap(),
        }
    }

    fn message(body: &str) -> OutboxMessage {
        let now = Utc::now();
        OutboxMessage {
            id: Uuid::now_v7(),
            batch_id: None,
            org_id: Uuid::now_v7(),
            channel: Channel::Sms,
            kind: Kind::Transactional,
            recipient: "+218912345678".into(),
            person_id: None,
            language: "ar".into(),
            subject: None,
            body: body.into(),
            parts: 1,
            state: State::Sending,
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            expires_at: now,
            error: None,
            created_at: now,
            sent_at: None,
            delivered_at: None,
            updated_at: now,
        }
    }

    #[test]
    fn the_password_and_the_text_travel_in_headers_and_body_not_in_the_address() {
        let settings = Settings {
            callback_key: Some("callback-key".into()),
            ..Settings::default()
        };
        let m = message("رمز الدخول ٤٨٢٩");
        let r = kannel("s3cret&x=1")
            .request(&reqwest::Client::new(), &m, &settings)
            .unwrap();
        assert_eq!(r.method(), reqwest::Method::POST);
        assert_eq!(r.url().as_str(), "http://127.0.0.1:13013/cgi-bin/sendsms");
        let h = |n: &str| r.headers()[n].to_str().unwrap().to_owned();
        assert_eq!(h("X-Kannel-Password"), "s3cret&x=1");
        assert_eq!(h("X-Kannel-Username"), "diwan");
        assert_eq!(h("X-Kannel-To"), "+218912345678");
        assert_eq!(h("X-Kannel-From"), "1415");
        assert_eq!(h("X-Kannel-Coding"), "2", "UCS-2 for Arabic");
        assert_eq!(h("Content-Type"), "text/plain; charset=UTF-8");
        let dlr = h("X-Kannel-DLR-Url");
        assert!(dlr.starts_with("http://127.0.0.1:8081/api/v1/messaging/kannel/reports?id="));
        assert!(dlr.contains(&format!("sig={}", sign("callback-key", m.id))));
        let body = r.body().and_then(|b| b.as_bytes()).unwrap();
        assert_eq!(body, "رمز الدخول ٤٨٢٩".as_bytes());
    }

    #[test]
    fn a_password_no_header_can_carry_is_refused_without_showing_it() {
        let e = kannel("line\nbreak")
            .request(&reqwest::Client::new(), &message("x"), &Settings::default())
            .unwrap_err();
        let SendError::Temporary(why) = e else {
            panic!("{e:?}");
        };
        assert!(
            why.contains("X-Kannel-Password") && !why.contains("break"),
            "{why}"
        );
    }

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
}
