//! Filing on PostgreSQL: one task per node, the filer, takes the filings
//! waiting at that moment and writes them in one transaction.
//!
//! A filing alone is small, and what it costs the database is mostly the
//! cost of a statement and a commit: planning and starting a statement that
//! writes six tables, opening their indexes, the commit's WAL flush. Filings
//! that arrive together therefore go together: their tracking numbers are
//! taken in one upsert, each case and every row that goes with it is named
//! with its number as [`Filing::name`] names it, and the rows go as one
//! multi-row INSERT per table, then one commit. Numbers stay gapless: they
//! are taken in the same transaction as the cases that use them. If the
//! transaction fails, each of its filings is tried again alone, so one bad
//! filing fails only itself. A lone filing goes the same way, at once: the
//! filer waits for nothing but the previous transaction.
//!
//! The sequence rows are locked from the upsert to the commit, in the order
//! of their keys, so that filers of several nodes queue on them and never
//! deadlock.

use crate::convert::*;
use crate::pending::{self, Write};
use diwan_store::*;
use sqlx::{PgConnection, PgPool, QueryBuilder};
use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot};

/// The most filings one transaction takes (about 80 parameters each).
const MAX_BATCH: usize = 64;

/// Filings waiting for the filer, at most.
const QUEUE: usize = 1024;

type Job = (Filing, oneshot::Sender<Result<Case>>);

/// The handle of a node's filer.
#[derive(Clone)]
pub(crate) struct Filer {
    jobs: mpsc::Sender<Job>,
}

impl Filer {
    /// Starts the filer on `pool`. It stops when the last handle is dropped.
    pub(crate) fn start(pool: PgPool) -> Filer {
        let (jobs, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, waiting));
        Filer { jobs }
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

async fn run(pool: PgPool, mut waiting: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while waiting.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (filings, answers): (Vec<Filing>, Vec<_>) = jobs.drain(..).unzip();
        // A lone filing's failure is its own; filings written together
        // are tried again one by one if they fail.
        let again = (filings.len() > 1).then(|| filings.clone());
        match (file_together(&pool, filings).await, again) {
            (Ok(cases), _) => {
                for (a, c) in answers.into_iter().zip(cases) {
                    let _ = a.send(Ok(c));
                }
            }
            (Err(e), None) => {
                if let Some(a) = answers.into_iter().next() {
                    let _ = a.send(Err(e));
                }
            }
            (Err(e), Some(filings)) => {
                tracing::debug!(error = %e, filings = filings.len(), "filings written together failed; each is tried alone");
                for (a, f) in answers.into_iter().zip(filings) {
                    let _ = a.send(file_together(&pool, vec![f]).await.and_then(first));
                }
            }
        }
    }
}

/// The one case of a lone filing.
fn first(cases: Vec<Case>) -> Result<Case> {
    cases
        .into_iter()
        .next()
        .ok_or(StoreError::Unsupported("a filing written without its case"))
}

/// Writes `filings` in one transaction and answers their cases, in order.
async fn file_together(pool: &PgPool, mut filings: Vec<Filing>) -> Result<Vec<Case>> {
    let mut tx = pool.begin().await.map_err(db)?;
    let numbers = take_numbers(&mut tx, &filings).await?;
    for (f, n) in filings.iter_mut().zip(numbers) {
        let tracking = f.tracking_number(n)?;
        f.name(&tracking);
    }

    // The rows, one multi-row INSERT per table; cases first and messages
    // before attachments, so that no reference waits for a later statement
    // when the writes take more than one.
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
    pending::send(&mut tx, &writes).await?;
    tx.commit().await.map_err(db)?;
    match writes.into_iter().next() {
        Some(Write::Cases(cases)) => Ok(cases),
        _ => Err(StoreError::Unsupported(
            "filings written without their cases",
        )),
    }
}

/// Takes the next number of each filing's sequence, in the order of the
/// filings: one upsert, its rows locked in the order of their keys.
async fn take_numbers(tx: &mut PgConnection, filings: &[Filing]) -> Result<Vec<u64>> {
    let mut wanted: BTreeMap<(&str, i32), i64> = BTreeMap::new();
    for f in filings {
        *wanted.entry((f.prefix.as_str(), f.year)).or_default() += 1;
    }
    let mut qb = QueryBuilder::new("INSERT INTO tracking_sequences (prefix, year, last) ");
    qb.push_values(&wanted, |mut b, ((prefix, year), n)| {
        b.push_bind(prefix.to_string())
            .push_bind(*year)
            .push_bind(*n);
    });
    qb.push(
        " ON CONFLICT (prefix, year) DO UPDATE SET last = tracking_sequences.last + EXCLUDED.last \
         RETURNING prefix, year, last",
    );
    let lasts: Vec<(String, i32, i64)> = qb.build_query_as().fetch_all(tx).await.map_err(db)?;
    // The first number this transaction took of each sequence.
    let mut next: BTreeMap<(&str, i32), u64> = BTreeMap::new();
    for (prefix, year, last) in lasts {
        let corrupt = || StoreError::Corrupt(format!("tracking sequence {prefix} {year}: {last}"));
        let (&key, &n) = wanted
            .iter()
            .find(|((p, y), _)| *p == prefix && *y == year)
            .ok_or_else(corrupt)?;
        next.insert(key, u64::try_from(last - n + 1).map_err(|_| corrupt())?);
    }
    filings
        .iter()
        .map(|f| {
            let seq = next.get_mut(&(f.prefix.as_str(), f.year)).ok_or_else(|| {
                StoreError::Corrupt(format!("no number for {} {}", f.prefix, f.year))
            })?;
            *seq += 1;
            Ok(*seq - 1)
        })
        .collect()
}
