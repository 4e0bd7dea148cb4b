//! The SQL that writes cases: each write held back is appended to a batch
//! by one of these.

use crate::convert::*;
use diwan_store::*;
use sqlx::{QueryBuilder, Sqlite};

/// Appends the INSERT of a case to a batch of held-back writes.
pub(crate) fn push_insert_case(qb: &mut QueryBuilder<'_, Sqlite>, c: &Case) {
    qb.push(
        "INSERT INTO cases (id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since,
           assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text) VALUES (",
    );
    let mut v = qb.separated(", ");
    v.push_bind(c.id)
        .push_bind(c.case_type_id)
        .push_bind(c.tracking_number.clone())
        .push_bind(c.subject.clone())
        .push_bind(c.body.clone())
        .push_bind(c.fields.to_string())
        .push_bind(c.filer_org_id)
        .push_bind(c.filer_user_id)
        .push_bind(c.holder_org_id)
        .push_bind(ts_opt(c.holder_since))
        .push_bind(c.assignee_id)
        .push_bind(c.state.clone())
        .push_bind(c.clock.as_str())
        .push_bind(c.due_date.map(date))
        .push_bind(c.paused_days_left)
        .push_bind(c.overdue)
        .push_bind(ts_opt(c.submitted_at))
        .push_bind(ts_opt(c.closed_at))
        .push_bind(ts(c.created_at))
        .push_bind(ts(c.updated_at))
        .push_bind(c.search_text.clone());
    qb.push(");");
}

/// Appends the new last value of a tracking-number sequence.
pub(crate) fn push_sequence(qb: &mut QueryBuilder<'_, Sqlite>, prefix: &str, year: i32, last: u64) {
    qb.push("INSERT INTO tracking_sequences (prefix, year, last) VALUES (")
        .push_bind(prefix.to_owned())
        .push(", ")
        .push_bind(year)
        .push(", ")
        .push_bind(last as i64)
        .push(") ON CONFLICT (prefix, year) DO UPDATE SET last = excluded.last;");
}

/// Appends the UPDATE of a case's mutable columns.
pub(crate) fn push_update_case(qb: &mut QueryBuilder<'_, Sqlite>, c: &Case) {
    qb.push("UPDATE cases SET subject = ")
        .push_bind(c.subject.clone())
        .push(", body = ")
        .push_bind(c.body.clone())
        .push(", fields = ")
        .push_bind(c.fields.to_string())
        .push(", holder_org_id = ")
        .push_bind(c.holder_org_id)
        .push(", holder_since = ")
        .push_bind(ts_opt(c.holder_since))
        .push(", assignee_id = ")
        .push_bind(c.assignee_id)
        .push(", state = ")
        .push_bind(c.state.clone())
        .push(", clock = ")
        .push_bind(c.clock.as_str())
        .push(", due_date = ")
        .push_bind(c.due_date.map(date))
        .push(", paused_days_left = ")
        .push_bind(c.paused_days_left)
        .push(", overdue = ")
        .push_bind(c.overdue)
        .push(", submitted_at = ")
        .push_bind(ts_opt(c.submitted_at))
        .push(", closed_at = ")
        .push_bind(ts_opt(c.closed_at))
        .push(", updated_at = ")
        .push_bind(ts(c.updated_at))
        .push(", search_text = ")
        .push_bind(c.search_text.clone())
        .push(" WHERE id = ")
        .push_bind(c.id)
        .push(";");
}

/// Appends one multi-row INSERT of history.
pub(crate) fn push_insert_events(qb: &mut QueryBuilder<'_, Sqlite>, rows: &[CaseEvent]) {
    qb.push("INSERT INTO case_events (id, case_id, at, actor_id, action, from_state, to_state, holder_org_id, assignee_id) ");
    qb.push_values(rows, |mut b, e| {
        b.push_bind(e.id)
            .push_bind(e.case_id)
            .push_bind(ts(e.at))
            .push_bind(e.actor_id)
            .push_bind(e.action.clone())
            .push_bind(e.from_state.clone())
            .push_bind(e.to_state.clone())
            .push_bind(e.holder_org_id)
            .push_bind(e.assignee_id);
    });
    qb.push(";");
}

/// Appends the INSERT of a message.
pub(crate) fn push_insert_message(qb: &mut QueryBuilder<'_, Sqlite>, m: &Message) {
    qb.push("INSERT INTO case_messages (id, case_id, at, author_id, author_org_id, internal, kind, body) ");
    qb.push_values([m], |mut b, m| {
        b.push_bind(m.id)
            .push_bind(m.case_id)
            .push_bind(ts(m.at))
            .push_bind(m.author_id)
            .push_bind(m.author_org_id)
            .push_bind(m.internal)
            .push_bind(m.kind.clone())
            .push_bind(m.body.clone());
    });
    qb.push(";");
}

/// Appends the INSERT of an attachment's record.
pub(crate) fn push_insert_attachment(qb: &mut QueryBuilder<'_, Sqlite>, a: &Attachment) {
    qb.push("INSERT INTO attachments (id, case_id, message_id, filename, content_type, size, sha256, storage_key, uploaded_by, internal, at) ");
    qb.push_values([a], |mut b, a| {
        b.push_bind(a.id)
            .push_bind(a.case_id)
            .push_bind(a.message_id)
            .push_bind(a.filename.clone())
            .push_bind(a.content_type.clone())
            .push_bind(a.size)
            .push_bind(a.sha256.clone())
            .push_bind(a.storage_key.clone())
            .push_bind(a.uploaded_by)
            .push_bind(a.internal)
            .push_bind(ts(a.at));
    });
    qb.push(";");
}
