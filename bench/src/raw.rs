//! The baseline: the database's own single-row insert rate, measured in the
//! same run on the same database. A scratch table shaped like `cases` (same
//! column types, a primary key and one secondary index) takes `n` rows, one
//! INSERT per statement, each its own transaction (autocommit), in sequence
//! on one connection, with the durability Diwan uses: on SQLite WAL with
//! `synchronous=NORMAL` (as `diwan-store-sqlite` opens it), on PostgreSQL
//! the server's defaults. The same can run on several connections at once
//! (`connections`), each inserting its share in sequence: with as many
//! connections as filing clients, PostgreSQL can share one WAL flush between
//! concurrent commits, as it does for concurrent filings.

use crate::data::CaseRow;
use anyhow::Result;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Executor, PgConnection, SqliteConnection};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TABLE: &str = "bench_raw_insert";

/// Where the baseline runs: the benchmark's own database.
pub struct Baseline {
    /// PostgreSQL's URL; SQLite's file otherwise.
    pub database_url: Option<String>,
    pub sqlite_path: std::path::PathBuf,
}

impl Baseline {
    /// Rows per second inserting `rows` on `connections` at once.
    pub async fn run(&self, rows: &[CaseRow], connections: usize) -> Result<f64> {
        match &self.database_url {
            None => sqlite(&self.sqlite_path, rows, connections).await,
            Some(url) => postgres(url, rows, connections).await,
        }
    }
}

/// The rows split into `n` runs, one per connection.
fn parts(rows: &[CaseRow], n: usize) -> Vec<Arc<Vec<CaseRow>>> {
    let n = n.max(1);
    let size = rows.len().div_ceil(n).max(1);
    rows.chunks(size).map(|c| Arc::new(c.to_vec())).collect()
}

/// Rows per second.
pub async fn sqlite(path: &Path, rows: &[CaseRow], connections: usize) -> Result<f64> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-16000")
        .pragma("temp_store", "memory");
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    conn.execute(format!("DROP TABLE IF EXISTS {TABLE}").as_str())
        .await?;
    conn.execute(
        format!(
            "CREATE TABLE {TABLE} (
                id BLOB PRIMARY KEY, case_type_id BLOB NOT NULL, tracking_number TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
                fields TEXT NOT NULL, filer_org_id BLOB NOT NULL, filer_user_id BLOB NOT NULL, holder_org_id BLOB, holder_since INTEGER,
                assignee_id BLOB, state TEXT NOT NULL, clock TEXT NOT NULL, due_date TEXT, paused_days_left INTEGER, overdue INTEGER NOT NULL DEFAULT 0,
                submitted_at INTEGER, closed_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, search_text TEXT NOT NULL);
             CREATE INDEX {TABLE}_holder_updated ON {TABLE}(holder_org_id, updated_at, id);"
        )
        .as_str(),
    )
    .await?;
    let sql = format!(
        "INSERT INTO {TABLE} (id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since,
           assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for part in parts(rows, connections) {
        let (opts, sql) = (opts.clone(), sql.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = if part.is_empty() {
                None
            } else {
                Some(SqliteConnection::connect_with(&opts).await?)
            };
            for r in part.iter() {
                let Some(conn) = conn.as_mut() else { break };
                sqlx::query(&sql)
                    .bind(r.id)
                    .bind(r.case_type_id)
                    .bind(&r.tracking_number)
                    .bind(&r.subject)
                    .bind(&r.body)
                    .bind(&r.fields)
                    .bind(r.filer_org_id)
                    .bind(r.filer_user_id)
                    .bind(r.holder_org_id)
                    .bind(r.holder_since.map(|t| t.timestamp_micros()))
                    .bind(r.assignee_id)
                    .bind(r.state)
                    .bind(r.clock)
                    .bind(r.due_date.map(|d| d.format("%Y-%m-%d").to_string()))
                    .bind(r.paused_days_left)
                    .bind(r.overdue)
                    .bind(r.submitted_at.map(|t| t.timestamp_micros()))
                    .bind(r.closed_at.map(|t| t.timestamp_micros()))
                    .bind(r.created_at.timestamp_micros())
                    .bind(r.updated_at.timestamp_micros())
                    .bind(&r.search_text)
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some(c) = conn {
                c.close().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = rows.len() as f64 / start.elapsed().as_secs_f64();
    conn.execute(format!("DROP TABLE {TABLE}").as_str()).await?;
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    conn.close().await?;
    Ok(rate)
}

/// Rows per second.
pub async fn postgres(url: &str, rows: &[CaseRow], connections: usize) -> Result<f64> {
    let mut conn = PgConnection::connect(url).await?;
    conn.execute(format!("DROP TABLE IF EXISTS {TABLE}").as_str())
        .await?;
    conn.execute(
        format!(
            "CREATE TABLE {TABLE} (
                id uuid PRIMARY KEY, case_type_id uuid NOT NULL, tracking_number text NOT NULL, subject text NOT NULL, body text NOT NULL,
                fields jsonb NOT NULL, filer_org_id uuid NOT NULL, filer_user_id uuid NOT NULL, holder_org_id uuid, holder_since timestamptz,
                assignee_id uuid, state text NOT NULL, clock text NOT NULL, due_date date, paused_days_left integer, overdue boolean NOT NULL DEFAULT false,
                submitted_at timestamptz, closed_at timestamptz, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, search_text text NOT NULL);
             CREATE INDEX {TABLE}_holder_updated ON {TABLE}(holder_org_id, updated_at, id);"
        )
        .as_str(),
    )
    .await?;
    let sql = format!(
        "INSERT INTO {TABLE} (id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since,
           assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for part in parts(rows, connections) {
        let (url, sql) = (url.to_owned(), sql.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = if part.is_empty() {
                None
            } else {
                Some(PgConnection::connect(&url).await?)
            };
            for r in part.iter() {
                let Some(conn) = conn.as_mut() else { break };
                sqlx::query(&sql)
                    .bind(r.id)
                    .bind(r.case_type_id)
                    .bind(&r.tracking_number)
                    .bind(&r.subject)
                    .bind(&r.body)
                    .bind(&r.fields)
                    .bind(r.filer_org_id)
                    .bind(r.filer_user_id)
                    .bind(r.holder_org_id)
                    .bind(r.holder_since)
                    .bind(r.assignee_id)
                    .bind(r.state)
                    .bind(r.clock)
                    .bind(r.due_date)
                    .bind(r.paused_days_left)
                    .bind(r.overdue)
                    .bind(r.submitted_at)
                    .bind(r.closed_at)
                    .bind(r.created_at)
                    .bind(r.updated_at)
                    .bind(&r.search_text)
                    .execute(&mut *conn)
                    .await?;
            }
            if let Some(c) = conn {
                c.close().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = rows.len() as f64 / start.elapsed().as_secs_f64();
    conn.execute(format!("DROP TABLE {TABLE}").as_str()).await?;
    conn.close().await?;
    Ok(rate)
}
