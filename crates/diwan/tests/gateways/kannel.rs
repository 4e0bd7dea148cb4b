//! A real Kannel for a test: bearerbox and smsbox started with the
//! configuration the repository ships (`deploy/kannel/`), its ports, paths
//! and secrets made the test's own, and Kannel's fake SMS centre program
//! (`fakesmsc`) as the operator: it prints every message it receives and
//! sends what the test types as SMS from phones. The benchmark
//! (`bench/src/messaging.rs`) runs Kannel through this file too.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// A message as it reached the simulated operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: String,
    /// `text` (GSM-7) or `ucs-2`.
    pub coding: String,
    /// The parts it came in.
    pub parts: usize,
    pub text: String,
}

pub struct Kannel {
    dir: PathBuf,
    children: Vec<Child>,
    phone: Option<ChildStdin>,
    pub sendsms_url: String,
    pub password: String,
    /// How far the operator's log was counted, and what it held up to
    /// there: a count reads only what was written since the last one.
    counted: std::sync::Mutex<(u64, usize)>,
}

/// A port free now, other than `taken` and those given before: the system
/// may give again a port it gave and that nobody listens on yet (Diwan's,
/// chosen before Kannel starts, or another Kannel's), and two processes
/// would then race for it.
fn free_port(taken: u16) -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let p = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if p != taken && !given.contains(&p) {
            given.push(p);
            return p;
        }
    }
}

fn program(name: &str, default_dir: &str) -> PathBuf {
    let dir = std::env::var("DIWAN_KANNEL_DIR").unwrap_or_else(|_| default_dir.to_owned());
    let p = Path::new(&dir).join(name);
    assert!(
        p.exists(),
        "{} not found: install Debian's kannel and kannel-extras (or set DIWAN_KANNEL_DIR)",
        p.display()
    );
    p
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A file of `deploy/kannel/`, found from this crate (the gateway tests,
/// or the benchmark, which shares this file).
fn shipped(name: &str) -> String {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let p = [
        here.join("../../deploy/kannel"),
        here.join("../deploy/kannel"),
    ]
    .into_iter()
    .map(|d| d.join(name))
    .find(|p| p.is_file())
    .unwrap_or_else(|| panic!("deploy/kannel/{name} beside {}", here.display()));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Replaces `from` in `s`, which must hold it.
fn set(s: String, from: &str, to: &str) -> String {
    assert!(s.contains(from), "the shipped configuration has {from:?}");
    s.replace(from, to)
}

impl Kannel {
    /// Starts Kannel for a Diwan listening on `diwan_port` whose callback
    /// key is `key`, and waits until the simulated operator is connected.
    pub fn start(diwan_port: u16, key: &str) -> Kannel {
        Self::start_logging(diwan_port, key, true)
    }

    /// As [`Kannel::start`]; with `debug_logs` false Kannel logs as
    /// shipped (the benchmark: a Kannel logging every step of every
    /// message spends its time writing logs).
    pub fn start_logging(diwan_port: u16, key: &str, debug_logs: bool) -> Kannel {
        let dir =
            std::env::temp_dir().join(format!("diwan-kannel-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("log")).unwrap();
        let port = || free_port(diwan_port);
        let (admin, smsbox, sendsms, fake) = (port(), port(), port(), port());
        let password = "sendsms-password".to_owned();
        let mut conf = shipped("kannel.conf");
        conf = set(conf, "admin-port = 13000", &format!("admin-port = {admin}"));
        conf = set(
            conf,
            "smsbox-port = 13001",
            &format!("smsbox-port = {smsbox}"),
        );
        conf = set(
            conf,
            "sendsms-port = 13013",
            &format!("sendsms-port = {sendsms}"),
        );
        conf = set(conf, "/var/log/kannel", &dir.join("log").to_string_lossy());
        conf = set(
            conf,
            "/var/spool/kannel/store",
            &dir.join("store").to_string_lossy(),
        );
        conf = set(
            conf,
            "/etc/kannel/smsc.conf",
            &dir.join("smsc.conf").to_string_lossy(),
        );
        conf = set(conf, "127.0.0.1:8081", &format!("127.0.0.1:{diwan_port}"));
        conf = set(conf, "CHANGE-ME-callback", key);
        conf = set(conf, "CHANGE-ME-sendsms", &password);
        conf = set(conf, "CHANGE-ME-admin", "admin-password");
        if debug_logs {
            // Everything in the logs, which are kept when a test fails.
            conf = set(conf, "log-level = 1", "log-level = 0");
        }
        let smsc = set(
            shipped("smsc-fake.conf"),
            "port = 10000",
            &format!("port = {fake}"),
        );
        std::fs::write(dir.join("kannel.conf"), conf).unwrap();
        std::fs::write(dir.join("smsc.conf"), smsc).unwrap();
        let out = |name: &str| std::fs::File::create(dir.join("log").join(name)).unwrap();
        let mut k = Kannel {
            dir: dir.clone(),
            children: Vec::new(),
            phone: None,
            sendsms_url: format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms"),
            password,
            counted: Default::default(),
        };
        let bearerbox = Command::new(program("bearerbox", "/usr/sbin"))
            .arg(dir.join("kannel.conf"))
            .stdout(out("bearerbox.out"))
            .stderr(out("bearerbox.err"))
            .spawn()
            .expect("start bearerbox");
        k.children.push(bearerbox);
        wait_until("bearerbox listens", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", smsbox)).is_ok()
        });
        let sms = Command::new(program("smsbox", "/usr/sbin"))
            .arg(dir.join("kannel.conf"))
            .stdout(out("smsbox.out"))
            .stderr(out("smsbox.err"))
            .spawn()
            .expect("start smsbox");
        k.children.push(sms);
        wait_until("smsbox listens", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", sendsms)).is_ok()
        });
        let mut fakesmsc = Command::new(program("fakesmsc", "/usr/lib/kannel/test"))
            .args(["-H", "127.0.0.1", "-r", &fake.to_string()])
            .stdin(Stdio::piped())
            .stdout(out("fakesmsc.out"))
            .stderr(out("fakesmsc.log"))
            .spawn()
            .expect("start fakesmsc");
        k.phone = fakesmsc.stdin.take();
        k.children.push(fakesmsc);
        let log = dir.join("log").join("bearerbox.log");
        wait_until(
            "the simulated operator connects",
            Duration::from_secs(20),
            || std::fs::read_to_string(&log).is_ok_and(|l| l.contains("Fakesmsc client connected")),
        );
        k
    }

    /// Every message the operator received so far, in order; the parts of
    /// a concatenated message (UDH with a reference, a count and a number)
    /// joined again, once all have arrived.
    pub fn received(&self) -> Vec<Received> {
        let log = std::fs::read(self.dir.join("log").join("fakesmsc.log")).unwrap_or_default();
        let log = String::from_utf8_lossy(&log);
        let mut out = Vec::new();
        // (to, reference) → the parts so far and where the message goes.
        let mut pending: std::collections::HashMap<(String, u8), Parts> = Default::default();
        for m in log
            .lines()
            .filter_map(|l| l.split_once("Got message ").map(|(_, r)| r))
            .filter_map(|r| r.split_once(": <").map(|(_, m)| m))
            .filter_map(|m| m.rsplit_once('>').map(|(m, _)| m))
        {
            let mut f = m.splitn(4, ' ');
            let (from, to, coding) = (
                f.next().unwrap_or("").to_owned(),
                f.next().unwrap_or("").to_owned(),
                f.next().unwrap_or("").to_owned(),
            );
            let rest = f.next().unwrap_or("");
            match coding.as_str() {
                // fakesmsc prints GSM text as it is, the rest URL-encoded.
                "text" => out.push(Received {
                    from,
                    to,
                    coding,
                    parts: 1,
                    text: rest.to_owned(),
                }),
                "ucs-2" => out.push(Received {
                    from,
                    to,
                    coding,
                    parts: 1,
                    text: utf16(&url_decode(rest)),
                }),
                "udh" => {
                    let (udh, data) = rest.split_once(" data ").expect("udh and data");
                    let udh = url_decode(udh);
                    assert!(
                        udh.len() == 6 && udh[1] == 0,
                        "a concatenation header: {udh:?}"
                    );
                    let (reference, total, number) = (udh[3], udh[4] as usize, udh[5] as usize);
                    let slot = out.len();
                    let entry = pending
                        .entry((to.clone(), reference))
                        .or_insert_with(|| (slot, vec![None; total]));
                    if entry.1.iter().all(Option::is_none) {
                        entry.0 = slot;
                        out.push(Received {
                            from,
                            to: to.clone(),
                            coding: "incomplete".into(),
                            parts: total,
                            text: String::new(),
                        });
                    }
                    entry.1[number - 1] = Some(url_decode(data));
                    if entry.1.iter().all(Option::is_some) {
                        let bytes: Vec<u8> = entry.1.iter().flatten().flatten().copied().collect();
                        let (coding, text) = match String::from_utf16(&units(&bytes)) {
                            Ok(t) if bytes.len().is_multiple_of(2) => ("ucs-2", t),
                            _ => ("text", String::from_utf8_lossy(&bytes).into_owned()),
                        };
                        let r = &mut out[entry.0];
                        r.coding = coding.into();
                        r.text = text;
                        pending.remove(&(to, reference));
                    }
                }
                other => panic!("fakesmsc printed a message of type {other}: {m}"),
            }
        }
        out.retain(|r| r.coding != "incomplete");
        out
    }

    /// How many messages (or parts) the operator received so far, counted
    /// without decoding them.
    ///
    /// Reads only what the log gained since the last count, so that
    /// counting often costs the same at a million messages as at ten.
    pub fn received_count(&self) -> usize {
        use std::io::{Read, Seek, SeekFrom};
        const SIGN: &[u8] = b"Got message ";
        let mut counted = self.counted.lock().unwrap_or_else(|e| e.into_inner());
        let (from, n) = *counted;
        let mut new = Vec::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.join("log").join("fakesmsc.log")) {
            if f.seek(SeekFrom::Start(from)).is_ok() {
                let _ = f.read_to_end(&mut new);
            }
        }
        let n = n + new.windows(SIGN.len()).filter(|w| *w == SIGN).count();
        // The last bytes may begin a sign the log has not finished: they
        // are read again next time (a sign counted ends before them).
        let to = from + new.len().saturating_sub(SIGN.len() - 1) as u64;
        *counted = (to, n);
        n
    }

    /// Waits until the operator received at least `n` messages.
    pub async fn wait_received(&self, n: usize, timeout: Duration) -> Vec<Received> {
        super::wait::until(timeout, || async {
            let got = self.received();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(format!(
                    "the operator received {} of {n} messages: {got:?}",
                    got.len()
                ))
            }
        })
        .await
    }

    /// An SMS from a phone to `to`, as the operator passes it to Kannel.
    pub fn sms_from_phone(&mut self, from: &str, to: &str, text: &str) {
        let data: String = text
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .map(|b| format!("%{b:02X}"))
            .collect();
        let phone = self.phone.as_mut().expect("fakesmsc runs");
        writeln!(phone, "{from} {to} ucs2 {data}").unwrap();
        phone.flush().unwrap();
    }
}

/// Where a concatenated message sits in the list, and its parts so far.
type Parts = (usize, Vec<Option<Vec<u8>>>);

fn units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect()
}

fn utf16(bytes: &[u8]) -> String {
    String::from_utf16(&units(bytes)).expect("UCS-2 that reads as UTF-16")
}

fn url_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

impl Drop for Kannel {
    fn drop(&mut self) {
        self.phone.take();
        for c in self.children.iter_mut().rev() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("Kannel's logs are kept in {}", self.dir.display());
        }
    }
}
