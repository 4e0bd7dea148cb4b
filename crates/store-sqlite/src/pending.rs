//! Writes a transaction holds back, sent together in one round trip.
//!
//! Every statement sent to SQLite through sqlx is a trip to the
//! connection's worker thread and back, and on a busy machine those trips,
//! not SQLite, are what a filing spends its time on. Writes that answer
//! nothing are therefore kept in the transaction, in order, and sent as one
//! multi-statement query before the next read or with the commit.
//! Consecutive rows of the same kind become one multi-row INSERT. The SQL of
//! each kind stays with its capability's module.

use crate::{audit, cases, db, notifications};
use diwan_store::{Attachment, AuditRecord, Case, CaseEvent, Message, Notification, Result};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// Rows per multi-row INSERT, well under SQLite's 32,766 parameters per
/// statement.
const ROWS: usize = 200;

/// A write held back.
pub(crate) enum Write {
    Case(Case),
    CaseUpdate(Case),
    Events(Vec<CaseEvent>),
    Message(Message),
    Attachment(Attachment),
    Audit(Vec<AuditRecord>),
    Notifications(Vec<Notification>),
}

/// Rows of `w` that can join the last write, when it is of the same kind.
fn merge(last: &mut Write, w: Write) -> Option<Write> {
    match (last, w) {
        (Write::Events(a), Write::Events(b)) => a.extend(b),
        (Write::Audit(a), Write::Audit(b)) => a.extend(b),
        (Write::Notifications(a), Write::Notifications(b)) => a.extend(b),
        (_, w) => return Some(w),
    }
    None
}

/// Adds `w` to the writes held back, in order.
pub(crate) fn push(pending: &mut Vec<Write>, w: Write) {
    let rest = match pending.last_mut() {
        Some(last) => merge(last, w),
        None => Some(w),
    };
    if let Some(w) = rest {
        pending.push(w);
    }
}

/// Sends `writes` in one query, followed by `RELEASE release` when given
/// (the commit of a transaction of the writer's group).
pub(crate) async fn send(
    conn: &mut SqliteConnection,
    writes: &[Write],
    release: Option<&str>,
) -> Result<()> {
    if writes.is_empty() && release.is_none() {
        return Ok(());
    }
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("");
    for w in writes {
        match w {
            Write::Case(c) => cases::push_insert_case(&mut qb, c),
            Write::CaseUpdate(c) => cases::push_update_case(&mut qb, c),
            Write::Events(e) => {
                for rows in e.chunks(ROWS) {
                    cases::push_insert_events(&mut qb, rows);
                }
            }
            Write::Message(m) => cases::push_insert_message(&mut qb, m),
            Write::Attachment(a) => cases::push_insert_attachment(&mut qb, a),
            Write::Audit(r) => {
                for rows in r.chunks(ROWS) {
                    audit::push_append(&mut qb, rows);
                }
            }
            Write::Notifications(n) => {
                for rows in n.chunks(ROWS) {
                    notifications::push_insert(&mut qb, rows);
                }
            }
        }
    }
    if let Some(savepoint) = release {
        qb.push(format!("RELEASE {savepoint};"));
    }
    qb.build().execute(conn).await.map_err(db)?;
    Ok(())
}
