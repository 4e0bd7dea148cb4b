//! The SQL that writes cases: each write held back is appended to a batch
//! by one of these (filings too, see `filing`).

use crate::pending::Rows;
use diwan_store::*;
use sqlx::{Postgres, QueryBuilder};

/// Appends one INSERT of cases (for a batch of held-back writes).
pub(crate) fn push_insert_cases(qb: &mut QueryBuilder<'_, Postgres>, rows: &[Case]) {
    qb.push(concat!("INSERT INTO cases (", case_columns!(), ") "));
    Rows::new(qb, rows)
        .column("uuid", |c| c.id)
        .column("uuid", |c| c.case_type_id)
        .column("text", |c| c.tracking_number.clone())
        .column("text", |c| c.subject.clone())
        .column("text", |c| c.body.clone())
        .column("jsonb", |c| c.fields.clone())
        .column("uuid", |c| c.filer_org_id)
        .column("uuid", |c| c.filer_user_id)
        .column("uuid", |c| c.holder_org_id)
        .column("timestamptz", |c| c.holder_since)
        .column("uuid", |c| c.assignee_id)
        .column("text", |c| c.state.clone())
        .column("text", |c| c.clock.as_str())
        .column("date", |c| c.due_date)
        .column("integer", |c| c.paused_days_left)
        .column("boolean", |c| c.overdue)
        .column("timestamptz", |c| c.submitted_at)
        .column("timestamptz", |c| c.closed_at)
        .column("timestamptz", |c| c.created_at)
        .column("timestamptz", |c| c.updated_at)
        .column("text", |c| c.search_text.clone())
        .end();
}

/// Appends the UPDATE of a case's mutable columns.
pub(crate) fn push_update_case(qb: &mut QueryBuilder<'_, Postgres>, c: &Case) {
    qb.push("UPDATE cases SET subject = ")
        .push_bind(c.subject.clone())
        .push(", body = ")
        .push_bind(c.body.clone())
        .push(", fields = ")
        .push_bind(c.fields.clone())
        .push(", holder_org_id = ")
        .push_bind(c.holder_org_id)
        .push(", holder_since = ")
        .push_bind(c.holder_since)
        .push(", assignee_id = ")
        .push_bind(c.assignee_id)
        .push(", state = ")
        .push_bind(c.state.clone())
        .push(", clock = ")
        .push_bind(c.clock.as_str())
        .push(", due_date = ")
        .push_bind(c.due_date)
        .push(", paused_days_left = ")
        .push_bind(c.paused_days_left)
        .push(", overdue = ")
        .push_bind(c.overdue)
        .push(", submitted_at = ")
        .push_bind(c.submitted_at)
        .push(", closed_at = ")
        .push_bind(c.closed_at)
        .push(", updated_at = ")
        .push_bind(c.updated_at)
        .push(", search_text = ")
        .push_bind(c.search_text.clone())
        .push(" WHERE id = ")
        .push_bind(c.id);
}

/// Appends one INSERT of history.
pub(crate) fn push_insert_events(qb: &mut QueryBuilder<'_, Postgres>, rows: &[CaseEvent]) {
    qb.push("INSERT INTO case_events (id, case_id, at, actor_id, action, from_state, to_state, holder_org_id, assignee_id) ");
    Rows::new(qb, rows)
        .column("uuid", |e| e.id)
        .column("uuid", |e| e.case_id)
        .column("timestamptz", |e| e.at)
        .column("uuid", |e| e.actor_id)
        .column("text", |e| e.action.clone())
        .column("text", |e| e.from_state.clone())
        .column("text", |e| e.to_state.clone())
        .column("uuid", |e| e.holder_org_id)
        .column("uuid", |e| e.assignee_id)
        .end();
}

/// Appends the INSERT of a message.
pub(crate) fn push_insert_message(qb: &mut QueryBuilder<'_, Postgres>, m: &Message) {
    qb.push("INSERT INTO case_messages (id, case_id, at, author_id, author_org_id, internal, kind, body) ");
    qb.push_values([m], |mut b, m| {
        b.push_bind(m.id)
            .push_bind(m.case_id)
            .push_bind(m.at)
            .push_bind(m.author_id)
            .push_bind(m.author_org_id)
            .push_bind(m.internal)
            .push_bind(m.kind.clone())
            .push_bind(m.body.clone());
    });
}

/// Appends the INSERT of an attachment's record.
pub(crate) fn push_insert_attachment(qb: &mut QueryBuilder<'_, Postgres>, a: &Attachment) {
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
            .push_bind(a.at);
    });
}
