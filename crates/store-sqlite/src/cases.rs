//! Cases on SQLite: the case-type catalogue, cases, queues and search,
//! counts, history, messages, attachments and the overdue sweep.

use crate::convert::*;
use crate::SqliteTx;
use async_trait::async_trait;
use chrono::NaiveDate;
use diwan_domain::cases::workflow::Scope;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

fn case_type_from(r: &SqliteRow) -> Result<CaseType> {
    Ok(CaseType {
        id: r.try_get("id").map_err(db)?,
        code: r.try_get("code").map_err(db)?,
        workflow: r.try_get("workflow").map_err(db)?,
        prefix: r.try_get("prefix").map_err(db)?,
        name_ar: r.try_get("name_ar").map_err(db)?,
        name_en: r.try_get("name_en").map_err(db)?,
        name_fr: r.try_get("name_fr").map_err(db)?,
        default_department_id: r.try_get("default_department_id").map_err(db)?,
        auto_route: r.try_get("auto_route").map_err(db)?,
        deadline_days: r.try_get("deadline_days").map_err(db)?,
        active: r.try_get("active").map_err(db)?,
        fields: serde_json::from_str(&r.try_get::<String, _>("field_defs").map_err(db)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

fn case_from(r: &SqliteRow) -> Result<Case> {
    let fields: String = r.try_get("fields").map_err(db)?;
    Ok(Case {
        id: r.try_get("id").map_err(db)?,
        case_type_id: r.try_get("case_type_id").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        subject: r.try_get("subject").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        fields: serde_json::from_str(&fields).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        filer_org_id: r.try_get("filer_org_id").map_err(db)?,
        filer_user_id: r.try_get("filer_user_id").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        holder_since: from_ts_opt(r.try_get("holder_since").map_err(db)?)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
        state: r.try_get("state").map_err(db)?,
        clock: parse(&r.try_get::<String, _>("clock").map_err(db)?, "clock")?,
        due_date: from_date_opt(r.try_get("due_date").map_err(db)?)?,
        paused_days_left: r.try_get("paused_days_left").map_err(db)?,
        overdue: r.try_get("overdue").map_err(db)?,
        submitted_at: from_ts_opt(r.try_get("submitted_at").map_err(db)?)?,
        closed_at: from_ts_opt(r.try_get("closed_at").map_err(db)?)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(db)?)?,
        search_text: r.try_get("search_text").map_err(db)?,
    })
}

fn case_row_from(r: &SqliteRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.try_get("id").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        case_type_id: r.try_get("case_type_id").map_err(db)?,
        subject: r.try_get("subject").map_err(db)?,
        state: r.try_get("state").map_err(db)?,
        filer_org_id: r.try_get("filer_org_id").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        holder_since: from_ts_opt(r.try_get("holder_since").map_err(db)?)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
        due_date: from_date_opt(r.try_get("due_date").map_err(db)?)?,
        overdue: r.try_get("overdue").map_err(db)?,
        submitted_at: from_ts_opt(r.try_get("submitted_at").map_err(db)?)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(db)?)?,
    })
}

fn event_from(r: &SqliteRow) -> Result<CaseEvent> {
    Ok(CaseEvent {
        id: r.try_get("id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        at: from_ts(r.try_get("at").map_err(db)?)?,
        actor_id: r.try_get("actor_id").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        from_state: r.try_get("from_state").map_err(db)?,
        to_state: r.try_get("to_state").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
    })
}

fn message_from(r: &SqliteRow) -> Result<Message> {
    Ok(Message {
        id: r.try_get("id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        at: from_ts(r.try_get("at").map_err(db)?)?,
        author_id: r.try_get("author_id").map_err(db)?,
        author_org_id: r.try_get("author_org_id").map_err(db)?,
        internal: r.try_get("internal").map_err(db)?,
        kind: r.try_get("kind").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
    })
}

fn attachment_from(r: &SqliteRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        message_id: r.try_get("message_id").map_err(db)?,
        filename: r.try_get("filename").map_err(db)?,
        content_type: r.try_get("content_type").map_err(db)?,
        size: r.try_get("size").map_err(db)?,
        sha256: r.try_get("sha256").map_err(db)?,
        storage_key: r.try_get("storage_key").map_err(db)?,
        uploaded_by: r.try_get("uploaded_by").map_err(db)?,
        internal: r.try_get("internal").map_err(db)?,
        at: from_ts(r.try_get("at").map_err(db)?)?,
    })
}

/// Appends the visibility rule of `scope` (see `Scope::can_see`).
fn push_scope(qb: &mut QueryBuilder<'_, Sqlite>, scope: &Scope) {
    match *scope {
        Scope::Everything => {
            qb.push(" AND c.submitted_at IS NOT NULL");
        }
        Scope::FiledBy(org) => {
            qb.push(" AND c.filer_org_id = ").push_bind(org);
        }
        Scope::Department { org_id, user_id } => {
            qb.push(" AND (c.filer_org_id = ")
                .push_bind(org_id)
                .push(" OR (c.submitted_at IS NOT NULL AND (c.holder_org_id = ")
                .push_bind(org_id)
                .push(" OR c.assignee_id = ")
                .push_bind(user_id)
                .push(")))");
        }
    }
}

/// An FTS5 query where every term must match as a prefix.
fn fts_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "")))
        .collect::<Vec<_>>()
        .join(" ")
}

const DUE_NULL: &str = "9999-12-31";

/// How many matches make search terms common: more than a page's worth
/// among the newest cases is then likely.
const COMMON_MATCHES: i64 = 2000;

/// Whether the terms match at least [`COMMON_MATCHES`] cases (counted only
/// that far, so the check stays cheap).
async fn common_terms(
    tx: &mut sqlx::Transaction<'static, Sqlite>,
    terms: &[String],
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM cases_fts WHERE cases_fts MATCH $1 LIMIT $2)",
    )
    .bind(fts_query(terms))
    .bind(COMMON_MATCHES)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok(n >= COMMON_MATCHES)
}

#[async_trait]
impl CaseRepo for SqliteTx {
    async fn upsert_case_type(&mut self, t: &CaseType) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_types (id, code, workflow, prefix, name_ar, name_en, name_fr, default_department_id, auto_route, deadline_days, active, field_defs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET code = excluded.code, workflow = excluded.workflow, prefix = excluded.prefix,
               name_ar = excluded.name_ar, name_en = excluded.name_en, name_fr = excluded.name_fr,
               default_department_id = excluded.default_department_id, auto_route = excluded.auto_route,
               deadline_days = excluded.deadline_days, active = excluded.active, field_defs = excluded.field_defs",
        )
        .bind(t.id)
        .bind(&t.code)
        .bind(&t.workflow)
        .bind(&t.prefix)
        .bind(&t.name_ar)
        .bind(&t.name_en)
        .bind(&t.name_fr)
        .bind(t.default_department_id)
        .bind(t.auto_route)
        .bind(t.deadline_days)
        .bind(t.active)
        .bind(serde_json::to_string(&t.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_case_types(&mut self) -> Result<Vec<CaseType>> {
        let rows = sqlx::query("SELECT * FROM case_types ORDER BY workflow, code")
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(case_type_from).collect()
    }

    async fn get_case_type(&mut self, id: Uuid) -> Result<Option<CaseType>> {
        let r = sqlx::query("SELECT * FROM case_types WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(case_type_from).transpose()
    }

    async fn next_tracking_seq(&mut self, prefix: &str, year: i32) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO tracking_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last",
        )
        .bind(prefix)
        .bind(year)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(n as u64)
    }

    async fn insert_case(&mut self, c: &Case) -> Result<()> {
        sqlx::query(
            "INSERT INTO cases (id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since,
               assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(c.id)
        .bind(c.case_type_id)
        .bind(&c.tracking_number)
        .bind(&c.subject)
        .bind(&c.body)
        .bind(c.fields.to_string())
        .bind(c.filer_org_id)
        .bind(c.filer_user_id)
        .bind(c.holder_org_id)
        .bind(ts_opt(c.holder_since))
        .bind(c.assignee_id)
        .bind(&c.state)
        .bind(c.clock.as_str())
        .bind(c.due_date.map(date))
        .bind(c.paused_days_left)
        .bind(c.overdue)
        .bind(ts_opt(c.submitted_at))
        .bind(ts_opt(c.closed_at))
        .bind(ts(c.created_at))
        .bind(ts(c.updated_at))
        .bind(&c.search_text)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn update_case(&mut self, c: &Case) -> Result<()> {
        sqlx::query(
            "UPDATE cases SET subject = $2, body = $3, fields = $4, holder_org_id = $5, holder_since = $6, assignee_id = $7, state = $8,
               clock = $9, due_date = $10, paused_days_left = $11, overdue = $12, submitted_at = $13, closed_at = $14, updated_at = $15,
               search_text = $16
             WHERE id = $1",
        )
        .bind(c.id)
        .bind(&c.subject)
        .bind(&c.body)
        .bind(c.fields.to_string())
        .bind(c.holder_org_id)
        .bind(ts_opt(c.holder_since))
        .bind(c.assignee_id)
        .bind(&c.state)
        .bind(c.clock.as_str())
        .bind(c.due_date.map(date))
        .bind(c.paused_days_left)
        .bind(c.overdue)
        .bind(ts_opt(c.submitted_at))
        .bind(ts_opt(c.closed_at))
        .bind(ts(c.updated_at))
        .bind(&c.search_text)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_case(&mut self, id: Uuid) -> Result<Option<Case>> {
        // The single writer connection already serializes writers: no row lock needed.
        let r = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn case_by_tracking(&mut self, tracking: &str) -> Result<Option<Case>> {
        let r = sqlx::query("SELECT * FROM cases WHERE tracking_number = $1")
            .bind(tracking)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn list_cases(&mut self, q: &CaseQuery) -> Result<Vec<CaseRow>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT c.id, c.tracking_number, c.case_type_id, c.subject, c.state, c.filer_org_id, c.holder_org_id, c.holder_since, c.assignee_id,
                    c.due_date, c.overdue, c.submitted_at, c.created_at, c.updated_at
             FROM cases c WHERE 1 = 1",
        );
        push_scope(&mut qb, &q.scope);
        if !q.states.is_empty() {
            qb.push(" AND c.state IN (");
            let mut sep = qb.separated(", ");
            for s in &q.states {
                sep.push_bind(s.clone());
            }
            qb.push(")");
        }
        if let Some(v) = q.case_type_id {
            qb.push(" AND c.case_type_id = ").push_bind(v);
        }
        if let Some(v) = q.filer_org_id {
            qb.push(" AND c.filer_org_id = ").push_bind(v);
        }
        if let Some(v) = q.holder_org_id {
            qb.push(" AND c.holder_org_id = ").push_bind(v);
        }
        if let Some(v) = q.assignee_id {
            qb.push(" AND c.assignee_id = ").push_bind(v);
        }
        if let Some(v) = q.overdue {
            qb.push(" AND c.overdue = ").push_bind(v);
        }
        if let Some(v) = q.due_by {
            qb.push(" AND c.clock = 'running' AND c.due_date <= ")
                .push_bind(date(v));
        }
        if let Some(v) = q.created_from {
            qb.push(" AND c.created_at >= ").push_bind(ts(v));
        }
        if let Some(v) = q.created_to {
            qb.push(" AND c.created_at < ").push_bind(ts(v));
        }
        if !q.terms.is_empty() {
            // A word found in many cases: walk the queue's order and keep the
            // matches (a page needs a few hundred rows); a rare one: start
            // from its matches and sort them. The unary `+` keeps SQLite from
            // driving the query from the match list in the first case.
            let common = common_terms(&mut self.tx, &q.terms).await?;
            qb.push(if common {
                " AND +c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH "
            } else {
                " AND c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH "
            })
            .push_bind(fts_query(&q.terms))
            .push(")");
        }
        let (col, op, dir) = match (q.sort, q.descending) {
            (SortKey::Updated, true) => ("c.updated_at", "<", "DESC"),
            (SortKey::Updated, false) => ("c.updated_at", ">", "ASC"),
            (SortKey::Created, true) => ("c.created_at", "<", "DESC"),
            (SortKey::Created, false) => ("c.created_at", ">", "ASC"),
            (SortKey::Due, true) => ("COALESCE(c.due_date, '9999-12-31')", "<", "DESC"),
            (SortKey::Due, false) => ("COALESCE(c.due_date, '9999-12-31')", ">", "ASC"),
        };
        match &q.after {
            Some(Cursor::Time(t, id)) => {
                qb.push(format!(" AND ({col}, c.id) {op} ("))
                    .push_bind(ts(*t))
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            Some(Cursor::Date(d, id)) => {
                let d = d.map(date).unwrap_or_else(|| DUE_NULL.to_owned());
                qb.push(format!(" AND ({col}, c.id) {op} ("))
                    .push_bind(d)
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            None => {}
        }
        qb.push(format!(" ORDER BY {col} {dir}, c.id {dir} LIMIT "))
            .push_bind(q.limit);
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter().map(case_row_from).collect()
    }

    async fn count_cases(&mut self, q: &CaseCount) -> Result<CaseCounts> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) AS open, COALESCE(SUM(c.overdue), 0) AS overdue, COALESCE(SUM(c.clock = 'running' AND c.overdue = 0 AND c.due_date <= ");
        qb.push_bind(date(q.due_soon_by));
        qb.push("), 0) AS due_soon, COALESCE(SUM(c.clock = 'paused'), 0) AS paused FROM cases c WHERE c.clock IN ('running', 'paused')");
        push_scope(&mut qb, &q.scope);
        if let Some(v) = q.holder_org_id {
            qb.push(" AND c.holder_org_id = ").push_bind(v);
        }
        let r = qb.build().fetch_one(&mut *self.tx).await.map_err(db)?;
        Ok(CaseCounts {
            open: r.try_get("open").map_err(db)?,
            overdue: r.try_get("overdue").map_err(db)?,
            due_soon: r.try_get("due_soon").map_err(db)?,
            paused: r.try_get("paused").map_err(db)?,
        })
    }

    async fn insert_event(&mut self, e: &CaseEvent) -> Result<()> {
        sqlx::query("INSERT INTO case_events (id, case_id, at, actor_id, action, from_state, to_state, holder_org_id, assignee_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(e.id)
            .bind(e.case_id)
            .bind(ts(e.at))
            .bind(e.actor_id)
            .bind(&e.action)
            .bind(&e.from_state)
            .bind(&e.to_state)
            .bind(e.holder_org_id)
            .bind(e.assignee_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_events(&mut self, case_id: Uuid) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query("SELECT * FROM case_events WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(event_from).collect()
    }

    async fn insert_message(&mut self, m: &Message) -> Result<()> {
        sqlx::query("INSERT INTO case_messages (id, case_id, at, author_id, author_org_id, internal, kind, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(m.id)
            .bind(m.case_id)
            .bind(ts(m.at))
            .bind(m.author_id)
            .bind(m.author_org_id)
            .bind(m.internal)
            .bind(&m.kind)
            .bind(&m.body)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_messages(
        &mut self,
        case_id: Uuid,
        include_internal: bool,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query("SELECT * FROM case_messages WHERE case_id = $1 AND ($2 OR internal = 0) ORDER BY at, id")
            .bind(case_id)
            .bind(include_internal)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(message_from).collect()
    }

    async fn insert_attachment(&mut self, a: &Attachment) -> Result<()> {
        sqlx::query("INSERT INTO attachments (id, case_id, message_id, filename, content_type, size, sha256, storage_key, uploaded_by, internal, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(a.id)
            .bind(a.case_id)
            .bind(a.message_id)
            .bind(&a.filename)
            .bind(&a.content_type)
            .bind(a.size)
            .bind(&a.sha256)
            .bind(&a.storage_key)
            .bind(a.uploaded_by)
            .bind(a.internal)
            .bind(ts(a.at))
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_attachments(&mut self, case_id: Uuid) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT * FROM attachments WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(attachment_from).collect()
    }

    async fn get_attachment(&mut self, id: Uuid) -> Result<Option<Attachment>> {
        let r = sqlx::query("SELECT * FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(attachment_from).transpose()
    }

    async fn mark_overdue(&mut self, today: NaiveDate, limit: i64) -> Result<Vec<Case>> {
        let rows = sqlx::query(
            "UPDATE cases SET overdue = 1 WHERE id IN (
                SELECT id FROM cases WHERE clock = 'running' AND overdue = 0 AND due_date < $1 LIMIT $2
             ) RETURNING *",
        )
        .bind(date(today))
        .bind(limit)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(case_from).collect()
    }

    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE clock = 'running' AND overdue = 0 AND due_date < $1",
        )
        .bind(date(today))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)
    }
}
