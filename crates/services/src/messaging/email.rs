//! E-mail through SMTP: plain text and HTML, the HTML right to left for
//! Arabic. Diwan speaks plain SMTP to a relay (a mail server of the
//! ministry's, or one on the same machine), which carries mail onward
//! over TLS itself.

use super::kannel::SendError;
use diwan_store::OutboxMessage;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Where mail goes and whom it is from.
#[derive(Clone)]
pub struct Smtp {
    pub from: Mailbox,
    /// `host:port`, for the operator's eyes.
    pub server: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from.to_string())
            .field("server", &self.server)
            .finish()
    }
}

impl Smtp {
    /// The relay of `url` (`smtp://[user:password@]host[:port]`, port 25
    /// when absent), sending as `from`. Called within the Tokio runtime,
    /// where the pool of connections to the relay lives.
    pub fn new(url: &url::Url, from: &str) -> Result<Smtp, String> {
        if url.scheme() != "smtp" {
            return Err(format!(
                "{url}: only smtp:// is supported (TLS is the relay's)"
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("{url}: no host"))?
            .to_owned();
        let port = url.port().unwrap_or(25);
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("the sender {from:?}: {e}"))?;
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(port)
            .timeout(Some(Duration::from_secs(20)));
        if !url.username().is_empty() {
            let user = percent_decoded(url.username());
            let password = percent_decoded(url.password().unwrap_or(""));
            b = b.credentials(Credentials::new(user, password));
        }
        Ok(Smtp {
            from,
            server: format!("{host}:{port}"),
            transport: b.build(),
        })
    }

    /// Hands `m` to the relay.
    pub async fn send(&self, m: &OutboxMessage) -> Result<(), SendError> {
        let to: Mailbox = m
            .recipient
            .parse()
            .map_err(|e| SendError::Permanent(format!("the address: {e}")))?;
        let subject = m.subject.clone().unwrap_or_default();
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject.clone())
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(m.body.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html(&m.language, &subject, &m.body)),
                    ),
            )
            .map_err(|e| SendError::Permanent(format!("the message: {e}")))?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Temporary(e.to_string())),
        }
    }
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML part: the text escaped, its paragraphs kept, right to left
/// for Arabic.
pub fn html(language: &str, subject: &str, text: &str) -> String {
    let lang = match language {
        "en" | "fr" => language,
        _ => "ar",
    };
    let dir = if lang == "ar" { "rtl" } else { "ltr" };
    let body: String = text
        .split("\n\n")
        .map(|p| {
            format!(
                "<p>{}</p>",
                escape(p.trim_matches('\n')).replace('\n', "<br>")
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: sans-serif; line-height: 1.6\"><div dir=\"{dir}\" lang=\"{lang}\">{body}</div></body></html>\n",
        escape(subject)
    )
}

impl crate::Services {
    /// What a client's callback service passes back about an e-mail request
    /// (a reply, a bounce), as GovStack's Messaging building block defines
    /// it: kept as a received message of the request, with its audit
    /// record. `content` is base64; what does not decode is kept as sent.
    pub async fn email_callback(
        &self,
        caller: &crate::Caller,
        request: &str,
        meta: &str,
        content: &str,
    ) -> crate::Result<diwan_store::IncomingMessage> {
        use base64::Engine;
        if !super::may_send(caller) {
            return Err(crate::Error::forbidden());
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(content.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_else(|| content.to_owned());
        let clean = |s: &str, n: usize| -> String {
            s.chars()
                .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
                .take(n)
                .collect()
        };
        let now = self.now();
        let m = diwan_store::IncomingMessage {
            id: uuid::Uuid::now_v7(),
            channel: diwan_domain::messaging::Channel::Email,
            sender: clean(&caller.username, 64),
            receiver: clean(request, 64),
            body: format!("{}\n{}", clean(meta, 200), clean(&decoded, 20_000)),
            action: "callback".into(),
            received_at: now,
            gateway_time: None,
        };
        let mut tx = self.store.begin().await?;
        tx.insert_incoming(std::slice::from_ref(&m)).await?;
        crate::audit::record(
            &mut *tx,
            Some(caller),
            now,
            "message.callback",
            "incoming_message",
            Some(m.id.to_string()),
            serde_json::json!({"channel": "email", "request": m.receiver}),
        )
        .await?;
        tx.commit().await?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_mail_reads_right_to_left_and_text_is_escaped() {
        let h = html(
            "ar",
            "إشعار <هام>",
            "مرحبا\n<script>x</script>\n\nفقرة ثانية",
        );
        assert!(h.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(h.contains("<title>إشعار &lt;هام&gt;</title>"));
        assert!(h.contains("<p>مرحبا<br>&lt;script&gt;x&lt;/script&gt;</p><p>فقرة ثانية</p>"));
        assert!(html("fr", "", "x").contains("dir=\"ltr\""));
        assert!(
            html("xx", "", "x").contains("dir=\"rtl\""),
            "Arabic by default"
        );
    }

    // The relay's connection pool lives on the runtime.
    #[tokio::test]
    async fn only_plain_smtp_urls_are_taken() {
        let from = "Diwan <noreply@example.ly>";
        let s = Smtp::new(&"smtp://relay.example.ly".parse().unwrap(), from).unwrap();
        assert_eq!(s.server, "relay.example.ly:25");
        assert!(Smtp::new(&"smtps://relay.example.ly".parse().unwrap(), from).is_err());
        assert!(Smtp::new(&"smtp://relay:2525".parse().unwrap(), "not an address").is_err());
        let s = Smtp::new(&"smtp://u%40x:p%3Aw@relay:2525".parse().unwrap(), from).unwrap();
        assert_eq!(s.server, "relay:2525");
        assert!(!format!("{s:?}").contains("p:w"), "no password in logs");
    }
}
