#![forbid(unsafe_code)]
//! Diwan on PostgreSQL: the backend for installations with several nodes.
//!
//! Several Diwan nodes may share one database, so this backend cannot rely on
//! a single writer the way the SQLite backend does. Instead it locks what it
//! changes: a case read for a change is locked with `FOR UPDATE` until the
//! transaction ends, tracking numbers come from an upsert that serializes on
//! its row, and the overdue sweep claims its cases with `FOR UPDATE SKIP
//! LOCKED` so that sweeps on several nodes never return the same case.
//!
//! Every query is plain SQL run through sqlx; the schema lives in
//! `migrations/` and is embedded in the binary. The statements are kept by
//! capability (`organizations`, `accounts`, `cases`, `audit`,
//! `notifications`), one repository trait each.
//!
//! Parameters that appear only in `IS NULL` tests or as bare booleans carry
//! an explicit cast (`$2::uuid`, `$2::boolean`), so that the statement's
//! parameter types never depend on what PostgreSQL can infer from context.
//! Lists are ordered with COLLATE "C" so that they come out in code-point
//! order, as SQLite's BINARY collation sorts them, whatever locale the
//! database was created with.

mod accounts;
mod audit;
mod cases;
mod convert;
mod inquiry;
mod message_templates;
mod messaging;
mod notifications;
mod organizations;
mod pending;
mod persons;

use async_trait::async_trait;
use diwan_store::{PoolStats, ReadTx, Readiness, Result, Store, StoreError, Tx};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

pub(crate) use convert::db;
pub(crate) use pending::Write;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connections per node. A few nodes of 16 stay well under PostgreSQL's
/// default limit of 100 connections.
const MAX_CONNECTIONS: u32 = 16;

/// Connections per node for reading.
const MAX_READ_CONNECTIONS: u32 = 8;

/// How long a connection waits in a pool before it is tested again.
pub(crate) const TEST_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Connections whose every transaction is read-only
    /// (`default_transaction_read_only`), for read use cases: a read needs
    /// no `BEGIN READ ONLY` of its own.
    readers: PgPool,
    /// The node's filer (see `cases::Filer`).
    filer: cases::Filer,
}

impl PostgresStore {
    /// Connects to the database at a `postgres://` URL.
    pub async fn connect(url: &str) -> Result<Self> {
        // Diwan's statements are short and many: compiling a plan to machine
        // code costs more than it saves on any of them.
        let opts = PgConnectOptions::from_str(url)
            .map_err(db)?
            .options([("jit", "off")]);
        let pool = pool_options(MAX_CONNECTIONS)
            .connect_with(opts.clone())
            .await
            .map_err(db)?;
        let readers = pool_options(MAX_READ_CONNECTIONS)
            .connect_lazy_with(opts.options([("default_transaction_read_only", "on")]));
        let filer = cases::Filer::start(pool.clone());
        Ok(PostgresStore {
            pool,
            readers,
            filer,
        })
    }

    /// The pool, for tools (the benchmark, tests) that work on the database
    /// directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection, the readers' too.
    pub async fn close(&self) {
        self.filer.close().await;
        self.pool.close().await;
        self.readers.close().await;
    }
}

/// A pool of at most `max` connections. A connection that has waited in
/// the pool for a while is tested before it is handed out (one that broke,
/// as when the server restarted, is replaced); one that was in use a moment
/// ago is not, which spares every request a round trip.
fn pool_options(max: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > TEST_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// A transaction on PostgreSQL, with the writes it holds back; or a
/// read-only one, a connection of the readers' pool taken at its first
/// statement (so that a use case whose reads all come from memory costs no
/// round trip), each of whose statements is a read-only transaction of its
/// own, as READ COMMITTED would have it anyway.
pub struct PostgresTx {
    tx: Option<sqlx::Transaction<'static, Postgres>>,
    reader: Option<sqlx::pool::PoolConnection<Postgres>>,
    /// Where a reader's connection not taken yet will come from.
    pool: Option<PgPool>,
    /// Whether the transaction was opened `READ ONLY`. PostgreSQL refuses
    /// `SELECT … FOR UPDATE` there, and a transaction that cannot write has no
    /// use for row locks, so reads skip the lock.
    pub(crate) read_only: bool,
    pub(crate) pending: Vec<Write>,
}

impl PostgresTx {
    /// The connection, once the writes held back have been sent.
    pub(crate) async fn conn(&mut self) -> Result<&mut PgConnection> {
        if !self.pending.is_empty() {
            let writes = std::mem::take(&mut self.pending);
            pending::send(self.open().await?, &writes).await?;
        }
        self.open().await
    }

    async fn open(&mut self) -> Result<&mut PgConnection> {
        if let Some(t) = self.tx.as_mut() {
            return Ok(&mut **t);
        }
        if self.reader.is_none() {
            let pool = self
                .pool
                .as_ref()
                .ok_or(StoreError::Unsupported("a transaction without a pool"))?;
            self.reader = Some(pool.acquire().await.map_err(db)?);
        }
        match self.reader.as_mut() {
            Some(c) => Ok(&mut **c),
            None => Err(StoreError::Unsupported("a reader that did not open")),
        }
    }

    /// Holds back a write until the next read or the commit.
    pub(crate) fn hold(&mut self, w: Write) {
        pending::push(&mut self.pending, w);
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PostgresTx {
            tx: Some(self.pool.begin().await.map_err(db)?),
            reader: None,
            pool: None,
            read_only: false,
            pending: Vec::new(),
        }))
    }

    async fn file_case(&self, f: diwan_store::Filing) -> Result<diwan_store::Case> {
        self.filer.file(f).await
    }

    async fn read(&self) -> Result<Box<dyn ReadTx>> {
        Ok(Box::new(PostgresTx {
            tx: None,
            reader: None,
            pool: Some(self.readers.clone()),
            read_only: true,
            pending: Vec::new(),
        }))
    }

    async fn migrate(&self) -> Result<()> {
        // sqlx takes an advisory lock around the run, so nodes starting
        // together apply each migration once.
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))
    }

    async fn ready(&self) -> Result<Readiness> {
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await
            {
                Ok(v) => v,
                Err(_) => {
                    // Either the database is down or it has never been
                    // migrated; SELECT 1 tells the two apart.
                    let up = sqlx::query("SELECT 1").execute(&self.pool).await.is_ok();
                    return Ok(Readiness {
                        database: up,
                        migrations_current: false,
                    });
                }
            };
        let current = MIGRATOR.iter().all(|m| applied.contains(&m.version));
        Ok(Readiness {
            database: true,
            migrations_current: current,
        })
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size() + self.readers.size(),
            idle: (self.pool.num_idle() + self.readers.num_idle()) as u32,
        }
    }

    async fn backup(&self, _to: &std::path::Path) -> Result<()> {
        Err(diwan_store::StoreError::Unsupported(
            "a PostgreSQL database is backed up with pg_dump or pg_basebackup",
        ))
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

impl ReadTx for PostgresTx {}

#[async_trait]
impl Tx for PostgresTx {
    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn().await?;
        match self.tx.take() {
            Some(t) => t.commit().await.map_err(db),
            None => Ok(()),
        }
    }
}
