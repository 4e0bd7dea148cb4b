//! A real SMTP server for a test: aiosmtpd (Debian's `python3-aiosmtpd`),
//! delivering into a maildir that the test reads back with Python's own
//! e-mail parser.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A mail as it reached the server.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct SmtpServer {
    dir: PathBuf,
    child: Child,
    pub port: u16,
}

const PYTHON: &str = "/usr/bin/python3";

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir =
            std::env::temp_dir().join(format!("diwan-smtp-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("maildir"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
            .spawn()
            .expect("start aiosmtpd (install Debian's python3-aiosmtpd)");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd listens"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { dir, child, port }
    }

    /// Every mail received, read with Python's `email` package.
    pub fn received(&self) -> Vec<Mail> {
        let script = r#"
import json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], factory=None, create=False):
    import email, email.policy
    msg = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    out.append({"from": str(msg["from"]), "to": str(msg["to"]), "subject": str(msg["subject"]),
                "text": text.get_content() if text else "", "html": html.get_content() if html else ""})
print(json.dumps(out))
"#;
        let maildir = self.dir.join("maildir");
        if !maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new(PYTHON)
            .arg("-c")
            .arg(script)
            .arg(&maildir)
            .output()
            .expect("read the maildir");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mails: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).expect("the mails as JSON");
        let f = |m: &serde_json::Value, k: &str| m[k].as_str().unwrap_or("").to_owned();
        mails
            .iter()
            .map(|m| Mail {
                from: f(m, "from"),
                to: f(m, "to"),
                subject: f(m, "subject"),
                text: f(m, "text"),
                html: f(m, "html"),
            })
            .collect()
    }

    pub async fn wait_received(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        super::wait::until(timeout, || async {
            let got = self.received();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(format!("{} of {n} mails arrived", got.len()))
            }
        })
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
