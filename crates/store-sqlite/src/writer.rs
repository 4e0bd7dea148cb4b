//! The single writer of an SQLite database, with group commit.
//!
//! SQLite lets one connection write at a time, so Diwan keeps exactly one
//! writing connection and a task that owns it. A use case that writes asks
//! the task for the connection and gets it on loan ([`Lease`]) for the
//! length of its transaction. The task does not commit each loan on its
//! own: it opens one database transaction, lends the connection to every
//! use case that is waiting at that moment, one after the other, each
//! inside its own savepoint, and commits them all together. A use case that
//! fails rolls back to its savepoint, so only its own work is undone; one
//! that succeeds releases its savepoint and is told it is durable once the
//! whole group has committed. Under load many transactions share one
//! commit (and the WAL pages they touch are written once); when only one
//! waits, the group is that one transaction and nothing waits longer than
//! before.
//!
//! Each trip to SQLite's worker thread is a handful of thread wake-ups, and
//! with one writer they add up on its critical path. So neither the group's
//! `BEGIN IMMEDIATE` nor a transaction's `SAVEPOINT` is a trip of its own:
//! the loan carries them as a prefix that the transaction sends with its
//! first write ([`Lease::take_prefix`]). A transaction that only read never
//! sends it, and needs no savepoint rolled back.
//!
//! The writer also remembers the tracking-number sequences ([`Sequences`]):
//! with one writing connection in one process (`diwan serve` locks its data
//! directory), the next number is the last one plus one, and taking it
//! needs no trip; the new value is written with the transaction's other
//! writes. A transaction rolled back gives its numbers back, and a group
//! that fails to commit makes the writer forget them all and read them
//! again. Should another writer ever move a sequence behind its back, the
//! unique tracking number refuses the duplicate filing.
//!
//! A connection of its own checkpoints the WAL beside the writer, but it
//! never catches up with a busy writer: the WAL then only grows (more than
//! a gigabyte in a minute of filing), and every frame lands on a new page
//! of the file, which costs the writer more than the frame itself. So the
//! writer checkpoints too, between groups ([`checkpoint`]): it copies only
//! what the other has not yet, nothing writes meanwhile, so the checkpoint
//! reaches the end of the WAL, and the next group writes the WAL again
//! from its start, over pages the operating system already holds.

use diwan_store::{Result, StoreError};
use sqlx::{Executor, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The name of the savepoint around each transaction of a group.
pub(crate) const SAVEPOINT: &str = "diwan_tx";

/// At most this many transactions share a commit…
const MAX_GROUP: usize = 64;
/// … and a group takes no new transactions after this long, so that the
/// first of a busy group does not wait for long.
const MAX_GROUP_TIME: Duration = Duration::from_millis(10);
/// How long a use case waits for the connection before giving up.
const LEASE_TIMEOUT: Duration = Duration::from_secs(30);
/// While groups commit, the WAL is checkpointed at most this often, after
/// a group's answers are sent …
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// … and once the writer has had nothing to do for this long.
const CHECKPOINT_WHEN_IDLE: Duration = Duration::from_millis(250);

/// What a loan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A transaction of a use case, inside the group's database transaction.
    Transaction,
    /// The bare connection, outside any transaction (migrations, tools).
    Exclusive,
}

/// A transaction the writer runs itself: writes decided in full.
pub(crate) type Job = Box<
    dyn for<'a> FnOnce(
            &'a mut crate::SqliteTx,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>,
        > + Send,
>;

/// Where a transaction is told whether its group committed.
pub(crate) type Done = oneshot::Sender<Result<()>>;

/// How a transaction ended, as its holder reports it with the connection.
pub(crate) enum Outcome {
    /// The holder released its savepoint: its work belongs to the group.
    /// It is told through the sender whether the group committed.
    Released(Done),
    /// A job the writer runs itself released its savepoint; the writer
    /// holds its sender.
    ReleasedHere,
    /// Anything else (an error, a dropped transaction): its work, if it
    /// wrote, is rolled back to its savepoint.
    Abandoned,
}

struct Returned {
    conn: SqliteConnection,
    outcome: Outcome,
    /// The holder sent its prefix: the group's transaction and its own
    /// savepoint were opened.
    began: bool,
    /// How to give back the sequence numbers it took.
    undo: Vec<(SeqKey, Option<u64>)>,
}

/// A tracking-number sequence: prefix and year.
pub(crate) type SeqKey = (String, i32);

/// The last number of each sequence as the writer's current transaction
/// has it (committed, or taken by a transaction of the group).
pub(crate) type Sequences =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<SeqKey, u64>>>;

enum Request {
    /// The connection, on loan to the asking task.
    Lease {
        kind: Kind,
        reply: oneshot::Sender<std::result::Result<Lease, String>>,
    },
    /// A transaction the writer runs itself.
    Job { job: Job, done: Done },
}

impl Request {
    fn is_exclusive(&self) -> bool {
        matches!(
            self,
            Request::Lease {
                kind: Kind::Exclusive,
                ..
            }
        )
    }
}

/// The writing connection, on loan. It goes back to the writer task when
/// [`Lease::give_back`] is called or when the lease is dropped (as
/// abandoned: its work is rolled back).
pub(crate) struct Lease {
    conn: Option<SqliteConnection>,
    back: Option<oneshot::Sender<Returned>>,
    /// What the first write sends before itself: `SAVEPOINT`, preceded by
    /// `BEGIN IMMEDIATE` for the group's first writer. Empty for an
    /// exclusive loan.
    prefix: &'static str,
    began: bool,
    seqs: Sequences,
    undo: Vec<(SeqKey, Option<u64>)>,
}

impl Lease {
    /// The next number of a sequence the writer knows, taken without a
    /// trip; `None` when it must be read.
    pub(crate) fn next_seq(&mut self, prefix: &str, year: i32) -> Option<u64> {
        let key = (prefix.to_owned(), year);
        let mut seqs = self.seqs.lock().unwrap_or_else(|e| e.into_inner());
        let last = *seqs.get(&key)?;
        seqs.insert(key.clone(), last + 1);
        self.undo.push((key, Some(last)));
        Some(last + 1)
    }

    /// Remembers the number a trip to the database just took.
    pub(crate) fn learn_seq(&mut self, prefix: &str, year: i32, n: u64) {
        let key = (prefix.to_owned(), year);
        let mut seqs = self.seqs.lock().unwrap_or_else(|e| e.into_inner());
        let before = seqs.insert(key.clone(), n);
        self.undo.push((key, before));
    }

    /// The statements to send before the first write, once; `None` after.
    pub(crate) fn take_prefix(&mut self) -> Option<&'static str> {
        if self.began || self.prefix.is_empty() {
            return None;
        }
        // Counted as begun once sent, even if sending fails: the writer then
        // finds no savepoint to roll back and gives the group up, which is
        // the safe way to be wrong.
        self.began = true;
        Some(self.prefix)
    }

    /// Whether the first write has gone.
    pub(crate) fn began(&self) -> bool {
        self.began
    }

    pub(crate) fn give_back(mut self, outcome: Outcome) {
        self.send_back(outcome);
    }

    fn send_back(&mut self, outcome: Outcome) {
        if let (Some(conn), Some(back)) = (self.conn.take(), self.back.take()) {
            let _ = back.send(Returned {
                conn,
                outcome,
                began: self.began,
                undo: std::mem::take(&mut self.undo),
            });
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.send_back(Outcome::Abandoned);
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        // The connection is only taken out by `give_back` and `drop`,
        // which consume the lease.
        self.conn.as_ref().expect("a lease holds its connection")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("a lease holds its connection")
    }
}

/// The handle to the writer task; cloning it is cheap. The task ends, and
/// the connection closes, when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Writer {
    requests: mpsc::UnboundedSender<Request>,
}

impl Writer {
    /// Starts the writer task that owns `conn`.
    pub(crate) fn start(conn: SqliteConnection) -> Writer {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(conn, rx, Sequences::default()));
        Writer { requests: tx }
    }

    /// Waits for the connection. For a [`Kind::Transaction`] it comes with
    /// the prefix that opens its savepoint in the group's transaction.
    pub(crate) async fn lease(&self, kind: Kind) -> Result<Lease> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Lease { kind, reply })
            .map_err(|_| closed())?;
        match tokio::time::timeout(LEASE_TIMEOUT, answer).await {
            Ok(Ok(Ok(lease))) => Ok(lease),
            Ok(Ok(Err(e))) => Err(StoreError::Database(e.into())),
            Ok(Err(_)) => Err(closed()),
            Err(_) => Err(StoreError::Database(
                "the database writer was busy for too long".into(),
            )),
        }
    }
}

impl Writer {
    /// Runs `job` on the writer, in the group of transactions waiting at
    /// that moment, and waits until the group has committed.
    pub(crate) async fn run_job(&self, job: Job) -> Result<()> {
        let (done, answer) = oneshot::channel();
        self.requests
            .send(Request::Job { job, done })
            .map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

fn closed() -> StoreError {
    StoreError::Database("the database writer has stopped".into())
}

/// The prefix of the group's first writer and of every later one.
const FIRST: &str = "BEGIN IMMEDIATE; SAVEPOINT diwan_tx;";
const LATER: &str = "SAVEPOINT diwan_tx;";

/// Lends `conn` to whoever sent `reply` and waits for it to come back.
/// `None` when it never does (the holder vanished without dropping it,
/// which only a leak can do): the writer cannot go on without it.
async fn lend(
    conn: SqliteConnection,
    reply: oneshot::Sender<std::result::Result<Lease, String>>,
    prefix: &'static str,
    seqs: &Sequences,
) -> Option<Returned> {
    let (back, returned) = oneshot::channel();
    let lease = Lease {
        conn: Some(conn),
        back: Some(back),
        prefix,
        began: false,
        seqs: seqs.clone(),
        undo: Vec::new(),
    };
    // When the requester has given up waiting, the lease is dropped here
    // and comes straight back as abandoned.
    let _ = reply.send(Ok(lease));
    returned.await.ok()
}

/// Runs a job on `conn` in this task, as a transaction of the group, and
/// takes the connection back: no other task is woken for it. The job's
/// sender goes into `committed` when it wrote; otherwise it is answered at
/// once.
async fn run_here(
    conn: SqliteConnection,
    job: Job,
    done: Done,
    prefix: &'static str,
    seqs: &Sequences,
    committed: &mut Vec<Done>,
) -> Option<Returned> {
    let (back, returned) = oneshot::channel();
    let lease = Lease {
        conn: Some(conn),
        back: Some(back),
        prefix,
        began: false,
        seqs: seqs.clone(),
        undo: Vec::new(),
    };
    let mut tx = crate::SqliteTx::on(lease);
    // A job that panics must not take the writer down with it: it is
    // rolled back like one that failed.
    let r = match futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(job(&mut tx))).await
    {
        Ok(r) => r,
        Err(_) => Err(StoreError::Database("a write job panicked".into())),
    };
    // The connection comes back when the transaction ends: released, or
    // dropped (which rolls its savepoint back).
    let r = match r {
        Ok(()) => tx.release().await,
        Err(e) => {
            drop(tx);
            Err(e)
        }
    };
    let back = returned.await.ok()?;
    match (r, &back.outcome) {
        (Ok(()), Outcome::ReleasedHere) if back.began => committed.push(done),
        (Ok(()), _) => {
            let _ = done.send(Ok(()));
        }
        (Err(e), _) => {
            let _ = done.send(Err(e));
        }
    }
    Some(back)
}

/// Gives back the numbers a rolled-back transaction took.
fn undo(seqs: &Sequences, undo: Vec<(SeqKey, Option<u64>)>) {
    let mut s = seqs.lock().unwrap_or_else(|e| e.into_inner());
    for (key, before) in undo.into_iter().rev() {
        match before {
            Some(v) => s.insert(key, v),
            None => s.remove(&key),
        };
    }
}

async fn run(
    mut conn: SqliteConnection,
    mut requests: mpsc::UnboundedReceiver<Request>,
    seqs: Sequences,
) {
    let mut carried: Option<Request> = None;
    // Whether the database has what the group's end needs (the search
    // index's mark): known once migrations have run.
    let mut indexed = false;
    // Whether groups committed since the last checkpoint, and when that was.
    let mut unfolded = false;
    let mut folded_at = Instant::now();
    loop {
        let first = match carried.take() {
            Some(r) => r,
            None if unfolded => {
                match tokio::time::timeout(CHECKPOINT_WHEN_IDLE, requests.recv()).await {
                    Ok(Some(r)) => r,
                    Ok(None) => return,
                    Err(_) => {
                        checkpoint(&mut conn).await;
                        (unfolded, folded_at) = (false, Instant::now());
                        continue;
                    }
                }
            }
            None => match requests.recv().await {
                Some(r) => r,
                None => return,
            },
        };
        if let Request::Lease {
            kind: Kind::Exclusive,
            reply,
        } = first
        {
            match lend(conn, reply, "", &seqs).await {
                Some(r) => conn = r.conn,
                None => return,
            }
            // An exclusive loan may have migrated the database.
            indexed = false;
            continue;
        }
        if !indexed {
            indexed = sqlx::query_scalar::<_, i64>(crate::cases::HAS_INDEX_MARK)
                .fetch_one(&mut conn)
                .await
                .is_ok_and(|n| n > 0);
        }
        let started = Instant::now();
        // Whether the group's transaction is open: its first writer opens it.
        let mut open = false;
        let mut committed: Vec<Done> = Vec::new();
        let mut broken: Option<String> = None;
        let mut next = Some(first);
        while let Some(r) = next.take() {
            let prefix = if open { LATER } else { FIRST };
            let back = match r {
                Request::Lease { reply, .. } => lend(conn, reply, prefix, &seqs).await,
                Request::Job { job, done } => {
                    run_here(conn, job, done, prefix, &seqs, &mut committed).await
                }
            };
            let Some(back) = back else {
                return;
            };
            conn = back.conn;
            open |= back.began;
            match back.outcome {
                Outcome::Released(done) => committed.push(done),
                Outcome::ReleasedHere => {}
                Outcome::Abandoned if back.began => {
                    undo(&seqs, back.undo);
                    let undo = format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}");
                    if let Err(e) = conn.execute(undo.as_str()).await {
                        // SQLite ends the whole transaction on some errors
                        // (a full disk, an I/O error); the group's work is
                        // gone with it.
                        broken = Some(e.to_string());
                        break;
                    }
                }
                Outcome::Abandoned => undo(&seqs, back.undo),
            }
            if committed.len() >= MAX_GROUP || started.elapsed() >= MAX_GROUP_TIME {
                break;
            }
            match requests.try_recv() {
                Ok(r) if !r.is_exclusive() => next = Some(r),
                Ok(r) => carried = Some(r),
                Err(_) => {}
            }
        }
        let outcome = match (broken, open) {
            (Some(e), _) => Err(e),
            (None, false) => Ok(()),
            (None, true) => {
                // The group's end and its commit, in one trip.
                let end = if indexed {
                    format!("{} COMMIT;", crate::cases::INDEX_NEW_CASES)
                } else {
                    "COMMIT;".to_owned()
                };
                conn.execute(end.as_str())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        if outcome.is_err() {
            // Whatever is left of the transaction goes; an error here only
            // says there was nothing left.
            let _ = conn.execute("ROLLBACK").await;
            // So do the numbers the group took: they are read again.
            seqs.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        // How many transactions shared the commit, for `/metrics`.
        metrics::histogram!("diwan_sqlite_group_commit_size").record(committed.len() as f64);
        for done in committed {
            let _ = done.send(outcome.clone().map_err(|e| StoreError::Database(e.into())));
        }
        unfolded |= open;
        if unfolded && folded_at.elapsed() >= CHECKPOINT_EVERY {
            checkpoint(&mut conn).await;
            (unfolded, folded_at) = (false, Instant::now());
        }
    }
}

/// Copies what the WAL holds into the database file, without waiting for
/// readers (a page a reader may still need from the WAL stays there until
/// a later checkpoint), and counts the WAL frames left behind in
/// `/metrics`. It does not wait for the checkpoint beside it either.
async fn checkpoint(conn: &mut SqliteConnection) {
    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await
    {
        Ok((0, log, done)) => {
            metrics::gauge!("diwan_sqlite_wal_frames_behind").set((log - done).max(0) as f64);
        }
        // The other checkpoint was running: it copies the same pages.
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::Connection;

    /// Transactions that follow each other without a pause for longer than
    /// many checkpoint periods: the writer's own checkpoints let the WAL
    /// start again from its beginning, so its file stops growing once it
    /// holds a few periods of writes, instead of holding all of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_never_pauses_keeps_the_wal_short() {
        let dir = std::env::temp_dir().join(format!("diwan-wal-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let path = dir.join("wal.db");
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("wal_autocheckpoint", "0");
        let mut conn = SqliteConnection::connect_with(&opts).await.expect("open");
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .await
            .expect("a table");
        let writer = Writer::start(conn);
        let wal_size = || {
            std::fs::metadata(dir.join("wal.db-wal"))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        let start = Instant::now();
        let mut written = 0u64;
        while start.elapsed() < CHECKPOINT_EVERY * 30 {
            written += 1;
            let mut lease = writer.lease(Kind::Transaction).await.expect("a lease");
            let prefix = lease.take_prefix().expect("the prefix");
            let sql = format!(
                "{prefix} INSERT INTO t (v) VALUES (randomblob(3000)); RELEASE {SAVEPOINT};"
            );
            lease.execute(sql.as_str()).await.expect("a write");
            let (done, durable) = oneshot::channel();
            lease.give_back(Outcome::Released(done));
            durable.await.expect("an answer").expect("a commit");
        }
        let end = wal_size();
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
        // Each transaction writes at least the page of its row (3,000 bytes
        // on a page of 4,096, a frame of 4,120 with its header): a WAL that
        // held every write would be at least that many frames. Kept short,
        // it holds a few checkpoint periods of the thirty the run lasts
        // (some 11 % of the writes on an idle machine; a run on a busy one
        // left a file more than twice as large, as it keeps its largest
        // size and a checkpoint that comes late counts); the bound is half,
        // which a WAL never started again from its beginning cannot meet,
        // whatever the machine's speed.
        let all = written * 4120;
        assert!(end > 0, "nothing reached the WAL");
        assert!(
            end < all / 2,
            "the WAL holds {end} bytes of the {all} at least that {written} transactions wrote"
        );
    }
}
