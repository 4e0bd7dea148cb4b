//! The SQL that writes cases: each write held back is appended to a batch
//! by one of these, and a filing is one statement.

use crate::convert::*;
use diwan_store::*;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// Appends the INSERT of a case (for a batch of held-back writes).
pub(crate) fn push_insert_case(qb: &mut QueryBuilder<'_, Postgres>, c: &Case) {
    qb.push(concat!("INSERT INTO cases (", case_columns!(), ") "));
    qb.push_values([c], |mut b, c| {
        b.push_bind(c.id)
            .push_bind(c.case_type_id)
            .push_bind(c.tracking_number.clone())
            .push_bind(c.subject.clone())
            .push_bind(c.body.clone())
            .push_bind(c.fields.clone())
            .push_bind(c.filer_org_id)
            .push_bind(c.filer_user_id)
            .push_bind(c.holder_org_id)
            .push_bind(c.holder_since)
            .push_bind(c.assignee_id)
            .push_bind(c.state.clone())
            .push_bind(c.clock.as_str())
            .push_bind(c.due_date)
            .push_bind(c.paused_days_left)
            .push_bind(c.overdue)
            .push_bind(c.submitted_at)
            .push_bind(c.closed_at)
            .push_bind(c.created_at)
            .push_bind(c.updated_at)
            .push_bind(c.search_text.clone());
    });
}

/// Files a case in one statement, outside any explicit transaction (one
/// statement is one transaction): the sequence's upsert, the tracking
/// number made from it, the case and every row that goes with it, as
/// data-modifying CTEs, so that the sequence's row is locked for that
/// statement and its commit only. The tracking number and the search text
/// are made here in SQL exactly as `Filing::name` makes them in Rust (a
/// contract test compares them): `PREFIX-YEAR-` and the number with at least
/// six digits; the search text the number in lower case, then the
/// normalized subject and body.
pub(crate) async fn file_case(conn: &mut PgConnection, f: Filing) -> Result<Case> {
    let c = &f.case;
    let rest = diwan_domain::text::normalize_for_search(&format!("{} {}", c.subject, c.body));
    let rest = if rest.is_empty() {
        rest
    } else {
        format!(" {rest}")
    };
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "WITH s AS (INSERT INTO tracking_sequences (prefix, year, last) VALUES (",
    );
    qb.push_bind(f.prefix.clone())
        .push(", ")
        .push_bind(f.year)
        .push(
            ", 1) ON CONFLICT (prefix, year) DO UPDATE SET last = tracking_sequences.last + 1 RETURNING last), \
             t AS (SELECT ",
        )
        .push_bind(f.prefix.clone())
        .push(" || '-' || ")
        .push_bind(f.year)
        .push(
            "::text || '-' || CASE WHEN last < 1000000 THEN lpad(last::text, 6, '0') ELSE last::text END AS tn FROM s), \
             c AS (INSERT INTO cases (",
        )
        .push(case_columns!())
        .push(") SELECT ");
    {
        let mut v = qb.separated(", ");
        v.push_bind(c.id)
            .push_bind(c.case_type_id)
            .push("t.tn")
            .push_bind(c.subject.clone())
            .push_bind(c.body.clone())
            .push_bind(c.fields.clone())
            .push_bind(c.filer_org_id)
            .push_bind(c.filer_user_id)
            .push_bind(c.holder_org_id)
            .push_bind(c.holder_since)
            .push_bind(c.assignee_id)
            .push_bind(c.state.clone())
            .push_bind(c.clock.as_str())
            .push_bind(c.due_date)
            .push_bind(c.paused_days_left)
            .push_bind(c.overdue)
            .push_bind(c.submitted_at)
            .push_bind(c.closed_at)
            .push_bind(c.created_at)
            .push_bind(c.updated_at);
        v.push("lower(t.tn) || ").push_bind_unseparated(rest);
    }
    qb.push(" FROM t)");
    if !f.events.is_empty() {
        qb.push(", e AS (");
        push_insert_events(&mut qb, &f.events);
        qb.push(")");
    }
    for (i, m) in f.messages.iter().enumerate() {
        qb.push(format!(", m{i} AS ("));
        push_insert_message(&mut qb, m);
        qb.push(")");
    }
    for (i, a) in f.attachments.iter().enumerate() {
        qb.push(format!(", a{i} AS ("));
        push_insert_attachment(&mut qb, a);
        qb.push(")");
    }
    if !f.audit.is_empty() {
        qb.push(
            ", au AS (INSERT INTO audit_log (id, at, actor_id, actor_name, org_id, action, object_type, object_id, ip, details) \
             SELECT v.id, v.at, v.actor_id, v.actor_name, v.org_id, v.action, v.object_type, v.object_id, v.ip, \
             CASE WHEN v.named THEN jsonb_set(v.details, '{tracking_number}', to_jsonb(t.tn)) ELSE v.details END \
             FROM t, (",
        );
        qb.push_values(&f.audit, |mut b, a| {
            b.push_bind(a.id)
                .push_bind(a.at)
                .push_bind(a.actor_id)
                .push_bind(a.actor_name.clone())
                .push_bind(a.org_id)
                .push_bind(a.action.clone())
                .push_bind(a.object_type.clone())
                .push_bind(a.object_id.clone())
                .push_bind(a.ip.clone())
                .push_bind(a.details.clone())
                .push_bind(a.details.get("tracking_number").is_some());
        });
        qb.push(
            ") AS v(id, at, actor_id, actor_name, org_id, action, object_type, object_id, ip, details, named))",
        );
    }
    if !f.notifications.is_empty() {
        qb.push(
            ", n AS (INSERT INTO notifications (id, user_id, case_id, kind, tracking_number, at, read_at) \
             SELECT v.id, v.user_id, v.case_id, v.kind, t.tn, v.at, v.read_at FROM t, (",
        );
        qb.push_values(&f.notifications, |mut b, n| {
            b.push_bind(n.id)
                .push_bind(n.user_id)
                .push_bind(n.case_id)
                .push_bind(n.kind.clone())
                .push_bind(n.at)
                .push_bind(n.read_at);
        });
        qb.push(") AS v(id, user_id, case_id, kind, at, read_at))");
    }
    qb.push(" SELECT tn FROM t");
    let tracking: String = qb.build_query_scalar().fetch_one(conn).await.map_err(db)?;
    let mut f = f;
    f.name(&tracking);
    Ok(f.case)
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

/// Appends one multi-row INSERT of history.
pub(crate) fn push_insert_events(qb: &mut QueryBuilder<'_, Postgres>, rows: &[CaseEvent]) {
    qb.push("INSERT INTO case_events (id, case_id, at, actor_id, action, from_state, to_state, holder_org_id, assignee_id) ");
    qb.push_values(rows, |mut b, e| {
        b.push_bind(e.id)
            .push_bind(e.case_id)
            .push_bind(e.at)
            .push_bind(e.actor_id)
            .push_bind(e.action.clone())
            .push_bind(e.from_state.clone())
            .push_bind(e.to_state.clone())
            .push_bind(e.holder_org_id)
            .push_bind(e.assignee_id);
    });
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
