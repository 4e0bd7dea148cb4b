//! The HTTP side: signing in, filing through POST /api/v1/cases, and timing
//! queue pages and searches through GET /api/v1/cases.

use crate::data::{self, World};
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn http() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()?)
}

/// Signs in over the API and returns the bearer token.
pub async fn sign_in(client: &reqwest::Client, base: &str, username: &str) -> Result<String> {
    let r = client
        .post(format!("{base}/api/v1/auth/sign-in"))
        .json(&json!({"username": username, "password": diwan_services::demo::DEMO_PASSWORD}))
        .send()
        .await?;
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("sign-in of {username} failed: {status} {body}");
    }
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("sign-in answer without a token")
}

/// Latency statistics of one kind of request, in milliseconds.
#[derive(Clone, Debug)]
pub struct Latency {
    pub count: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    pub fn of(mut samples: Vec<Duration>) -> Latency {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        let n = samples.len().max(1);
        // The nearest-rank percentile: the smallest sample with at least
        // `pct` per cent of the samples at or below it.
        let pick = |pct: usize| {
            samples
                .get((pct * n).div_ceil(100).clamp(1, n) - 1)
                .copied()
                .map(ms)
                .unwrap_or(0.0)
        };
        Latency {
            count: samples.len(),
            p50: pick(50),
            p99: pick(99),
            max: samples.last().copied().map(ms).unwrap_or(0.0),
            mean: samples.iter().map(|d| ms(*d)).sum::<f64>() / n as f64,
        }
    }
}

pub struct Filing {
    pub count: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub latency: Latency,
    /// Each filing's time, for pooling rounds.
    pub samples: Vec<Duration>,
}

impl Filing {
    /// Filings of `samples`, made in `seconds`.
    fn of(samples: Vec<Duration>, seconds: f64) -> Filing {
        Filing {
            count: samples.len(),
            seconds,
            per_second: samples.len() as f64 / seconds,
            latency: Latency::of(samples.clone()),
            samples,
        }
    }

    /// The rounds of a filing as one: their filings over their time.
    pub fn pooled(rounds: &[Filing]) -> Filing {
        let samples = rounds
            .iter()
            .flat_map(|r| r.samples.iter().copied())
            .collect();
        Filing::of(samples, rounds.iter().map(|r| r.seconds).sum())
    }
}

/// Files `n` requests with `concurrency` clients, each request as a random
/// clerk of a random municipality, submitted at once.
pub async fn file_cases(
    client: &reqwest::Client,
    base: &str,
    world: &World,
    tokens: &[String],
    n: usize,
    concurrency: usize,
    seed: u64,
) -> Result<Filing> {
    let next = Arc::new(AtomicUsize::new(0));
    let world = Arc::new(world.clone());
    let tokens: Arc<Vec<String>> = Arc::new(tokens.to_vec());
    let weights = rand::distributions::WeightedIndex::new(data::TYPE_WEIGHTS).expect("weights");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency.max(1) {
        let (client, base, next, world, tokens, weights) = (
            client.clone(),
            base.to_owned(),
            next.clone(),
            world.clone(),
            tokens.clone(),
            weights.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed ^ ((w as u64 + 1) * 0x9e37_79b9));
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let m = rng.gen_range(0..world.municipalities.len());
                let kind = rand::distributions::Distribution::sample(&weights, &mut rng);
                let today = chrono::Utc::now().date_naive();
                let (subject, body, _) = data::letter(&mut rng, kind, &world.municipalities[m].name_ar, today);
                let req = json!({"case_type_id": world.kinds[kind].id, "subject": subject, "body": body, "submit": true});
                let t = Instant::now();
                let r = client.post(format!("{base}/api/v1/cases")).bearer_auth(&tokens[m]).json(&req).send().await?;
                let status = r.status();
                if status != reqwest::StatusCode::CREATED {
                    let text = r.text().await.unwrap_or_default();
                    bail!("filing failed: {status} {text}");
                }
                let _ = r.bytes().await?;
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Filing::of(all, start.elapsed().as_secs_f64()))
}

/// One GET /api/v1/cases; returns the answer and how long it took.
pub async fn list(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &[(&str, String)],
) -> Result<(Value, Duration)> {
    let t = Instant::now();
    let r = client
        .get(format!("{base}/api/v1/cases"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await?;
    let status = r.status();
    let bytes = r.bytes().await?;
    let took = t.elapsed();
    if !status.is_success() {
        bail!(
            "GET /api/v1/cases {query:?} failed: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    Ok((serde_json::from_slice(&bytes)?, took))
}

/// Runs `warmup` then `n` requests in sequence, cycling through `queries`
/// (each with its own token), and returns the latencies of the measured ones
/// and the number of items the last answer of each query held.
pub async fn time_queries(
    client: &reqwest::Client,
    base: &str,
    queries: &[(String, Vec<(&str, String)>)],
    warmup: usize,
    n: usize,
    rng: &mut StdRng,
) -> Result<(Latency, Vec<usize>)> {
    // How many items each query found; a query the run did not reach has
    // nothing to say (with fewer runs than queries, only the first `n` run).
    let mut items: Vec<Option<usize>> = vec![None; queries.len()];
    for i in 0..warmup {
        let (tok, q) = &queries[i % queries.len()];
        list(client, base, tok, q).await?;
    }
    let mut order: Vec<usize> = (0..n).map(|i| i % queries.len()).collect();
    order.shuffle(rng);
    let mut lat = Vec::with_capacity(n);
    for i in order {
        let (tok, q) = &queries[i];
        let (v, d) = list(client, base, tok, q).await?;
        items[i] = Some(v["items"].as_array().map_or(0, Vec::len));
        lat.push(d);
    }
    Ok((Latency::of(lat), items.into_iter().flatten().collect()))
}
