//! Filing on PostgreSQL: one task per node, the filer, takes the filings
//! waiting at that moment and writes them in one statement.
//!
//! A filing alone is small, and what it costs the database is mostly the
//! cost of a statement and a commit: planning and starting a statement that
//! writes six tables, opening their indexes, the commit's WAL flush, and
//! every round trip between them. Filings that arrive together therefore go
//! together, as one statement that commits on its own: it takes their
//! tracking numbers and writes each case and every row that goes with it,
//! one multi-row INSERT per table, named with its number as
//! [`Filing::name`] names it.
//!
//! Numbers stay gapless: they are taken in the same statement as the cases
//! that use them. The rows are named before the statement is sent, so the
//! filer names them with the numbers it expects, those that follow the ones
//! it took last. The statement locks the sequence rows (in the order of
//! their keys, so that filers of several nodes queue on them and never
//! deadlock) and checks that the numbers are still the next ones before it
//! writes anything; if another node took them first, it fails at once,
//! writing nothing. The batch is then written in a transaction that locks
//! the sequence rows first and names the rows with the numbers it finds
//! there, which cannot miss; so is a batch of a sequence the filer does not
//! know yet (its first), and, for a second, every batch of a sequence that
//! another node files in.
//!
//! If a batch fails otherwise, each of its filings is tried alone, so one
//! bad filing fails only itself. A lone filing goes the same way, at once:
//! the filer waits for nothing but the batch before it.

use crate::convert::*;
use crate::pending::{self, Write};
use diwan_store::*;
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres, QueryBuilder};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The most filings one statement takes (about 80 parameters each).
const MAX_BATCH: usize = 64;

/// How long the filer locks the numbers of a sequence that another node
/// took numbers of first, before it expects them again.
const SHARED_FOR: Duration = Duration::from_secs(1);

/// Filings waiting for the filer, at most.
const QUEUE: usize = 1024;

type Job = (Filing, oneshot::Sender<Result<Case>>);

/// A sequence: the prefix and the year of a tracking number.
type Key = (String, i32);

/// The handle of a node's filer.
#[derive(Clone)]
pub(crate) struct Filer {
    jobs: mpsc::Sender<Job>,
    closing: mpsc::Sender<oneshot::Sender<()>>,
}

impl Filer {
    /// Starts the filer on `pool`. It stops when the last handle is dropped.
    pub(crate) fn start(pool: PgPool) -> Filer {
        let (jobs, waiting) = mpsc::channel(QUEUE);
        let (closing, close) = mpsc::channel(1);
        tokio::spawn(run(pool, waiting, close));
        Filer { jobs, closing }
    }

    /// Gives the filer's connection back to the pool, once the batch being
    /// written (if any) is, so that the pool can close.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.closing.send(done).await.is_ok() {
            let _ = closed.await;
        }
    }

    /// Files `f` with whatever other filings are waiting, and answers its
    /// case as written.
    pub(crate) async fn file(&self, f: Filing) -> Result<Case> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send((f, done))
            .await
            .map_err(|_| StoreError::Unsupported("filing after the store was closed"))?;
        answer
            .await
            .map_err(|_| StoreError::Unsupported("the filer stopped before it answered"))?
    }
}

/// How a batch learns its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    /// The first number of each sequence, as the filer expects it.
    Expect(BTreeMap<Key, u64>),
    /// Taken first, in a transaction that locks the sequence rows and then
    /// writes the rows: it always has the next numbers.
    Lock,
}

/// What the filer knows of the sequences: the number each batch it sends
/// should begin with, and the sequences it has seen another node take from.
#[derive(Debug, Default)]
struct Sequences {
    next: HashMap<Key, u64>,
    shared_until: HashMap<Key, Instant>,
}

impl Sequences {
    /// The claim of a batch that wants `wanted`: the numbers after those
    /// the last batch took, where the filer knows them and no other node
    /// files in the sequence; otherwise locked first.
    fn claim(&self, wanted: &BTreeMap<Key, u64>, now: Instant) -> Claim {
        if wanted
            .keys()
            .any(|k| self.shared_until.get(k).is_some_and(|t| *t > now))
        {
            return Claim::Lock;
        }
        let mut first = BTreeMap::new();
        for k in wanted.keys() {
            match self.next.get(k) {
                Some(n) => first.insert(k.clone(), *n),
                None => return Claim::Lock,
            };
        }
        Claim::Expect(first)
    }

    /// A batch took `wanted` numbers from `first` on.
    fn took(&mut self, wanted: &BTreeMap<Key, u64>, first: &BTreeMap<Key, u64>) {
        for (k, n) in wanted {
            if let Some(f) = first.get(k) {
                self.next.insert(k.clone(), f + n);
            }
        }
    }

    /// A batch that wanted numbers of `wanted` found them taken: another
    /// node files in them, so for a while they are locked first.
    fn missed(&mut self, wanted: &BTreeMap<Key, u64>, now: Instant) {
        for k in wanted.keys() {
            self.next.remove(k);
            self.shared_until.insert(k.clone(), now + SHARED_FOR);
        }
    }
}

/// The filer's connection, kept from one batch to the next: a batch then
/// costs no round trip to take a connection from the pool or to give it
/// back, and the statements the filer sends stay prepared on it.
struct Own {
    pool: PgPool,
    conn: Option<PoolConnection<Postgres>>,
    /// When the connection was last handed to a batch.
    used: Instant,
}

impl Own {
    /// The connection; after a pause, tested first as the pool tests its
    /// own, and replaced if it broke meanwhile (the server restarted).
    async fn conn(&mut self) -> Result<&mut PgConnection> {
        let conn = match self.conn.take() {
            Some(mut c) if self.used.elapsed() > crate::TEST_IDLE_AFTER => match c.ping().await {
                Ok(()) => c,
                Err(e) => {
                    tracing::info!(error = %e, "the filer's connection broke while idle; it takes another");
                    c.close_on_drop();
                    drop(c);
                    self.pool.acquire().await.map_err(db)?
                }
            },
            Some(c) => c,
            None => self.pool.acquire().await.map_err(db)?,
        };
        self.used = Instant::now();
        Ok(&mut **self.conn.insert(conn))
    }

    /// After a failed batch, the connection goes if the error was not the
    /// database's answer (it may be broken), closed rather than given back
    /// to the pool; the next batch takes another. After an answer, a
    /// transaction that did not end is rolled back with the next statement.
    fn failed(&mut self, e: &StoreError) {
        let answered = match e {
            StoreError::Database(e) => !matches!(
                e.downcast_ref::<sqlx::Error>(),
                Some(e) if !matches!(e, sqlx::Error::Database(_))
            ),
            _ => true,
        };
        if !answered {
            if let Some(mut c) = self.conn.take() {
                c.close_on_drop();
            }
        }
    }
}

async fn run(
    pool: PgPool,
    mut waiting: mpsc::Receiver<Job>,
    mut close: mpsc::Receiver<oneshot::Sender<()>>,
) {
    let mut own = Own {
        pool,
        conn: None,
        used: Instant::now(),
    };
    let mut sequences = Sequences::default();
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            n = waiting.recv_many(&mut jobs, MAX_BATCH) => {
                if n == 0 {
                    break;
                }
                let batch = std::mem::take(&mut jobs);
                let wanted = wanted_by(batch.iter().map(|(f, _)| f));
                let claim = sequences.claim(&wanted, Instant::now());
                write_batch(&mut own, &mut sequences, batch, wanted, claim).await;
            }
            Some(done) = close.recv() => {
                own.conn = None;
                let _ = done.send(());
            }
        }
    }
}

/// How many numbers of each sequence the filings want.
fn wanted_by<'a>(filings: impl Iterator<Item = &'a Filing>) -> BTreeMap<Key, u64> {
    let mut wanted = BTreeMap::new();
    for f in filings {
        *wanted.entry((f.prefix.clone(), f.year)).or_default() += 1;
    }
    wanted
}

/// Writes the filings of `jobs` together and answers each.
async fn write_batch(
    own: &mut Own,
    sequences: &mut Sequences,
    jobs: Vec<Job>,
    wanted: BTreeMap<Key, u64>,
    claim: Claim,
) {
    let (filings, answers): (Vec<Filing>, Vec<_>) = jobs.into_iter().unzip();
    let result = file_again(own, sequences, &filings, &wanted, claim).await;
    match result {
        Ok(cases) => {
            for (a, c) in answers.into_iter().zip(cases) {
                let _ = a.send(Ok(c));
            }
        }
        Err(e) if filings.len() == 1 => {
            if let Some(a) = answers.into_iter().next() {
                let _ = a.send(Err(e));
            }
        }
        Err(e) => {
            // A filing's failure is its own: each is tried alone.
            tracing::debug!(error = %e, filings = filings.len(), "filings written together failed; each is tried alone");
            for (a, f) in answers.into_iter().zip(filings) {
                let one = std::slice::from_ref(&f);
                let r = file_again(own, sequences, one, &wanted_by(one.iter()), Claim::Lock).await;
                let _ = a.send(r.and_then(first));
            }
        }
    }
}

/// Writes `filings` together as [`file_together`] does, and again, with
/// their numbers locked first, if they found their numbers taken.
async fn file_again(
    own: &mut Own,
    sequences: &mut Sequences,
    filings: &[Filing],
    wanted: &BTreeMap<Key, u64>,
    claim: Claim,
) -> Result<Vec<Case>> {
    let mut result = file_together(own.conn().await?, filings.to_vec(), wanted, &claim).await;
    if let Err(e) = &result {
        own.failed(e);
        if numbers_taken(e) && claim != Claim::Lock {
            tracing::debug!(error = %e, "filings found their numbers taken; they are written again with their numbers locked first");
            sequences.missed(wanted, Instant::now());
            result = file_together(own.conn().await?, filings.to_vec(), wanted, &Claim::Lock).await;
            if let Err(e) = &result {
                own.failed(e);
            }
        }
    }
    let (cases, first) = result?;
    sequences.took(wanted, &first);
    Ok(cases)
}

/// Whether `e` says only that the numbers a batch wanted were taken by
/// another (or that it met another on them): trying again will do.
fn numbers_taken(e: &StoreError) -> bool {
    let StoreError::Database(e) = e else {
        return false;
    };
    // serialization_failure (`tracking_numbers_taken`), deadlock_detected
    matches!(
        e.downcast_ref::<sqlx::Error>(),
        Some(sqlx::Error::Database(d)) if matches!(d.code().as_deref(), Some("40001" | "40P01"))
    )
}

/// The one case of a lone filing.
fn first(cases: Vec<Case>) -> Result<Case> {
    cases
        .into_iter()
        .next()
        .ok_or(StoreError::Unsupported("a filing written without its case"))
}

/// Writes `filings` in one transaction, numbered as `claim` says, and
/// answers their cases, in order, and the first number it took of each
/// sequence.
///
/// One statement does it all when it fits: its own query takes the
/// numbers (locking the sequence rows, and failing if the numbers are not
/// the next ones), and its INSERTs, common table expressions that
/// PostgreSQL runs after that query, write the rows; it commits on its own.
/// Writes too many for one statement go in a transaction that takes the
/// numbers first, the same way. A batch that locks its numbers first takes
/// them in a transaction with an upsert, whose answer names the rows.
/// Every way the sequence rows are locked before any row is written, so a
/// transaction never waits for another holding the same numbers while it
/// holds a lock that one wants.
async fn file_together(
    conn: &mut PgConnection,
    filings: Vec<Filing>,
    wanted: &BTreeMap<Key, u64>,
    claim: &Claim,
) -> Result<(Vec<Case>, BTreeMap<Key, u64>)> {
    // A transaction that fails is rolled back with the connection's next
    // statement.
    let (writes, first) = match claim {
        Claim::Lock => {
            let mut tx = conn.begin().await.map_err(db)?;
            let first = lock_numbers(&mut tx, wanted).await?;
            let writes = named_rows(filings, &first)?;
            pending::send(&mut tx, &writes).await?;
            tx.commit().await.map_err(db)?;
            (writes, first)
        }
        Claim::Expect(first) => {
            let writes = named_rows(filings, first)?;
            // Everything in one statement, which commits on its own, if it
            // fits.
            let mut qb = QueryBuilder::new("WITH ");
            if pending::push_ctes(&mut qb, &writes, pending::MAX_PARAMS - 4 * wanted.len()) {
                push_take(&mut qb, wanted, first)?;
                qb.build().execute(&mut *conn).await.map_err(db)?;
            } else {
                let mut tx = conn.begin().await.map_err(db)?;
                let mut qb = QueryBuilder::new("WITH ");
                push_take(&mut qb, wanted, first)?;
                qb.build().execute(&mut *tx).await.map_err(db)?;
                pending::send(&mut tx, &writes).await?;
                tx.commit().await.map_err(db)?;
            }
            (writes, first.clone())
        }
    };
    match writes.into_iter().next() {
        Some(Write::Cases(cases)) => Ok((cases, first)),
        _ => Err(StoreError::Unsupported(
            "filings written without their cases",
        )),
    }
}

/// The rows of `filings`, named with their numbers from `first` on: one
/// multi-row INSERT per table; cases first and messages before
/// attachments, so that no reference waits for a later statement when the
/// writes take more than one.
fn named_rows(mut filings: Vec<Filing>, first: &BTreeMap<Key, u64>) -> Result<Vec<Write>> {
    let numbers = numbers(&filings_keys(&filings), first)?;
    for (f, n) in filings.iter_mut().zip(numbers) {
        let tracking = f.tracking_number(n)?;
        f.name(&tracking);
    }
    let (mut cases, mut events, mut messages, mut attachments, mut audit, mut notifications) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for f in filings {
        cases.push(f.case);
        events.extend(f.events);
        messages.extend(f.messages);
        attachments.extend(f.attachments);
        audit.extend(f.audit);
        notifications.extend(f.notifications);
    }
    let mut writes = vec![Write::Cases(cases)];
    if !events.is_empty() {
        pending::push(&mut writes, Write::Events(events));
    }
    messages
        .into_iter()
        .for_each(|m| pending::push(&mut writes, Write::Message(m)));
    attachments
        .into_iter()
        .for_each(|a| pending::push(&mut writes, Write::Attachment(a)));
    if !audit.is_empty() {
        pending::push(&mut writes, Write::Audit(audit));
    }
    if !notifications.is_empty() {
        pending::push(&mut writes, Write::Notifications(notifications));
    }
    Ok(writes)
}

fn filings_keys(filings: &[Filing]) -> Vec<Key> {
    filings.iter().map(|f| (f.prefix.clone(), f.year)).collect()
}

/// The number of each filing, in order, the first of each sequence being
/// `first`.
fn numbers(keys: &[Key], first: &BTreeMap<Key, u64>) -> Result<Vec<u64>> {
    let mut next = first.clone();
    keys.iter()
        .map(|k| {
            let seq = next
                .get_mut(k)
                .ok_or_else(|| StoreError::Corrupt(format!("no number for {} {}", k.0, k.1)))?;
            *seq += 1;
            Ok(*seq - 1)
        })
        .collect()
}

/// Takes the numbers `wanted` of each sequence, locking its row (in the
/// order of the keys) and creating it if it is new, and answers the first
/// number taken of each: one upsert.
async fn lock_numbers(
    tx: &mut PgConnection,
    wanted: &BTreeMap<Key, u64>,
) -> Result<BTreeMap<Key, u64>> {
    let mut qb = QueryBuilder::new("INSERT INTO tracking_sequences (prefix, year, last) ");
    qb.push_values(wanted, |mut b, ((prefix, year), n)| {
        b.push_bind(prefix.clone())
            .push_bind(*year)
            .push_bind(count(*n));
    });
    qb.push(
        " ON CONFLICT (prefix, year) DO UPDATE SET last = tracking_sequences.last + EXCLUDED.last \
         RETURNING prefix, year, last",
    );
    let lasts: Vec<(String, i32, i64)> = qb.build_query_as().fetch_all(tx).await.map_err(db)?;
    let mut first = BTreeMap::new();
    for (prefix, year, last) in lasts {
        let corrupt = || StoreError::Corrupt(format!("tracking sequence {prefix} {year}: {last}"));
        let n = wanted.get(&(prefix.clone(), year)).ok_or_else(corrupt)?;
        let f = u64::try_from(last - count(*n) + 1).map_err(|_| corrupt())?;
        first.insert((prefix, year), f);
    }
    if first.len() != wanted.len() {
        return Err(StoreError::Corrupt(
            "a tracking sequence was not taken".into(),
        ));
    }
    Ok(first)
}

/// Appends the query that takes the numbers `wanted` of each sequence,
/// from `first` on, if they are the next ones (after `WITH` and the
/// statement's other common table expressions): the rows are locked in the
/// order of their keys and moved on only if each still ends just before
/// its `first`; if any does not, the statement fails with
/// serialization_failure (see `tracking_numbers_taken`).
fn push_take(
    qb: &mut QueryBuilder<'_, Postgres>,
    wanted: &BTreeMap<Key, u64>,
    first: &BTreeMap<Key, u64>,
) -> Result<()> {
    let mut rows = Vec::with_capacity(wanted.len());
    for (k, n) in wanted {
        let f = first
            .get(k)
            .ok_or_else(|| StoreError::Corrupt(format!("no number for {} {}", k.0, k.1)))?;
        rows.push((k.clone(), count(*n), count(*f) - 1));
    }
    qb.push("v (prefix, year, n, expect) AS (");
    qb.push_values(rows, |mut b, ((prefix, year), n, expect)| {
        b.push_bind(prefix)
            .push_unseparated("::text")
            .push_bind(year)
            .push_unseparated("::integer")
            .push_bind(n)
            .push_unseparated("::bigint")
            .push_bind(expect)
            .push_unseparated("::bigint");
    });
    qb.push(
        "), s AS MATERIALIZED (SELECT t.prefix, t.year, t.last FROM tracking_sequences t \
           JOIN v ON v.prefix = t.prefix AND v.year = t.year \
           ORDER BY t.prefix, t.year FOR UPDATE OF t), \
         taken AS (UPDATE tracking_sequences t SET last = s.last + v.n FROM s JOIN v \
           ON v.prefix = s.prefix AND v.year = s.year \
         WHERE t.prefix = s.prefix AND t.year = s.year AND s.last = v.expect \
         RETURNING 1) \
         SELECT tracking_numbers_taken(",
    );
    qb.push_bind(count(wanted.len() as u64))
        .push(", count(*)) FROM taken");
    Ok(())
}

/// A count of numbers as PostgreSQL's `bigint`.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> Key {
        (p.to_owned(), 2026)
    }

    #[test]
    fn a_sequence_is_locked_until_its_numbers_are_known_and_then_expected() {
        let now = Instant::now();
        let mut s = Sequences::default();
        let wanted = BTreeMap::from([(key("A"), 3), (key("B"), 1)]);
        assert_eq!(s.claim(&wanted, now), Claim::Lock);
        s.took(&wanted, &BTreeMap::from([(key("A"), 10), (key("B"), 1)]));
        let first = BTreeMap::from([(key("A"), 13), (key("B"), 2)]);
        assert_eq!(s.claim(&wanted, now), Claim::Expect(first.clone()));
        // A batch that failed took nothing: the next expects the same.
        assert_eq!(s.claim(&wanted, now), Claim::Expect(first));
        // A sequence not seen yet makes the whole batch lock.
        let new = BTreeMap::from([(key("A"), 1), (key("C"), 1)]);
        assert_eq!(s.claim(&new, now), Claim::Lock);
    }

    #[test]
    fn a_sequence_another_node_files_in_is_locked_for_a_while() {
        let now = Instant::now();
        let mut s = Sequences::default();
        let wanted = BTreeMap::from([(key("A"), 2)]);
        s.took(&wanted, &BTreeMap::from([(key("A"), 1)]));
        s.missed(&wanted, now);
        assert_eq!(s.claim(&wanted, now), Claim::Lock);
        s.took(&wanted, &BTreeMap::from([(key("A"), 7)]));
        assert_eq!(s.claim(&wanted, now), Claim::Lock);
        let both = BTreeMap::from([(key("A"), 1), (key("B"), 1)]);
        assert_eq!(s.claim(&both, now), Claim::Lock);
        assert_eq!(
            s.claim(&wanted, now + SHARED_FOR),
            Claim::Expect(BTreeMap::from([(key("A"), 9)]))
        );
    }

    #[test]
    fn numbers_follow_each_sequence_in_the_order_of_the_filings() {
        let keys = vec![key("A"), key("B"), key("A")];
        let first = BTreeMap::from([(key("A"), 5), (key("B"), 1)]);
        assert_eq!(numbers(&keys, &first).unwrap(), vec![5, 1, 6]);
        assert!(numbers(&[key("C")], &first).is_err());
    }
}
