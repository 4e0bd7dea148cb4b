//! Writes a transaction holds back, sent together in one statement.
//!
//! Every statement is a round trip to the server, and a filing is many
//! statements. Writes that answer nothing are therefore kept in the
//! transaction, in order, and sent before its next read or with its commit.
//! A run of INSERTs goes as one statement: the first ones as data-modifying
//! common table expressions (`WITH w0 AS (INSERT …), w1 AS (INSERT …)
//! INSERT …`), which PostgreSQL runs to completion whether or not they are
//! read; foreign keys are checked at the end of the statement, so a case
//! and its history may go together. Consecutive rows of the same kind
//! become one INSERT. A case's UPDATE goes on its own, so that no
//! statement touches a row twice; the recipients' of inquiries joins the
//! INSERTs, as none of them writes a recipient and a transaction holds one
//! such UPDATE at most. The SQL of each kind stays with its capability's
//! module.
//!
//! An INSERT of many rows binds one array per column and reads the rows
//! back with `unnest` ([`Rows`]): its text is the same however many rows it
//! writes, so a statement stays prepared with one plan for every size of
//! batch, and the server starts it without an expression per value.

use crate::{audit, cases, db, inquiry, messaging, notifications};
use diwan_store::{
    Attachment, AuditRecord, Case, CaseEvent, IncomingMessage, InquiryRecipient, Message,
    Notification, Result,
};
use sqlx::query_builder::Separated;
use sqlx::{Encode, PgConnection, Postgres, QueryBuilder, Type};

/// The rows of one INSERT, bound column by column as arrays: appended after
/// `INSERT INTO table (columns) `, each [`Rows::column`] in the order of
/// the columns, then [`Rows::end`].
pub(crate) struct Rows<'q, 'args, R> {
    columns: Separated<'q, 'args, Postgres, &'static str>,
    rows: &'q [R],
}

impl<'q, 'args, R> Rows<'q, 'args, R> {
    pub(crate) fn new(qb: &'q mut QueryBuilder<'args, Postgres>, rows: &'q [R]) -> Self {
        qb.push("SELECT * FROM unnest(");
        Rows {
            columns: qb.separated(", "),
            rows,
        }
    }

    /// The next column: `value` of each row, as an array of `sql_type`.
    pub(crate) fn column<T>(&mut self, sql_type: &str, value: impl Fn(&R) -> T) -> &mut Self
    where
        Vec<T>: 'args + Encode<'args, Postgres> + Type<Postgres>,
    {
        let values: Vec<T> = self.rows.iter().map(value).collect();
        self.columns
            .push_bind(values)
            .push_unseparated(format!("::{sql_type}[]"));
        self
    }

    pub(crate) fn end(&mut self) {
        self.columns.push_unseparated(")");
    }
}

/// Values per statement (each column of each row counts one; a single
/// row's columns are parameters of their own), well under PostgreSQL's
/// 65,535 parameters: a statement stays of a bounded size.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// A write held back.
pub(crate) enum Write {
    Cases(Vec<Case>),
    CaseUpdate(Case),
    Events(Vec<CaseEvent>),
    Message(Message),
    Attachment(Attachment),
    Audit(Vec<AuditRecord>),
    Notifications(Vec<Notification>),
    Incoming(Vec<IncomingMessage>),
    /// Where recipients of inquiries are: an UPDATE that may join INSERTs,
    /// as none of them writes a recipient, and the only one a transaction
    /// holds (see [`push`]).
    Recipients(Vec<InquiryRecipient>),
}

impl Write {
    /// How many values the write carries.
    fn params(&self) -> usize {
        match self {
            Write::Cases(c) => c.len() * 21,
            Write::CaseUpdate(_) => 21,
            Write::Events(e) => e.len() * 9,
            Write::Message(_) => 8,
            Write::Attachment(_) => 11,
            Write::Audit(r) => r.len() * 10,
            Write::Notifications(n) => n.len() * 7,
            Write::Incoming(m) => m.len() * 8,
            Write::Recipients(r) => r.len() * 5,
        }
    }
}

/// Rows of `w` that can join the last write, when it is of the same kind.
fn merge(last: &mut Write, w: Write) -> Option<Write> {
    match (last, w) {
        (Write::Cases(a), Write::Cases(b)) => a.extend(b),
        (Write::Events(a), Write::Events(b)) => a.extend(b),
        (Write::Audit(a), Write::Audit(b)) => a.extend(b),
        (Write::Notifications(a), Write::Notifications(b)) => a.extend(b),
        (Write::Incoming(a), Write::Incoming(b)) => a.extend(b),
        (_, w) => return Some(w),
    }
    None
}

/// Adds `w` to the writes held back, in order. Long lists of rows are cut
/// so that no statement binds too many parameters.
pub(crate) fn push(pending: &mut Vec<Write>, w: Write) {
    // Recipients are written by one UPDATE, so that no statement writes
    // one twice: a later place of a recipient replaces an earlier one.
    let w = match w {
        Write::Recipients(new) => {
            let held = pending.iter_mut().find_map(|x| match x {
                Write::Recipients(r) => Some(r),
                _ => None,
            });
            match held {
                Some(held) => {
                    for r in new {
                        match held
                            .iter_mut()
                            .find(|h| h.inquiry_id == r.inquiry_id && h.n == r.n)
                        {
                            Some(h) => *h = r,
                            None => held.push(r),
                        }
                    }
                    return;
                }
                None => Write::Recipients(new),
            }
        }
        w => w,
    };
    let rest = match pending.last_mut() {
        Some(last) if last.params() + w.params() <= MAX_PARAMS => merge(last, w),
        _ => Some(w),
    };
    if let Some(w) = rest {
        pending.push(w);
    }
}

/// Appends one INSERT (without a terminating semicolon).
fn push_insert(qb: &mut QueryBuilder<'_, Postgres>, w: &Write) {
    match w {
        Write::Cases(c) => cases::push_insert_cases(qb, c),
        Write::Events(e) => cases::push_insert_events(qb, e),
        Write::Message(m) => cases::push_insert_message(qb, m),
        Write::Attachment(a) => cases::push_insert_attachment(qb, a),
        Write::Audit(r) => audit::push_append(qb, r),
        Write::Notifications(n) => notifications::push_insert(qb, n),
        Write::Incoming(m) => messaging::push_insert_incoming(qb, m),
        Write::Recipients(r) => inquiry::push_update_recipients(qb, r),
        Write::CaseUpdate(c) => cases::push_update_case(qb, c),
    }
}

/// Appends every write as a data-modifying common table expression
/// (`w0 AS (INSERT …), w1 AS (…), ` with the trailing separator), for a
/// statement whose own query comes after them; or answers `false`, writing
/// nothing, if they hold an UPDATE or bind more than `room` parameters.
pub(crate) fn push_ctes(
    qb: &mut QueryBuilder<'_, Postgres>,
    writes: &[Write],
    room: usize,
) -> bool {
    let params: usize = writes.iter().map(Write::params).sum();
    if params > room || writes.iter().any(|w| matches!(w, Write::CaseUpdate(_))) {
        return false;
    }
    for (n, w) in writes.iter().enumerate() {
        qb.push(format!("w{n} AS ("));
        push_insert(qb, w);
        qb.push("), ");
    }
    true
}

/// Sends `writes`, in order, in as few statements as they allow.
pub(crate) async fn send(conn: &mut PgConnection, writes: &[Write]) -> Result<()> {
    let mut i = 0;
    while i < writes.len() {
        // A run of INSERTs that fits one statement, or a single UPDATE.
        let mut end = i + 1;
        if !matches!(writes[i], Write::CaseUpdate(_)) {
            let mut params = writes[i].params();
            while end < writes.len()
                && !matches!(writes[end], Write::CaseUpdate(_))
                && params + writes[end].params() <= MAX_PARAMS
            {
                params += writes[end].params();
                end += 1;
            }
        }
        let run = &writes[i..end];
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        if let Some((last, first)) = run.split_last() {
            if !first.is_empty() {
                qb.push("WITH ");
                for (n, w) in first.iter().enumerate() {
                    if n > 0 {
                        qb.push(", ");
                    }
                    qb.push(format!("w{n} AS ("));
                    push_insert(&mut qb, w);
                    qb.push(")");
                }
                qb.push(" ");
            }
            push_insert(&mut qb, last);
        }
        qb.build().execute(&mut *conn).await.map_err(db)?;
        i = end;
    }
    Ok(())
}
