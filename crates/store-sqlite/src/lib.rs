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
mod inquiry;
mod message_templates;
mod messaging;
mod notifications;
mod organizations;
mod pending;
mod persons;
mod writer;

use async_trait::async_trait;
use diwan_store::{
    AuditRepo, Case, CaseRepo, Filing, NotificationRepo, PoolStats, ReadTx, Readiness, Result,
    Store, StoreError, Tx,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::ops::DerefMut;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
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
    /// Held by every copy of the store; the checkpointer stops when the
    /// last copy is gone.
    _alive: Arc<()>,
}

/// How often the WAL is folded back into the database file beside the
/// writer (which also does, between groups: see `writer`).
const CHECKPOINT_BESIDE_EVERY: Duration = Duration::from_millis(100);

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
            .pragma("cache_size", "-8000");
        // The writer does not checkpoint as it commits (SQLite's default,
        // every 1,000 pages, would stall the one writer while it copies and
        // syncs); a connection of its own copies the WAL beside it, and the
        // writer copies the little left between groups (see `writer`).
        let conn = SqliteConnection::connect_with(&opts.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(db)?;
        let checkpointer = SqliteConnection::connect_with(&opts).await.map_err(db)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            // Readers cannot write even by mistake.
            .connect_with(opts.read_only(true))
            .await
            .map_err(db)?;
        let alive = Arc::new(());
        tokio::spawn(checkpoints(checkpointer, Arc::downgrade(&alive)));
        Ok(SqliteStore {
            writer: writer::Writer::start(conn),
            reader,
            _alive: alive,
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

/// The longest SQL of held writes kept prepared on the connection. The
/// text of a trip of held writes follows the rows it carries, so a stream
/// of groups of every size (SMS replies, 256 at a time) would fill the
/// connection's cache of prepared statements with programs of thousands of
/// parameters: in the messaging benchmark, the server peaked at 194 MB
/// over a million replies with every trip kept prepared, and at 140 MB with
/// the long ones not (the replies also came in faster, 7,576/s against
/// 6,627/s). A filing's trip, its shape always the same, stays well under
/// it and prepared.
const KEPT_PREPARED_SQL: usize = 8 * 1024;

/// Whether a statement of this text is kept prepared (see
/// [`KEPT_PREPARED_SQL`]).
pub(crate) fn kept_prepared(sql: &str) -> bool {
    sql.len() <= KEPT_PREPARED_SQL
}

/// Folds the WAL back into the database file every [`CHECKPOINT_BESIDE_EVERY`],
/// without waiting for readers or the writer (a passive checkpoint copies
/// what no reader still needs), until the store is dropped.
async fn checkpoints(mut conn: SqliteConnection, alive: std::sync::Weak<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_BESIDE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            let _ = conn.close().await;
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}

/// The connection of a transaction: the writer's, on loan, or a reader's.
///
/// A reader's is taken from the pool at its first statement, so that a use
/// case whose reads all come from memory costs nothing, and it runs no
/// `BEGIN`: each statement reads the database as last committed when it
/// starts, which is what a read-only transaction at PostgreSQL's default
/// isolation (READ COMMITTED) gives too, and costs two trips less.
pub(crate) enum Conn {
    Write(writer::Lease),
    Read(sqlx::pool::PoolConnection<Sqlite>),
    Unopened(SqlitePool),
}

impl Conn {
    /// The connection, taking a reader's from the pool if need be.
    async fn get(&mut self) -> Result<&mut SqliteConnection> {
        if let Conn::Unopened(pool) = self {
            *self = Conn::Read(pool.acquire().await.map_err(db)?);
        }
        Ok(match self {
            Conn::Write(l) => &mut **l,
            Conn::Read(c) => &mut **c,
            Conn::Unopened(_) => unreachable!("opened just above"),
        })
    }
}

/// A transaction on SQLite, with the writes it holds back.
pub struct SqliteTx {
    pub(crate) tx: Conn,
    pub(crate) pending: Vec<Write>,
}

impl SqliteTx {
    /// A transaction on the writer's connection.
    pub(crate) fn on(lease: writer::Lease) -> SqliteTx {
        SqliteTx {
            tx: Conn::Write(lease),
            pending: Vec::new(),
        }
    }

    /// Ends a transaction the writer runs itself: its writes and the
    /// release of its savepoint go in one trip, and the connection goes back
    /// to the writer, who will tell the job whether the group committed.
    pub(crate) async fn release(mut self) -> Result<()> {
        let wrote = matches!(&self.tx, Conn::Write(l) if l.began()) || !self.pending.is_empty();
        if wrote {
            self.send(Some(writer::SAVEPOINT)).await?;
        }
        if let Conn::Write(lease) = self.tx {
            lease.give_back(if wrote {
                writer::Outcome::ReleasedHere
            } else {
                writer::Outcome::Abandoned
            });
        }
        Ok(())
    }

    /// The connection for a read: the writes held back go first.
    pub(crate) async fn read_conn(&mut self) -> Result<&mut SqliteConnection> {
        if !self.pending.is_empty() {
            self.send(None).await?;
        }
        self.tx.get().await
    }

    /// The connection for a write: the transaction is open and the writes
    /// held back have gone first.
    pub(crate) async fn conn(&mut self) -> Result<&mut SqliteConnection> {
        let unopened = matches!(&self.tx, Conn::Write(l) if !l.began());
        if unopened || !self.pending.is_empty() {
            self.send(None).await?;
        }
        self.tx.get().await
    }

    /// A query that opens the transaction if need be and sends the writes
    /// held back, to which the caller appends its own statement: one trip
    /// for all of it. The caller's statement must come last, as its result
    /// is the query's.
    pub(crate) fn batch(&mut self) -> QueryBuilder<'static, Sqlite> {
        let mut qb = QueryBuilder::new("");
        if let Conn::Write(l) = &mut self.tx {
            if let Some(prefix) = l.take_prefix() {
                qb.push(prefix);
            }
        }
        let writes = std::mem::take(&mut self.pending);
        pending::push_all(&mut qb, &writes);
        qb
    }

    /// Sends what [`SqliteTx::batch`] gathers, and `release` after it.
    async fn send(&mut self, release: Option<&str>) -> Result<()> {
        let mut qb = self.batch();
        if let Some(savepoint) = release {
            qb.push(format!("RELEASE {savepoint};"));
        }
        if qb.sql().is_empty() {
            return Ok(());
        }
        let kept = kept_prepared(qb.sql());
        qb.build()
            .persistent(kept)
            .execute(self.tx.get().await?)
            .await
            .map_err(db)?;
        Ok(())
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

    async fn file_case(&self, f: Filing) -> Result<Case> {
        let filed = Arc::new(std::sync::Mutex::new(None));
        let out = filed.clone();
        let job: writer::Job = Box::new(move |tx| {
            Box::pin(async move {
                let mut f = f;
                // The writer knows the sequence: no trip (see `writer`).
                let seq = tx.next_tracking_seq(&f.prefix, f.year).await?;
                let tracking = f.tracking_number(seq)?;
                f.name(&tracking);
                // The case first, then what refers to it; all held back and
                // sent in one trip with the release of the savepoint.
                tx.insert_case(&f.case).await?;
                for m in &f.messages {
                    tx.insert_message(m).await?;
                }
                for a in &f.attachments {
                    tx.insert_attachment(a).await?;
                }
                tx.insert_events(&f.events).await?;
                tx.append_audit(&f.audit).await?;
                tx.insert_notifications(&f.notifications).await?;
                *out.lock().unwrap_or_else(|e| e.into_inner()) = Some(f.case);
                Ok(())
            })
        });
        self.writer.run_job(job).await?;
        let case = filed.lock().unwrap_or_else(|e| e.into_inner()).take();
        case.ok_or_else(|| StoreError::Database("a filing committed without its case".into()))
    }

    async fn read(&self) -> Result<Box<dyn ReadTx>> {
        Ok(Box::new(SqliteTx {
            tx: Conn::Unopened(self.reader.clone()),
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
    async fn commit(mut self: Box<Self>) -> Result<()> {
        let wrote = matches!(&self.tx, Conn::Write(l) if l.began()) || !self.pending.is_empty();
        if wrote {
            // The held-back writes and the savepoint's release go in one
            // trip; if a write fails, the release does not run and the lease
            // goes back as abandoned, which rolls the savepoint back.
            self.send(Some(writer::SAVEPOINT)).await?;
        }
        let lease = match self.tx {
            Conn::Write(lease) => lease,
            // A reader's transaction is never handed out as a `Tx`.
            Conn::Read(_) | Conn::Unopened(_) => {
                return Err(StoreError::Unsupported("commit on a reader"))
            }
        };
        if !wrote {
            // Nothing to make durable: nothing was written.
            lease.give_back(writer::Outcome::Abandoned);
            return Ok(());
        }
        let (done, durable) = oneshot::channel();
        lease.give_back(writer::Outcome::Released(done));
        match durable.await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Database(
                "the database writer stopped before the commit".into(),
            )),
        }
    }
}
