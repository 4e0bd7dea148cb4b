//! Diwan on SQLite: the embedded default, in WAL mode.
//!
//! One connection writes and several read. The writing connection belongs
//! to a task ([`writer`]) that lends it to one transaction at a time and
//! commits the transactions waiting at the same moment together (group
//! commit), each in its own savepoint; readers see a consistent snapshot
//! thanks to WAL and are opened read-only.
//!
//! A transaction holds back the writes that answer nothing and sends them
//! as one multi-statement round trip ([`pending`]) before its next read or
//! with its commit: each statement costs a trip to SQLite's worker thread,
//! and a filing is many statements.
//!
//! The statements are kept by capability (`organizations`, `accounts`,
//! `cases`, `audit`, `notifications`), one repository trait each; `convert`
//! holds the conversions to and from SQLite's storage classes.
#![forbid(unsafe_code)]

mod accounts;
mod audit;
mod cases;
mod convert;
mod notifications;
mod organizations;
mod pending;
mod writer;

use async_trait::async_trait;
use diwan_store::{PoolStats, ReadTx, Readiness, Result, Store, StoreError, Tx};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::oneshot;

pub(crate) use convert::db;
pub(crate) use pending::Write;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    writer: writer::Writer,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(db)?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(opts, 4).await
    }

    /// Opens a database from an `sqlite:` URL.
    pub async fn connect(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .create_if_missing(true);
        Self::with_options(opts, 4).await
    }

    async fn with_options(opts: SqliteConnectOptions, readers: u32) -> Result<Self> {
        let opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-8000")
            .pragma("temp_store", "memory");
        let conn = SqliteConnection::connect_with(&opts).await.map_err(db)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            // Readers cannot write even by mistake.
            .connect_with(opts.read_only(true))
            .await
            .map_err(db)?;
        Ok(SqliteStore {
            writer: writer::Writer::start(conn),
            reader,
        })
    }

    /// The writing connection alone, outside any transaction, for tools
    /// (the benchmark) and migrations. Other writers wait until it is
    /// dropped.
    pub async fn exclusive(&self) -> Result<impl DerefMut<Target = SqliteConnection>> {
        self.writer.lease(writer::Kind::Exclusive).await
    }

    /// Closes the readers; the writer closes when the last copy of the
    /// store is dropped.
    pub async fn close(&self) {
        self.reader.close().await;
    }
}

/// The connection of a transaction: the writer's, on loan, or a reader's.
pub(crate) enum Conn {
    Write(writer::Lease),
    Read(sqlx::Transaction<'static, Sqlite>),
}

impl Deref for Conn {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Conn::Write(l) => l,
            Conn::Read(t) => t,
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Conn::Write(l) => l,
            Conn::Read(t) => t,
        }
    }
}

/// A transaction on SQLite, with the writes it holds back.
pub struct SqliteTx {
    pub(crate) tx: Conn,
    pub(crate) pending: Vec<Write>,
}

impl SqliteTx {
    /// The connection, once the writes held back have been sent.
    pub(crate) async fn conn(&mut self) -> Result<&mut SqliteConnection> {
        if !self.pending.is_empty() {
            let writes = std::mem::take(&mut self.pending);
            pending::send(&mut self.tx, &writes, None).await?;
        }
        Ok(&mut *self.tx)
    }

    /// Holds back a write until the next read or the commit.
    pub(crate) fn hold(&mut self, w: Write) {
        pending::push(&mut self.pending, w);
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        let lease = self.writer.lease(writer::Kind::Transaction).await?;
        Ok(Box::new(SqliteTx {
            tx: Conn::Write(lease),
            pending: Vec::new(),
        }))
    }

    async fn read(&self) -> Result<Box<dyn ReadTx>> {
        Ok(Box::new(SqliteTx {
            tx: Conn::Read(self.reader.begin().await.map_err(db)?),
            pending: Vec::new(),
        }))
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.writer.lease(writer::Kind::Exclusive).await?;
        MIGRATOR
            .run_direct(&mut *conn)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))
    }

    async fn ready(&self) -> Result<Readiness> {
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
                .fetch_all(&self.reader)
                .await
            {
                Ok(v) => v,
                Err(_) => {
                    let up = sqlx::query("SELECT 1").execute(&self.reader).await.is_ok();
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
        // The writer's one connection, and the readers'.
        PoolStats {
            size: 1 + self.reader.size(),
            idle: self.reader.num_idle() as u32,
        }
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        if to.exists() {
            return Err(StoreError::Conflict(format!(
                "{} exists already",
                to.display()
            )));
        }
        let target = to
            .to_str()
            .ok_or(StoreError::Unsupported("a backup path that is not UTF-8"))?;
        // VACUUM INTO reads one snapshot (a read transaction in WAL mode, so
        // writers go on meanwhile) and writes it out as a complete, compact
        // database file.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.reader)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

impl ReadTx for SqliteTx {}

#[async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        let SqliteTx { tx, pending } = *self;
        let mut lease = match tx {
            Conn::Write(lease) => lease,
            // A reader's transaction is never handed out as a `Tx`.
            Conn::Read(_) => return Err(StoreError::Unsupported("commit on a reader")),
        };
        // The held-back writes and the savepoint's release go in one trip;
        // if a write fails, the release does not run and the lease goes back
        // as abandoned, which rolls the savepoint back.
        pending::send(&mut lease, &pending, Some(writer::SAVEPOINT)).await?;
        let (done, durable) = oneshot::channel();
        lease.give_back(writer::Outcome::Released(done));
        match durable.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Database(e.into())),
            Err(_) => Err(StoreError::Database(
                "the database writer stopped before the commit".into(),
            )),
        }
    }
}
