//! diwan-bench-messaging: messaging at scale, with a real Kannel and its
//! simulated operator (Debian's `kannel` and `kannel-extras`), on SQLite
//! or PostgreSQL. See `bench/README.md`, "Messaging".
//!
//! 1. Kannel alone: `--baseline` SMS sent to its `sendsms` interface by a
//!    plain HTTP client, `--concurrency` at a time, until all reached the
//!    operator: the rate Kannel accepts and passes on; then the same
//!    requests asking for delivery reports as Diwan's do, to a sink.
//! 2. Diwan (`serve --demo`, a separate process) with Kannel configured:
//!    the registry imported from a CSV file of `--persons` lines through
//!    the API (rate, the server's peak memory).
//! 3. A bulk SMS to every one of them through the API: the time until every
//!    message is queued (the request returns once they all are, in one
//!    transaction).
//! 4. The worker hands them to Kannel: the rate at which they reach the
//!    operator over the first `--dispatch` messages, next to step 1's.
//! 5. An inquiry to every one of them, written and submitted through its
//!    pages, the node served again at a node's rate beside a Kannel
//!    started again: the time until every question is queued; then every
//!    person's reply posted as Kannel posts it (`--reply-concurrency` at
//!    a time, as many as the shipped Kannel configuration has under way):
//!    the rate they are taken, and each one's time until it is counted (the
//!    count moves in the reply's transaction, so its request's time).
//! 6. The server's peak resident memory through all of it.

#[allow(dead_code)]
#[path = "../../crates/diwan/tests/gateways/kannel.rs"]
mod kannel;
#[allow(dead_code)]
mod server;
#[path = "../../crates/diwan/tests/gateways/wait.rs"]
mod wait;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};
use server::{Server, Target};
use sqlx::{Connection, PgConnection};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Persons of the registry, each with a mobile number.
    #[arg(long, default_value_t = 1_000_000)]
    persons: usize,
    /// SMS of the plain client's baseline.
    #[arg(long, default_value_t = 20_000)]
    baseline: usize,
    /// Messages of the bulk SMS whose arrival at the operator is timed.
    #[arg(long, default_value_t = 20_000)]
    dispatch: usize,
    /// SMS handed to Kannel per second by the node that sends the inquiry
    /// (step 5): by default a node's default.
    #[arg(long, default_value_t = 100)]
    inquiry_sms_per_second: u32,
    /// Requests the plain client has in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Replies posted at once (step 5): by default as many as Kannel's
    /// smsbox has under way at once with the configuration Diwan ships
    /// (`max-pending-requests` in `deploy/kannel/kannel.conf`).
    #[arg(long, default_value_t = 256)]
    reply_concurrency: usize,
    #[arg(long, default_value = "target/release/diwan")]
    diwan_bin: PathBuf,
    #[arg(long, default_value = "target/diwan-bench")]
    work_dir: PathBuf,
}

const KEY: &str = "bench-callback-key-0123456789abcdef";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the operator has `n` messages; returns when it had.
async fn until_received(k: &kannel::Kannel, n: usize, timeout: Duration) -> Result<Instant> {
    let start = Instant::now();
    loop {
        if count_received(k) >= n {
            return Ok(Instant::now());
        }
        if start.elapsed() > timeout {
            bail!(
                "{} of {n} messages reached the operator in {timeout:?}",
                count_received(k)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The higher of two servers' peaks of memory, each of its kind.
fn higher(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    (a.0.max(b.0), a.1.max(b.1))
}

fn count_received(k: &kannel::Kannel) -> usize {
    k.received_count()
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bin = std::fs::canonicalize(&args.diwan_bin)
        .with_context(|| format!("no Diwan binary at {}", args.diwan_bin.display()))?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let run = args
        .work_dir
        .join(format!("messaging-{:?}-{stamp}", args.backend).to_lowercase());
    std::fs::create_dir_all(&run)?;
    let log = run.join("server.log");
    let port = free_port();
    // Kannel calls Diwan on an address of its own (`--gateway-listen`), as
    // the operator's guide sets it up.
    let gateway = free_port();

    // 1. Kannel alone: plain requests, then the same requests asking for
    // the delivery reports Diwan asks for, posted to a sink that only
    // answers.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let plain = kannel_alone(&args, &client, port, None).await?;
    let sink = report_sink().await?;
    let with_reports = kannel_alone(&args, &client, port, Some(sink)).await?;
    let baseline = Baseline {
        plain,
        with_reports,
    };

    // 2. Diwan beside a fresh Kannel.
    let k = kannel::Kannel::start_logging(gateway, KEY, false);
    let data_dir = run.join("data");
    let mut pg_db = None;
    let database_url = match args.backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let name = format!("diwan_bench_msg_{}", uuid::Uuid::now_v7().simple());
            let mut admin = PgConnection::connect(&args.postgres_url).await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            pg_db = Some(name.clone());
            let base = args
                .postgres_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&args.postgres_url);
            Some(format!("{base}/{name}"))
        }
    };
    let env = |k: &str, v: String| (k.to_owned(), v);
    let target = Target {
        data_dir: data_dir.clone(),
        database_url,
        env: vec![
            env("DIWAN_DEMO", "true".into()),
            env("DIWAN_KANNEL_URL", k.sendsms_url.clone()),
            env("DIWAN_KANNEL_PASSWORD", k.password.clone()),
            env(
                "DIWAN_KANNEL_CALLBACK_URL",
                format!("http://127.0.0.1:{gateway}"),
            ),
            env("DIWAN_GATEWAY_LISTEN", format!("127.0.0.1:{gateway}")),
            env("DIWAN_KANNEL_CALLBACK_KEY", KEY.into()),
            env("DIWAN_SMS_PER_SECOND", "100000".into()),
            env("DIWAN_INQUIRY_APPROVAL_THRESHOLD", "100000000".into()),
            env("DIWAN_LOG", "warn".into()),
        ],
    };
    let outcome = measure(&args, &bin, &target, &log, (port, gateway), k, baseline).await;
    if let Some(name) = pg_db {
        if let Ok(mut admin) = PgConnection::connect(&args.postgres_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
        }
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    eprintln!("server log: {}", log.display());
    outcome
}

async fn measure(
    args: &Args,
    bin: &std::path::Path,
    target: &Target,
    log: &std::path::Path,
    (port, gateway): (u16, u16),
    k: kannel::Kannel,
    baseline: Baseline,
) -> Result<()> {
    let server = Server::start_on(bin, target, log, port).await?;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let token: Value = client
        .post(format!("{base}/api/v1/auth/sign-in"))
        .json(&json!({"username": "admin", "password": "diwan-demo-2026"}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["token"].as_str().context("a token")?.to_owned();

    // The registry, imported.
    let mut csv = String::with_capacity(args.persons * 80);
    csv.push_str("national_number,name_ar,mobile\n");
    for i in 0..args.persons {
        let sex = 1 + i % 2;
        csv.push_str(&format!(
            "{sex}19{:02}{:07},محمد علي سالم الورفلي,09{}{:07}\n",
            50 + i % 50,
            i % 10_000_000,
            1 + i % 4,
            i % 10_000_000
        ));
    }
    let bytes = csv.len();
    let started = Instant::now();
    let import: Value = client
        .post(format!(
            "{base}/api/v1/persons/imports?file_name=persons.csv"
        ))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?
        .json()
        .await?;
    let id = import["id"]
        .as_str()
        .with_context(|| format!("the import was refused: {import}"))?
        .to_owned();
    let state = loop {
        let v: Value = client
            .get(format!("{base}/api/v1/persons/imports/{id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let s = v["state"].as_str().unwrap_or("").to_owned();
        if s == "done" || s == "failed" {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let import_secs = started.elapsed().as_secs_f64();
    let hwm_import = server.memory_kb().map(|m| m.1).unwrap_or(0);
    eprintln!(
        "import: {} lines ({:.0} MB) in {import_secs:.1} s, {:.0} lines/s, {} created, {} rejected; peak memory {} MB",
        args.persons,
        bytes as f64 / 1e6,
        args.persons as f64 / import_secs,
        state["created"],
        state["rejected"],
        hwm_import / 1024
    );

    // The bulk SMS: queued in one transaction.
    let started = Instant::now();
    let batch: Value = client
        .post(format!("{base}/api/v1/message-batches"))
        .bearer_auth(&token)
        .json(&json!({"text": "الاستعلام الوطني: هل توافق على المشروع؟ أجب ١ نعم أو ٢ لا"}))
        .timeout(Duration::from_secs(600))
        .send()
        .await?
        .json()
        .await?;
    let queued_secs = started.elapsed().as_secs_f64();
    let total = batch["total"]
        .as_i64()
        .with_context(|| format!("the bulk SMS was refused: {batch}"))?;
    eprintln!("bulk SMS: {total} messages queued in {queued_secs:.1} s");
    memory_after(&server, "the bulk SMS was queued");

    // Dispatch into Kannel.
    let n = args.dispatch.min(total as usize);
    let first = until_received(&k, 1, Duration::from_secs(60)).await?;
    let arrived = until_received(&k, n, Duration::from_secs(1200)).await?;
    let rate = (n - 1) as f64 / (arrived - first).as_secs_f64();
    eprintln!(
        "dispatch: {rate:.0}/s over {n} messages; {}",
        baseline.share(rate)
    );
    memory_after(&server, "dispatch");

    // (a') An inquiry to all of them, through its pages, sent with Kannel
    // there: the time until every question is queued. The node is served
    // again, beside a Kannel started again, at `--inquiry-sms-per-second`
    // (by default a node's default, 100, as an operator's link takes them):
    // served as step 4 left it, it would pass the bulk's million messages
    // on as fast as Kannel takes them, and Kannel would pass on the
    // delivery reports of those it took so far, the two spending half of
    // the machine's two cores meanwhile.
    let mut peaks = server.peaks();
    server.stop().await?;
    drop(k);
    let k = kannel::Kannel::start_logging(gateway, KEY, false);
    let paced = target
        .with_env("DIWAN_KANNEL_URL", Some(k.sendsms_url.clone()))
        .with_env("DIWAN_KANNEL_PASSWORD", Some(k.password.clone()))
        .with_env(
            "DIWAN_SMS_PER_SECOND",
            Some(args.inquiry_sms_per_second.to_string()),
        );
    let server = Server::start_on(bin, &paced, log, port).await?;
    let (page, recipients, fanout_secs) = inquiry_fanout(&server.base).await?;
    memory_after(&server, "the inquiry's questions were queued");
    peaks = higher(peaks, server.peaks());
    server.stop().await?;
    // (c) Every person's reply, posted as Kannel posts it, to the same
    // database served again without a gateway: the millions of messages
    // still queued then wait instead of sharing the one writer with the
    // replies, so that what is measured is how fast replies are taken.
    // Kannel is stopped too: it would otherwise spend a core of the two
    // passing on, and trying again, the delivery reports of the hundreds of
    // thousands of messages it took so far.
    drop(k);
    let quiet = target.with_env("DIWAN_KANNEL_URL", None);
    let server = Server::start_on(bin, &quiet, log, port).await?;
    let replies = inquiry_replies(args, &server.base, gateway, &page).await?;
    memory_after(&server, "the replies (a server started again)");
    let inquiry = InquiryFigures {
        recipients,
        fanout_secs,
        ..replies
    };
    let (hwm, sampled) = higher(peaks, server.peaks());
    println!(
        "## Messaging ({:?})",
        target
            .database_url
            .as_ref()
            .map_or("sqlite", |_| "postgres")
    );
    println!("| | figure | target | met |");
    println!("|---|---|---|---|");
    println!(
        "| (a) bulk SMS to {total} persons, all queued | {queued_secs:.1} s | < 20 s | {} |",
        if queued_secs < 20.0 { "yes" } else { "no" }
    );
    println!(
        "| (b) dispatch into Kannel | {rate:.0}/s over {n} messages; {} | ≥ 80 % | {} |",
        baseline.share(rate),
        if rate >= 0.8 * baseline.with_reports {
            "yes"
        } else {
            "no"
        }
    );
    println!(
        "| (a') inquiry to {} persons, every question queued | {:.1} s (recipients fixed 20,000 at a time, questions queued 20,000 a statement; the node sending at {} SMS/s beside a Kannel started again) | < 20 s | {} |",
        inquiry.recipients,
        inquiry.fanout_secs,
        args.inquiry_sms_per_second,
        if inquiry.fanout_secs < 20.0 { "yes" } else { "no" }
    );
    println!(
        "| (c) {} SMS replies posted as Kannel posts them, {} at a time | {:.0}/s | ≥ 5,000/s | {} |",
        inquiry.replies,
        args.reply_concurrency,
        inquiry.reply_rate,
        if inquiry.reply_rate >= 5000.0 {
            "yes"
        } else {
            "no"
        }
    );
    println!(
        "| (c) lag until a reply is counted (its request's time: the count moves in its transaction) | p50 {:.0} ms, p99 {:.0} ms; respondents counted at the end {} | p99 < 1 s | {} |",
        inquiry.p50_ms,
        inquiry.p99_ms,
        inquiry.respondents,
        if inquiry.p99_ms < 1000.0 { "yes" } else { "no" }
    );
    println!(
        "| (d) CSV import of {} persons | {:.0} lines/s, {import_secs:.0} s; peak memory {} MB | flat memory | — |",
        args.persons,
        args.persons as f64 / import_secs,
        hwm_import / 1024
    );
    println!(
        "| (e) server's peak memory | {} MB (VmHWM; sampled VmRSS peak {} MB) | ≤ 150 MB | {} |",
        hwm / 1024,
        sampled / 1024,
        if hwm / 1024 <= 150 { "yes" } else { "no" }
    );
    server.stop().await?;
    Ok(())
}

/// Prints the server's resident memory now and its peak so far, so that
/// the step that sets the peak shows.
fn memory_after(server: &Server, step: &str) {
    if let Some((rss, hwm)) = server.memory_kb() {
        eprintln!(
            "  server memory after {step}: VmRSS {} MB, VmHWM {} MB",
            rss / 1024,
            hwm / 1024
        );
    }
}

struct InquiryFigures {
    recipients: i64,
    fanout_secs: f64,
    replies: usize,
    reply_rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    respondents: String,
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned()).filter(|t| !t.is_empty())
}

/// The text of the `<dd>` after the `<dt>` that says `label`.
fn detail(html: &str, label: &str) -> Option<String> {
    let at = html.find(&format!("<dt>{label}</dt>"))?;
    let rest = &html[at..];
    let start = rest.find("<dd")?;
    let start = start + rest[start..].find('>')? + 1;
    let end = rest[start..].find("</dd>")?;
    Some(rest[start..start + end].to_owned())
}

async fn manager(base: &str) -> Result<(reqwest::Client, String)> {
    let web = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let html = web
        .get(format!("{base}/sign-in"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_of(&html).context("the sign-in form's token")?;
    web.post(format!("{base}/sign-in"))
        .form(&[
            ("username", "inquiry.manager"),
            ("password", "diwan-demo-2026"),
            ("csrf", token.as_str()),
        ])
        .send()
        .await?;
    let html = web
        .get(format!("{base}/cases"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_of(&html).context("signed in as the inquiry manager")?;
    Ok((web, csrf))
}

/// The inquiry manager writes a yes/no inquiry to everyone and submits it
/// (the server's approval threshold is above the registry); returns its
/// page, its recipients and the time until every question was queued.
async fn inquiry_fanout(base: &str) -> Result<(String, i64, f64)> {
    let (web, csrf) = manager(base).await?;
    let r = web
        .post(format!("{base}/inquiries/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "الاستعلام الوطني: المشروعات البلدية"),
            ("q0_kind", "yes_no"),
            ("q0_text_ar", "هل توافق على أولوية مشروعات الطرق هذا العام؟"),
            ("quiet_start", "00:00"),
            ("quiet_end", "00:00"),
        ])
        .send()
        .await?;
    let page = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("the inquiry was not saved: {}", r.status()))?
        .to_owned();
    let started = Instant::now();
    web.post(format!("{base}{page}/actions"))
        .form(&[("csrf", csrf.as_str()), ("action", "submit")])
        .send()
        .await?;
    loop {
        let html = web
            .get(format!("{base}{page}?auto=0"))
            .send()
            .await?
            .text()
            .await?;
        if detail(&html, "الحالة").as_deref() == Some("مفتوح للإجابات") {
            let n = detail(&html, "المستلمون")
                .and_then(|d| d.trim().parse().ok())
                .unwrap_or(0);
            let secs = started.elapsed().as_secs_f64();
            eprintln!("inquiry: {n} questions queued in {secs:.1} s");
            return Ok((page, n, secs));
        }
        if started.elapsed() > Duration::from_secs(1200) {
            bail!("the inquiry was not sent within 20 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every person replies, `--reply-concurrency` at a time, posted to the
/// gateway's address as Kannel posts them.
async fn inquiry_replies(
    args: &Args,
    base: &str,
    gateway: u16,
    page: &str,
) -> Result<InquiryFigures> {
    let (web, _) = manager(base).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.reply_concurrency * 2)
        .build()?;
    let latencies = std::sync::Arc::new(std::sync::Mutex::new(Vec::with_capacity(args.persons)));
    let url = format!("http://127.0.0.1:{gateway}/api/v1/messaging/kannel/incoming?key={KEY}");
    let n = args.persons;
    let started = Instant::now();
    let lat = latencies.clone();
    let ok = futures_like::run(n, args.reply_concurrency, move |i| {
        let (client, url, lat) = (client.clone(), url.clone(), lat.clone());
        async move {
            // The mobile number the import gave person i.
            let from = format!("+2189{}{:07}", 1 + i % 4, i % 10_000_000);
            let text = if i % 2 == 0 { "نعم" } else { "٢" };
            let t = Instant::now();
            let r = client
                .post(&url)
                .header("x-kannel-from", from)
                .header("x-kannel-to", "1415")
                .header("content-type", "text/plain; charset=utf-8")
                .body(text)
                .send()
                .await;
            let took = t.elapsed().as_secs_f64() * 1000.0;
            lat.lock().unwrap().push(took);
            match r {
                Ok(r) if r.status().is_success() => true,
                Ok(r) => {
                    refusal(r.status().to_string());
                    false
                }
                Err(e) => {
                    refusal(format!("{e:?}").chars().take(160).collect());
                    false
                }
            }
        }
    })
    .await;
    let secs = started.elapsed().as_secs_f64();
    if ok != n {
        eprintln!("{} of {n} replies were refused", n - ok);
    }
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        l.get(((l.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let html = web
        .get(format!("{base}{page}?auto=0"))
        .send()
        .await?
        .text()
        .await?;
    let respondents = detail(&html, "المجيبون").unwrap_or_default();
    eprintln!(
        "replies: {ok} in {secs:.1} s, {:.0}/s, {} at a time; p50 {:.0} ms, p99 {:.0} ms; respondents {respondents}",
        ok as f64 / secs,
        args.reply_concurrency,
        at(0.5),
        at(0.99)
    );
    Ok(InquiryFigures {
        recipients: 0,
        fanout_secs: 0.0,
        replies: ok,
        reply_rate: ok as f64 / secs,
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        respondents,
    })
}

/// Logs the first refusals of replies, for the reason to be seen.
fn refusal(why: String) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    if SEEN.fetch_add(1, Ordering::Relaxed) < 3 {
        eprintln!("a reply was refused: {why}");
    }
}

/// Runs `n` tasks made by `f`, `concurrency` at a time; counts those that
/// returned true.
/// What the same Kannel accepts from a plain HTTP client, in SMS/s.
struct Baseline {
    /// Plain requests.
    plain: f64,
    /// The same requests asking for the delivery reports Diwan asks for
    /// (`dlr-mask` 27), which Kannel then keeps and posts back: Diwan's
    /// requests ask for them, so this is the like-for-like rate, and the
    /// one the target is judged against.
    with_reports: f64,
}

impl Baseline {
    fn share(&self, rate: f64) -> String {
        format!(
            "Kannel alone {:.0}/s with delivery reports: {:.0} % (without: {:.0}/s, {:.0} %)",
            self.with_reports,
            100.0 * rate / self.with_reports,
            self.plain,
            100.0 * rate / self.plain
        )
    }
}

/// `--baseline` SMS sent to a fresh Kannel by a plain HTTP client,
/// `--concurrency` at a time, asking for delivery reports to the sink on
/// `reports` if given; answers the rate until all reached the operator.
async fn kannel_alone(
    args: &Args,
    client: &reqwest::Client,
    port: u16,
    reports: Option<u16>,
) -> Result<f64> {
    let k = kannel::Kannel::start_logging(port, KEY, false);
    let text: &'static str = "بلدية طرابلس: تبدأ حملة النظافة يوم السبت ٨ صباحًا.";
    let started = Instant::now();
    let url = k.sendsms_url.clone();
    let password = k.password.clone();
    let plain = client.clone();
    let sent = futures_like::run(args.baseline, args.concurrency, move |i| {
        let (client, url, password) = (plain.clone(), url.clone(), password.clone());
        async move {
            // As Diwan sends them: a POST whose body is the text, the
            // rest in X-Kannel-* headers.
            let mut r = client
                .post(&url)
                .header("X-Kannel-Username", "diwan")
                .header("X-Kannel-Password", password)
                .header("X-Kannel-From", "1415")
                .header("X-Kannel-To", format!("+21891{:07}", i))
                .header("X-Kannel-Coding", "2")
                .header("Content-Type", "text/plain; charset=UTF-8")
                .body(text);
            if let Some(sink) = reports {
                r = r.header("X-Kannel-DLR-Mask", "27").header(
                    "X-Kannel-DLR-Url",
                    format!("http://127.0.0.1:{sink}/reports?id={i}&type=%d&answer=%A"),
                );
            }
            let r = r.send().await;
            matches!(r, Ok(r) if r.status().is_success())
        }
    })
    .await;
    if sent != args.baseline {
        bail!("Kannel took {sent} of {} SMS", args.baseline);
    }
    let arrived = until_received(&k, args.baseline, Duration::from_secs(600)).await?;
    let rate = args.baseline as f64 / (arrived - started).as_secs_f64();
    eprintln!(
        "Kannel alone{}: {} SMS in {:.1} s, {rate:.0}/s",
        if reports.is_some() {
            ", with delivery reports"
        } else {
            ""
        },
        args.baseline,
        (arrived - started).as_secs_f64()
    );
    Ok(rate)
}

/// A loopback HTTP server that answers every request 200 and nothing
/// else, for the delivery reports of the baseline; answers its port.
async fn report_sink() -> Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let answer = axum::Router::new().fallback(|| async {});
    tokio::spawn(async move {
        let _ = axum::serve(listener, answer).await;
    });
    Ok(port)
}

mod futures_like {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    pub async fn run<F, Fut>(n: usize, concurrency: usize, f: F) -> usize
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        let next = Arc::new(AtomicUsize::new(0));
        let ok = Arc::new(AtomicUsize::new(0));
        let f = Arc::new(f);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (next, ok, f) = (next.clone(), ok.clone(), f.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    if f(i).await {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        ok.load(Ordering::Relaxed)
    }
}
