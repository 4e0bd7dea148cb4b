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

/// What a loan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A transaction of a use case, inside the group's database transaction.
    Transaction,
    /// The bare connection, outside any transaction (migrations, tools).
    Exclusive,
}

/// How a transaction ended, as its holder reports it with the connection.
pub(crate) enum Outcome {
    /// The holder released its savepoint: its work belongs to the group.
    /// It is told through the sender whether the group committed.
    Released(oneshot::Sender<std::result::Result<(), String>>),
    /// Anything else (an error, a dropped transaction): its work is rolled
    /// back to its savepoint.
    Abandoned,
}

struct Returned {
    conn: SqliteConnection,
    outcome: Outcome,
}

struct Request {
    kind: Kind,
    reply: oneshot::Sender<std::result::Result<Lease, String>>,
}

/// The writing connection, on loan. It goes back to the writer task when
/// [`Lease::give_back`] is called or when the lease is dropped (as
/// abandoned: its work is rolled back).
pub(crate) struct Lease {
    conn: Option<SqliteConnection>,
    back: Option<oneshot::Sender<Returned>>,
}

impl Lease {
    pub(crate) fn give_back(mut self, outcome: Outcome) {
        if let (Some(conn), Some(back)) = (self.conn.take(), self.back.take()) {
            let _ = back.send(Returned { conn, outcome });
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(conn), Some(back)) = (self.conn.take(), self.back.take()) {
            let _ = back.send(Returned {
                conn,
                outcome: Outcome::Abandoned,
            });
        }
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
        tokio::spawn(run(conn, rx));
        Writer { requests: tx }
    }

    /// Waits for the connection. For a [`Kind::Transaction`] it comes inside
    /// a fresh savepoint of the group's transaction.
    pub(crate) async fn lease(&self, kind: Kind) -> Result<Lease> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { kind, reply })
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

fn closed() -> StoreError {
    StoreError::Database("the database writer has stopped".into())
}

/// Lends `conn` to whoever sent `reply` and waits for it to come back.
/// `None` when it never does (the holder vanished without dropping it,
/// which only a leak can do): the writer cannot go on without it.
async fn lend(
    conn: SqliteConnection,
    reply: oneshot::Sender<std::result::Result<Lease, String>>,
) -> Option<Returned> {
    let (back, returned) = oneshot::channel();
    let lease = Lease {
        conn: Some(conn),
        back: Some(back),
    };
    // When the requester has given up waiting, the lease is dropped here
    // and comes straight back as abandoned.
    let _ = reply.send(Ok(lease));
    returned.await.ok()
}

async fn run(mut conn: SqliteConnection, mut requests: mpsc::UnboundedReceiver<Request>) {
    let mut carried: Option<Request> = None;
    loop {
        let first = match carried.take() {
            Some(r) => r,
            None => match requests.recv().await {
                Some(r) => r,
                None => return,
            },
        };
        if first.kind == Kind::Exclusive {
            match lend(conn, first.reply).await {
                Some(r) => conn = r.conn,
                None => return,
            }
            continue;
        }
        if let Err(e) = conn.execute("BEGIN IMMEDIATE").await {
            let _ = first.reply.send(Err(e.to_string()));
            continue;
        }
        let started = Instant::now();
        let mut committed = Vec::new();
        let mut broken: Option<String> = None;
        let mut next = Some(first);
        while let Some(r) = next.take() {
            if let Err(e) = conn
                .execute(format!("SAVEPOINT {SAVEPOINT}").as_str())
                .await
            {
                let _ = r.reply.send(Err(e.to_string()));
                broken = Some(e.to_string());
                break;
            }
            let Some(back) = lend(conn, r.reply).await else {
                return;
            };
            conn = back.conn;
            match back.outcome {
                Outcome::Released(done) => committed.push(done),
                Outcome::Abandoned => {
                    let undo = format!("ROLLBACK TO {SAVEPOINT}; RELEASE {SAVEPOINT}");
                    if let Err(e) = conn.execute(undo.as_str()).await {
                        // SQLite ends the whole transaction on some errors
                        // (a full disk, an I/O error); the group's work is
                        // gone with it.
                        broken = Some(e.to_string());
                        break;
                    }
                }
            }
            if committed.len() >= MAX_GROUP || started.elapsed() >= MAX_GROUP_TIME {
                break;
            }
            match requests.try_recv() {
                Ok(r) if r.kind == Kind::Transaction => next = Some(r),
                Ok(r) => carried = Some(r),
                Err(_) => {}
            }
        }
        let outcome = match broken {
            Some(e) => Err(e),
            None => conn
                .execute("COMMIT")
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        if outcome.is_err() {
            // Whatever is left of the transaction goes; an error here only
            // says there was nothing left.
            let _ = conn.execute("ROLLBACK").await;
        }
        for done in committed {
            let _ = done.send(outcome.clone());
        }
    }
}
