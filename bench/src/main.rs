//! `diwan-bench`: seeds a million cases across a hundred municipalities and
//! measures, on SQLite or PostgreSQL, (a) filing through the HTTP API next to
//! the database's raw single-row insert rate, (b) queue page and search
//! latencies, (c) the server's peak memory. See `bench/README.md`.

mod client;
mod data;
mod raw;
mod seed;
mod server;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use client::Latency;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use server::{Server, Target};
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const TARGET_FILING_RATIO: f64 = 0.25;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_MEMORY_MB: f64 = 150.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "diwan-bench",
    about = "Diwan at scale: filing, queues, search and memory on SQLite or PostgreSQL"
)]
struct Args {
    #[arg(long, value_enum)]
    backend: Backend,
    /// Cases to load before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    cases: usize,
    /// Municipalities (the demo's fourteen and more), each with one clerk.
    #[arg(long, default_value_t = 100)]
    municipalities: usize,
    /// Requests filed through the API.
    #[arg(long, default_value_t = 2_000)]
    filings: usize,
    /// Rows of each run of the raw-insert baseline (after a warm-up of a
    /// tenth as many).
    #[arg(long, default_value_t = 10_000)]
    raw_rows: usize,
    /// Runs of the baseline before the server starts; as many again less
    /// one run after it stops. The ratio uses the median of all runs.
    #[arg(long, default_value_t = 3)]
    raw_runs: usize,
    /// Measured requests of each kind of query.
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Concurrent clients while filing.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Rounds the filings are made in. Before each round and after the
    /// last, the server idle, the raw insert runs `--raw-runs` times on the
    /// connections the ratio is judged against; each round's rate is
    /// compared with the mean of the medians of the runs around it, and the
    /// ratio is the median of the rounds'.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Connections of the concurrent raw-insert baseline, against which
    /// PostgreSQL's filing is judged (the issue fixes it at 8, whatever the
    /// number of filing clients).
    #[arg(long, default_value_t = 8)]
    raw_connections: usize,
    /// The Diwan binary to run as the server (build it with --release).
    #[arg(long, default_value = "target/release/diwan")]
    diwan_bin: PathBuf,
    /// A PostgreSQL database to connect to in order to create (and drop) the benchmark's own database.
    #[arg(
        long,
        env = "DIWAN_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// Where the data directory and the server's log go.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/diwan-bench"))]
    work_dir: PathBuf,
    /// Where the JSON result goes.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results"))]
    results_dir: PathBuf,
    /// Seed of the random data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Keep the database (and the SQLite data directory) afterwards.
    #[arg(long)]
    keep: bool,
    /// KEY=VALUE set in the server's environment (repeatable), for diagnosis:
    /// for example DIWAN_LOG=debug or MALLOC_ARENA_MAX=2.
    #[arg(long = "server-env", value_parser = parse_env)]
    server_env: Vec<(String, String)>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

/// Replaces the database name of a postgres:// URL.
fn with_database(url: &str, db: &str) -> Result<String> {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let after_scheme = main.find("://").context("not a URL")? + 3;
    let base = match main[after_scheme..].find('/') {
        Some(i) => &main[..after_scheme + i],
        None => main,
    };
    Ok(match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    })
}

fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1_000_000.0
}

struct Row {
    measure: String,
    value: String,
    target: String,
    met: Option<bool>,
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "",
    }
}

fn latency_json(l: &Latency) -> Value {
    json!({"count": l.count, "p50_ms": l.p50, "p99_ms": l.p99, "max_ms": l.max, "mean_ms": l.mean})
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bin = resolve_bin(&args.diwan_bin)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let run_dir = args
        .work_dir
        .join(format!("{}-{stamp}", args.backend.name()));
    std::fs::create_dir_all(&run_dir)?;
    let log = run_dir.join("server.log");
    let data_dir = run_dir.join("data");
    let mut rng = StdRng::seed_from_u64(args.seed);

    let (target, pg_db) = match args.backend {
        Backend::Sqlite => (
            Target {
                data_dir: data_dir.clone(),
                database_url: None,
                env: args.server_env.clone(),
            },
            None,
        ),
        Backend::Postgres => {
            let name = format!("diwan_bench_{:08x}", rand::thread_rng().gen::<u32>());
            let mut admin = PgConnection::connect(&args.postgres_url)
                .await
                .context("cannot connect to --postgres-url")?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            let url = with_database(&args.postgres_url, &name)?;
            eprintln!("created PostgreSQL database {name}");
            (
                Target {
                    data_dir: data_dir.clone(),
                    database_url: Some(url),
                    env: args.server_env.clone(),
                },
                Some(name),
            )
        }
    };

    let outcome = run(&args, &bin, &target, &log, &mut rng, &stamp).await;

    if args.keep {
        eprintln!(
            "kept: {}{}",
            data_dir.display(),
            pg_db
                .as_deref()
                .map(|d| format!(" and PostgreSQL database {d}"))
                .unwrap_or_default()
        );
    } else {
        if let Some(name) = &pg_db {
            match PgConnection::connect(&args.postgres_url).await {
                Ok(mut admin) => {
                    if let Err(e) =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await
                    {
                        eprintln!("could not drop {name}: {e}");
                    }
                }
                Err(e) => eprintln!("could not drop {name}: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    eprintln!("server log: {}", log.display());
    outcome
}

fn resolve_bin(p: &Path) -> Result<PathBuf> {
    let candidates = [
        p.to_path_buf(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p),
    ];
    for c in candidates {
        if c.is_file() {
            return Ok(c.canonicalize()?);
        }
    }
    bail!(
        "no Diwan binary at {}: build it with `cargo build --release -p diwan`",
        p.display()
    )
}

async fn run(
    args: &Args,
    bin: &Path,
    target: &Target,
    log: &Path,
    rng: &mut StdRng,
    stamp: &str,
) -> Result<()> {
    let backend = args.backend;
    eprintln!(
        "== diwan-bench: {} with {} cases across {} municipalities",
        backend.name(),
        args.cases,
        args.municipalities
    );
    server::migrate(bin, target, log).await?;

    // Organizations, people and case types through Diwan's own services.
    let t = std::time::Instant::now();
    let sqlite_path = target.data_dir.join("diwan.db");
    let files = diwan_services::cases::attachments::open_file_store(
        &target.data_dir.join("files").to_string_lossy(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let world = match &target.database_url {
        None => {
            let store = diwan_store_sqlite::SqliteStore::open(&sqlite_path)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let services =
                diwan_services::Services::new(Arc::new(store.clone()), files, Default::default());
            let w = seed::build_world(&services, args.municipalities).await?;
            store.close().await;
            w
        }
        Some(url) => {
            let store = diwan_store_postgres::PostgresStore::connect(url)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let services =
                diwan_services::Services::new(Arc::new(store.clone()), files, Default::default());
            let w = seed::build_world(&services, args.municipalities).await?;
            store.close().await;
            w
        }
    };
    eprintln!(
        "organizations, {} municipal clerks and case types loaded through the services in {:.1} s",
        world.municipalities.len(),
        t.elapsed().as_secs_f64()
    );

    // The cases, in bulk.
    eprintln!("loading {} cases …", args.cases);
    let stats = match &target.database_url {
        None => seed::seed_sqlite(&sqlite_path, &world, args.cases, rng).await?,
        Some(url) => seed::seed_postgres(url, &world, args.cases, rng).await?,
    };
    eprintln!(
        "loaded {} cases in {:.1} s ({:.0} rows/s)",
        stats.rows,
        stats.seconds,
        stats.rows as f64 / stats.seconds
    );

    // How many cases each search word matches, and the database's size.
    let mut word_matches = Vec::new();
    for w in data::SEARCH_WORDS {
        let term = diwan_domain::text::normalize_for_search(w);
        let n: i64 = match &target.database_url {
            None => {
                let mut c =
                    SqliteConnection::connect(&format!("sqlite://{}", sqlite_path.display()))
                        .await?;
                sqlx::query_scalar("SELECT count(*) FROM cases_fts WHERE cases_fts MATCH ?")
                    .bind(format!("\"{term}\"*"))
                    .fetch_one(&mut c)
                    .await?
            }
            Some(url) => {
                let mut c = PgConnection::connect(url).await?;
                sqlx::query_scalar(
                    "SELECT count(*) FROM cases WHERE search_vector @@ to_tsquery('simple', $1)",
                )
                .bind(format!("{term}:*"))
                .fetch_one(&mut c)
                .await?
            }
        };
        word_matches.push((w.to_string(), n));
    }
    let db_bytes = db_size(target, &sqlite_path).await?;
    eprintln!(
        "search words: {word_matches:?}; database size {:.0} MB",
        db_bytes as f64 / 1e6
    );

    // (a) Baseline: raw single-row inserts, before the server starts.
    let now = chrono::Utc::now();
    let raw_rows: Vec<data::CaseRow> = {
        let (sk, _) = data::skeletons(rng, &world, args.raw_rows.max(10), now);
        sk.iter()
            .enumerate()
            .map(|(i, s)| {
                let (mut r, _) = data::case_row(rng, &world, s, now);
                r.id = uuid::Uuid::now_v7();
                r.tracking_number = format!("RAW-{i:09}");
                r
            })
            .collect()
    };
    let baseline = raw::Baseline {
        database_url: target.database_url.clone(),
        sqlite_path: sqlite_path.clone(),
    };
    // The connections of the baseline the ratio is judged against: on
    // SQLite, which writes on one connection whatever the clients do, one;
    // on PostgreSQL, which shares a WAL flush between concurrent commits,
    // `--raw-connections` (8).
    let (judged, baseline_name) = match backend {
        Backend::Sqlite => (1, "sequential"),
        Backend::Postgres => (args.raw_connections, "concurrent"),
    };
    let raw_rows: &'static [data::CaseRow] = Box::leak(raw_rows.into_boxed_slice());
    // A warm-up run that does not count: the first inserts into a fresh
    // table pay for its first pages and the statement's preparation.
    baseline.run(&raw_rows[..raw_rows.len() / 10], 1).await?;
    // `n` runs in sequence on one connection, then `n` on
    // `--raw-connections` (PostgreSQL's ratio is judged against these; see
    // bench/README.md).
    let runs = |n: usize, when: &'static str| {
        let baseline = &baseline;
        async move {
            let mut sequential = Vec::with_capacity(n);
            for _ in 0..n {
                sequential.push(baseline.run(raw_rows, 1).await?);
            }
            eprintln!("raw single-row inserts ({when}): {sequential:.0?} rows/s");
            let mut concurrent = Vec::with_capacity(n);
            for _ in 0..n {
                concurrent.push(baseline.run(raw_rows, args.raw_connections).await?);
            }
            eprintln!(
                "raw single-row inserts on {} connections ({when}): {concurrent:.0?} rows/s",
                args.raw_connections
            );
            Result::<_>::Ok((sequential, concurrent))
        }
    };
    let (raw_before, concurrent_before) = runs(args.raw_runs.max(1), "before").await?;

    // The server.
    let server = Server::start(bin, target, log).await?;
    let idle = server.memory_kb().unwrap_or((0, 0));
    eprintln!(
        "server pid {} at {} ({:.1} MB resident at start)",
        server.pid,
        server.base,
        mb(idle.0)
    );
    let client = client::http()?;
    let paired = Paired {
        baseline: &baseline,
        rows: raw_rows,
        connections: judged,
    };
    let outcome = measure(args, &client, &server, &world, &stats, rng, &paired).await;
    let mem_end = server.memory_kb().unwrap_or((0, 0));
    let sampled = server.sampled_peak_kb.load(Ordering::Relaxed);
    server.stop().await?;
    let (filing, rounds, queue1, queue2, search, rare, tracking, page_items, phases) = outcome?;

    // The baseline again, after the load, to show how noisy the machine was.
    let (raw_after, concurrent_after) =
        runs(args.raw_runs.saturating_sub(1).max(1), "after").await?;
    let (raw_median, raw_min, raw_max, all) = spread(&raw_before, &raw_after);
    let (raw_concurrent, concurrent_min, concurrent_max, concurrent_all) =
        spread(&concurrent_before, &concurrent_after);
    // The ratio: each round's filing rate against the judged
    // baseline measured just before and just after it, the median of the
    // rounds. The pooled filing rate against the median of the runs before
    // and after the server is shown beside it.
    let ratios: Vec<f64> = rounds.iter().map(Round::ratio).collect();
    let ratio = median(&ratios);
    let pooled_against = match backend {
        Backend::Sqlite => raw_median,
        Backend::Postgres => raw_concurrent,
    };

    // Filing wrote what it should: cases, with their audit records.
    let (cases_now, audited) = check_counts(target, &sqlite_path).await?;
    let filed = i64::try_from(filing.count)?;
    let expected = i64::try_from(stats.rows)? + filed;
    if cases_now != expected || audited < filed {
        bail!("after filing: {cases_now} cases (expected {expected}), {audited} case.create audit records (expected {})", filing.count);
    }

    // The report.
    let hwm_mb = mb(mem_end.1);
    let p99 = |l: &Latency| {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50, l.p99, l.max
        )
    };
    let meets = |l: &Latency| Some(l.p99 <= TARGET_P99_MS);
    let total_words: i64 = word_matches.iter().map(|w| w.1).sum();
    let rows = vec![
        Row {
            measure: "cases loaded".into(),
            value: format!(
                "{} ({} municipalities, {:.0} rows/s, database {:.0} MB)",
                stats.rows,
                world.municipalities.len(),
                stats.rows as f64 / stats.seconds,
                db_bytes as f64 / 1e6
            ),
            target: String::new(),
            met: None,
        },
        Row {
            measure: "raw single-row insert".into(),
            value: format!(
                "{raw_median:.0} rows/s (median of {} runs of {} rows, {raw_min:.0}–{raw_max:.0}; filing is {:.1} % of this)",
                all,
                raw_rows.len(),
                filing.per_second / raw_median * 100.0
            ),
            target: String::new(),
            met: None,
        },
        Row {
            measure: format!("raw insert, {} connections", args.raw_connections),
            value: format!(
                "{raw_concurrent:.0} rows/s (median of {concurrent_all} runs, {concurrent_min:.0}–{concurrent_max:.0}; filing is {:.1} % of this)",
                filing.per_second / raw_concurrent * 100.0
            ),
            target: String::new(),
            met: None,
        },
        Row {
            measure: format!("filing via API (x{})", args.concurrency),
            value: format!(
                "{:.0} filings/s ({} in {:.1} s; p50 {:.1} ms, p99 {:.1} ms)",
                filing.per_second,
                filing.count,
                filing.seconds,
                filing.latency.p50,
                filing.latency.p99
            ),
            target: String::new(),
            met: None,
        },
        Row {
            measure: format!("filing / raw ({baseline_name})"),
            value: format!(
                "{:.1} % (median of {} rounds, each against the raw rate on {judged} connection(s) just before and after it: {}; pooled against the median of the runs before and after: {:.1} %)",
                ratio * 100.0,
                rounds.len(),
                ratios
                    .iter()
                    .map(|r| format!("{:.1}", r * 100.0))
                    .collect::<Vec<_>>()
                    .join(", "),
                filing.per_second / pooled_against * 100.0
            ),
            target: format!(">= {:.0} %", TARGET_FILING_RATIO * 100.0),
            met: Some(ratio >= TARGET_FILING_RATIO),
        },
        Row {
            measure: "queue page 1 (dept head)".into(),
            value: p99(&queue1),
            target: format!("p99 <= {TARGET_P99_MS:.0} ms"),
            met: meets(&queue1),
        },
        Row {
            measure: "queue page 2 (cursor)".into(),
            value: p99(&queue2),
            target: format!("p99 <= {TARGET_P99_MS:.0} ms"),
            met: meets(&queue2),
        },
        Row {
            measure: "search, common word".into(),
            value: format!(
                "{} (words match {:.1} % of cases on average)",
                p99(&search),
                total_words as f64 / word_matches.len() as f64 / stats.rows.max(1) as f64 * 100.0
            ),
            target: format!("p99 <= {TARGET_P99_MS:.0} ms"),
            met: meets(&search),
        },
        Row {
            measure: "search, rare reference no.".into(),
            value: p99(&rare),
            target: format!("p99 <= {TARGET_P99_MS:.0} ms"),
            met: meets(&rare),
        },
        Row {
            measure: "search, tracking number".into(),
            value: p99(&tracking),
            target: format!("p99 <= {TARGET_P99_MS:.0} ms"),
            met: meets(&tracking),
        },
        Row {
            measure: "server peak memory (VmHWM)".into(),
            value: format!(
                "{hwm_mb:.1} MB (sampled VmRSS peak {:.1}, at start {:.1}, at end {:.1})",
                mb(sampled),
                mb(idle.0),
                mb(mem_end.0)
            ),
            target: format!("<= {TARGET_MEMORY_MB:.0} MB"),
            met: Some(hwm_mb <= TARGET_MEMORY_MB),
        },
    ];
    println!();
    println!(
        "Diwan benchmark: backend {}, {} cases, {} municipalities ({stamp})",
        backend.name(),
        stats.rows,
        world.municipalities.len()
    );
    let w0 = rows
        .iter()
        .map(|r| r.measure.chars().count())
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| r.value.chars().count())
        .max()
        .unwrap_or(0);
    let w2 = rows
        .iter()
        .map(|r| r.target.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    println!(
        "{:<w0$}  {:<w1$}  {:<w2$}  result",
        "measure", "value", "target"
    );
    println!("{}", "-".repeat(w0 + w1 + w2 + 14));
    for r in &rows {
        println!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            r.measure,
            r.value,
            r.target,
            verdict(r.met)
        );
    }
    println!("(MB = 10^6 bytes; latencies are sequential single requests over loopback after {} warm-up requests.)", WARMUP);

    let queries_met = [&queue1, &queue2, &search, &rare, &tracking]
        .iter()
        .all(|l| l.p99 <= TARGET_P99_MS);
    let report = json!({
        "backend": backend.name(),
        "timestamp": stamp,
        "cases": stats.rows,
        "municipalities": world.municipalities.len(),
        "machine": {"cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)},
        "git_commit": git_commit(),
        "diwan_bin": {"path": bin.display().to_string(), "modified": std::fs::metadata(bin).and_then(|m| m.modified()).ok().map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339())},
        "server_env": args.server_env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
        "seed": {"rows": stats.rows, "seconds": stats.seconds, "rows_per_second": stats.rows as f64 / stats.seconds, "database_bytes": db_bytes, "search_words": word_matches.iter().map(|(w, n)| json!({"word": w, "matches": n})).collect::<Vec<_>>()},
        "filing": {
            "raw_insert_rows_per_second": {"before": raw_before, "after": raw_after, "median": raw_median, "rows_per_run": raw_rows.len()},
            "raw_insert_concurrent": {"connections": args.raw_connections, "before": concurrent_before, "after": concurrent_after, "median": raw_concurrent, "filing_ratio": filing.per_second / raw_concurrent},
            "ratio_against": baseline_name,
            "rounds": rounds.iter().map(|r| json!({"filings_per_second": r.per_second, "raw_before": r.raw_before, "raw_after": r.raw_after, "connections": judged, "ratio": r.ratio()})).collect::<Vec<_>>(),
            "api_filings": filing.count, "concurrency": args.concurrency, "seconds": filing.seconds,
            "api_filings_per_second": filing.per_second, "latency": latency_json(&filing.latency),
            "ratio": ratio, "target_ratio": TARGET_FILING_RATIO, "met": ratio >= TARGET_FILING_RATIO,
        },
        "queries": {
            "target_p99_ms": TARGET_P99_MS,
            "queue_page_1": latency_json(&queue1), "queue_page_2": latency_json(&queue2),
            "search_common_word": latency_json(&search), "search_rare_reference": latency_json(&rare), "search_tracking_number": latency_json(&tracking),
            "items_per_page": page_items,
            "met": queries_met,
        },
        "memory": {"vm_hwm_mb": hwm_mb, "sampled_rss_peak_mb": mb(sampled), "rss_at_start_mb": mb(idle.0), "rss_at_end_mb": mb(mem_end.0), "target_mb": TARGET_MEMORY_MB, "met": hwm_mb <= TARGET_MEMORY_MB,
            "after_phase": phases.iter().map(|(p, rss, hwm)| json!({"phase": p, "rss_mb": rss, "hwm_mb": hwm})).collect::<Vec<_>>()},
    });
    std::fs::create_dir_all(&args.results_dir)?;
    let out = args
        .results_dir
        .join(format!("{}-{stamp}.json", backend.name()));
    std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("written: {}", out.display());
    Ok(())
}

const WARMUP: usize = 20;

type Measured = (
    client::Filing,
    Vec<Round>,
    Latency,
    Latency,
    Latency,
    Latency,
    Latency,
    Value,
    Vec<(&'static str, f64, f64)>,
);

/// Resident and peak memory of the server now, in MB, after `phase`.
fn checkpoint(server: &Server, phase: &'static str, log: &mut Vec<(&'static str, f64, f64)>) {
    let (rss, hwm) = server.memory_kb().unwrap_or((0, 0));
    eprintln!(
        "  server memory after {phase}: VmRSS {:.1} MB, VmHWM {:.1} MB",
        mb(rss),
        mb(hwm)
    );
    log.push((phase, mb(rss), mb(hwm)));
}

/// The baseline measured between the rounds of filing, on the connections
/// the ratio is judged against.
struct Paired<'a> {
    baseline: &'a raw::Baseline,
    rows: &'a [data::CaseRow],
    connections: usize,
}

/// A round of filing and the judged baseline just before and after it.
struct Round {
    per_second: f64,
    raw_before: f64,
    raw_after: f64,
}

impl Round {
    fn ratio(&self) -> f64 {
        self.per_second / ((self.raw_before + self.raw_after) / 2.0)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

async fn measure(
    args: &Args,
    client: &reqwest::Client,
    server: &Server,
    world: &data::World,
    stats: &seed::SeedStats,
    rng: &mut StdRng,
    paired: &Paired<'_>,
) -> Result<Measured> {
    let base = server.base.as_str();
    let mut phases = Vec::new();
    checkpoint(server, "start", &mut phases);
    // Sign-ins, one after another as people arrive at work.
    let t = std::time::Instant::now();
    let mut clerk_tokens = Vec::new();
    for m in &world.municipalities {
        clerk_tokens.push(client::sign_in(client, base, &m.clerk_username).await?);
    }
    let mut head_tokens = Vec::new();
    for d in &world.departments {
        head_tokens.push(client::sign_in(client, base, &d.head_username).await?);
    }
    let registry = client::sign_in(client, base, &world.registry_username).await?;
    eprintln!(
        "{} sign-ins in {:.1} s",
        clerk_tokens.len() + head_tokens.len() + 1,
        t.elapsed().as_secs_f64()
    );
    checkpoint(server, "sign-ins", &mut phases);

    // (a) Filing, in rounds, the judged baseline measured before each and
    // after the last while the server is idle: each round is compared with
    // the database's own rate of the same minutes.
    let n_rounds = args.rounds.clamp(1, args.filings.max(1));
    eprintln!(
        "filing {} requests with {} clients in {n_rounds} rounds, the raw insert rate on {} connection(s) measured around each …",
        args.filings, args.concurrency, paired.connections
    );
    // The baseline between rounds: the median of `--raw-runs` runs, so
    // that one run caught by a busy second does not judge a round.
    let between = || async {
        let mut runs = Vec::with_capacity(args.raw_runs.max(1));
        for _ in 0..args.raw_runs.max(1) {
            runs.push(paired.baseline.run(paired.rows, paired.connections).await?);
        }
        Result::<f64>::Ok(median(&runs))
    };
    let mut raws = vec![between().await?];
    let mut parts = Vec::with_capacity(n_rounds);
    let mut rounds = Vec::with_capacity(n_rounds);
    for r in 0..n_rounds {
        let n = args.filings / n_rounds + usize::from(r < args.filings % n_rounds);
        let seed = args.seed ^ (r as u64).wrapping_mul(0x5851_f42d_4c95_7f2d);
        let part = client::file_cases(
            client,
            base,
            world,
            &clerk_tokens,
            n,
            args.concurrency,
            seed,
        )
        .await?;
        raws.push(between().await?);
        let round = Round {
            per_second: part.per_second,
            raw_before: raws[r],
            raw_after: raws[r + 1],
        };
        eprintln!(
            "  round {}: {} filings at {:.0}/s (p99 {:.1} ms); raw {:.0} rows/s before, {:.0} after: {:.1} %",
            r + 1,
            part.count,
            part.per_second,
            part.latency.p99,
            round.raw_before,
            round.raw_after,
            round.ratio() * 100.0
        );
        parts.push(part);
        rounds.push(round);
    }
    let filing = client::Filing::pooled(&parts);
    eprintln!(
        "filed {} in {:.1} s: {:.0} filings/s",
        filing.count, filing.seconds, filing.per_second
    );
    checkpoint(server, "filing", &mut phases);

    // (b) Queues: page 1 of each department's queue as its head, then page 2 from its cursor.
    let limit = ("limit", "25".to_owned());
    let q1: Vec<(String, Vec<(&str, String)>)> = world
        .departments
        .iter()
        .zip(&head_tokens)
        .map(|(d, tok)| {
            (
                tok.clone(),
                vec![("department", d.id.to_string()), limit.clone()],
            )
        })
        .collect();
    let mut q2 = Vec::new();
    for (tok, q) in &q1 {
        let (v, _) = client::list(client, base, tok, q).await?;
        let cursor = v["next_cursor"]
            .as_str()
            .context("a department queue has no second page")?
            .to_owned();
        let mut q = q.clone();
        q.push(("cursor", cursor));
        q2.push((tok.clone(), q));
    }
    let (queue1, items1) =
        client::time_queries(client, base, &q1, WARMUP, args.queries, rng).await?;
    eprintln!(
        "queue page 1: p50 {:.1} ms p99 {:.1} ms",
        queue1.p50, queue1.p99
    );
    let (queue2, items2) =
        client::time_queries(client, base, &q2, WARMUP, args.queries, rng).await?;
    eprintln!(
        "queue page 2: p50 {:.1} ms p99 {:.1} ms",
        queue2.p50, queue2.p99
    );
    checkpoint(server, "queues", &mut phases);

    // Searches as the registry clerk, who sees every submitted case.
    let words: Vec<_> = data::SEARCH_WORDS
        .iter()
        .map(|w| {
            (
                registry.clone(),
                vec![("q", (*w).to_owned()), limit.clone()],
            )
        })
        .collect();
    let (search, items_s) =
        client::time_queries(client, base, &words, WARMUP, args.queries, rng).await?;
    eprintln!(
        "search, common word: p50 {:.1} ms p99 {:.1} ms",
        search.p50, search.p99
    );
    let refs: Vec<_> = stats
        .rare_references
        .iter()
        .map(|r| (registry.clone(), vec![("q", r.to_string()), limit.clone()]))
        .collect();
    let (rare, items_r) =
        client::time_queries(client, base, &refs, WARMUP, args.queries, rng).await?;
    eprintln!(
        "search, rare reference: p50 {:.1} ms p99 {:.1} ms",
        rare.p50, rare.p99
    );
    let tracks: Vec<_> = stats
        .tracking_numbers
        .iter()
        .map(|t| (registry.clone(), vec![("q", t.clone()), limit.clone()]))
        .collect();
    let (tracking, items_t) =
        client::time_queries(client, base, &tracks, WARMUP, args.queries, rng).await?;
    eprintln!(
        "search, tracking number: p50 {:.1} ms p99 {:.1} ms",
        tracking.p50, tracking.p99
    );
    checkpoint(server, "searches", &mut phases);
    if items1
        .iter()
        .chain(&items2)
        .chain(&items_s)
        .any(|n| *n == 0)
        || items_t.iter().any(|n| *n != 1)
    {
        bail!("a query found nothing where it should: queue {items1:?} / {items2:?}, words {items_s:?}, tracking {items_t:?}");
    }
    let items = json!({"queue_page_1": items1, "queue_page_2": items2, "search_common_word": items_s, "search_rare_reference": items_r, "search_tracking_number": items_t});
    Ok((
        filing, rounds, queue1, queue2, search, rare, tracking, items, phases,
    ))
}

async fn db_size(target: &Target, sqlite_path: &Path) -> Result<u64> {
    Ok(match &target.database_url {
        None => ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", sqlite_path.display())).ok())
            .map(|m| m.len())
            .sum(),
        Some(url) => {
            let mut c = PgConnection::connect(url).await?;
            let n: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(&mut c)
                .await?;
            u64::try_from(n).unwrap_or(0)
        }
    })
}

/// Cases in the database, and audit records of filings.
async fn check_counts(target: &Target, sqlite_path: &Path) -> Result<(i64, i64)> {
    let q1 = "SELECT count(*) FROM cases";
    let q2 = "SELECT count(*) FROM audit_log WHERE action = 'case.create'";
    Ok(match &target.database_url {
        None => {
            let mut c =
                SqliteConnection::connect(&format!("sqlite://{}", sqlite_path.display())).await?;
            (
                sqlx::query_scalar(q1).fetch_one(&mut c).await?,
                sqlx::query_scalar(q2).fetch_one(&mut c).await?,
            )
        }
        Some(url) => {
            let mut c = PgConnection::connect(url).await?;
            (
                sqlx::query_scalar(q1).fetch_one(&mut c).await?,
                sqlx::query_scalar(q2).fetch_one(&mut c).await?,
            )
        }
    })
}

fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short",
            "HEAD",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The median, least and greatest of the baseline runs before and after the
/// load, and how many there were.
fn spread(before: &[f64], after: &[f64]) -> (f64, f64, f64, usize) {
    let mut all: Vec<f64> = before.iter().chain(after).copied().collect();
    all.sort_by(f64::total_cmp);
    match (all.first(), all.last()) {
        (Some(&min), Some(&max)) => (median(&all), min, max, all.len()),
        _ => (0.0, 0.0, 0.0, 0),
    }
}
