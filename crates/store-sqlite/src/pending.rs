//! Writes a transaction holds back, sent together in one round trip.
//!
//! Every statement sent to SQLite through sqlx is a trip to the
//! connection's worker thread and back, and on a busy machine those trips,
//! not SQLite, are what a filing spends its time on. Writes that answer
//! nothing are therefore kept in the transaction, in order, and sent as one
//! multi-statement query before the next read or with the commit.
//! Consecutive rows of the same kind become one multi-row INSERT. The SQL of
//! each kind stays with its capability's module.

use crate::{audit, cases, inquiry, messaging, notifications};
use diwan_store::{
    Attachment, AuditRecord, Case, CaseEvent, IncomingMessage, InquiryRecipient, Message,
    NewAnswer, Notification, OutboxMessage,
};
use sqlx::{QueryBuilder, Sqlite};

/// Rows per multi-row INSERT, well under SQLite's 32,766 parameters per
/// statement.
const ROWS: usize = 200;

/// A write held back.
pub(crate) enum Write {
    /// A tracking-number sequence's new last value (prefix, year, last).
    Sequence(String, i32, u64),
    Case(Case),
    CaseUpdate(Case),
    Events(Vec<CaseEvent>),
    Message(Message),
    Attachment(Attachment),
    Audit(Vec<AuditRecord>),
    Notifications(Vec<Notification>),
    Incoming(Vec<IncomingMessage>),
    Outbox(Vec<OutboxMessage>),
    /// Answers to inquiries, with the counts and recipients they move.
    Answers(Vec<NewAnswer>),
    Recipients(Vec<InquiryRecipient>),
}

/// Rows of `w` that can join the last write, when it is of the same kind.
fn merge(last: &mut Write, w: Write) -> Option<Write> {
    match (last, w) {
        (Write::Events(a), Write::Events(b)) => a.extend(b),
        (Write::Audit(a), Write::Audit(b)) => a.extend(b),
        (Write::Notifications(a), Write::Notifications(b)) => a.extend(b),
        (Write::Incoming(a), Write::Incoming(b)) => a.extend(b),
        (Write::Outbox(a), Write::Outbox(b)) => a.extend(b),
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

/// Appends `writes`, in order, to a query of several statements.
pub(crate) fn push_all(qb: &mut QueryBuilder<'_, Sqlite>, writes: &[Write]) {
    for w in writes {
        match w {
            Write::Sequence(p, y, n) => cases::push_sequence(qb, p, *y, *n),
            Write::Case(c) => cases::push_insert_case(qb, c),
            Write::CaseUpdate(c) => cases::push_update_case(qb, c),
            Write::Events(e) => {
                for rows in e.chunks(ROWS) {
                    cases::push_insert_events(qb, rows);
                }
            }
            Write::Message(m) => cases::push_insert_message(qb, m),
            Write::Attachment(a) => cases::push_insert_attachment(qb, a),
            Write::Audit(r) => {
                for rows in r.chunks(ROWS) {
                    audit::push_append(qb, rows);
                }
            }
            Write::Notifications(n) => {
                for rows in n.chunks(ROWS) {
                    notifications::push_insert(qb, rows);
                }
            }
            Write::Incoming(m) => messaging::push_insert_incoming(qb, m),
            Write::Outbox(m) => messaging::push_queue_messages(qb, m),
            Write::Answers(a) => inquiry::push_record_answers(qb, a),
            Write::Recipients(r) => inquiry::push_update_recipients(qb, r),
        }
    }
}
