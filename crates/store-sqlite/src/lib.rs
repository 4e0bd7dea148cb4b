//! Diwan on SQLite: the embedded default, in WAL mode.
//!
//! One connection writes and several read. Every write transaction goes
//! through the single writer, so transactions never race each other for the
//! database lock; readers see a consistent snapshot thanks to WAL.
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

use async_trait::async_trait;
use diwan_store::{PoolStats, Readiness, Result, Store, StoreError, Tx};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub(crate) use convert::db;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
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
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await
            .map_err(db)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            // Readers cannot write even by mistake.
            .connect_with(opts.read_only(true))
            .await
            .map_err(db)?;
        Ok(SqliteStore { writer, reader })
    }

    /// The writer pool, for tools (the benchmark) that load data in bulk.
    pub fn writer_pool(&self) -> &SqlitePool {
        &self.writer
    }
}

/// A transaction on SQLite.
pub struct SqliteTx {
    pub(crate) tx: sqlx::Transaction<'static, Sqlite>,
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            tx: self.writer.begin().await.map_err(db)?,
        }))
    }

    async fn read(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            tx: self.reader.begin().await.map_err(db)?,
        }))
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.writer)
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
        PoolStats {
            size: self.writer.size() + self.reader.size(),
            idle: (self.writer.num_idle() + self.reader.num_idle()) as u32,
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

#[async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> Result<()> {
        self.tx.commit().await.map_err(db)
    }
}
