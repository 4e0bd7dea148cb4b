//! Cases on SQLite: the case-type catalogue, cases, queues and search,
//! counts, history, messages, attachments and the overdue sweep.

use crate::convert::*;
use crate::{Conn, SqliteTx, Write};
use async_trait::async_trait;
use chrono::NaiveDate;
use diwan_domain::cases::workflow::Scope;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
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
        clock: parse(&r.try_get::<String, _>("clock").map_err(db)?, "clock")?,
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

/// What the writer runs before each commit of a group: the cases filed
/// since the search index's mark enter the index, and the mark moves on
/// (see `migrations/0002_cases_search.sql`). One statement for the group
/// keeps FTS5 out of the transactions' savepoints.
pub(crate) const INDEX_NEW_CASES: &str = "INSERT INTO cases_fts(rowid, search_text)
     SELECT rowid, search_text FROM cases WHERE rowid > (SELECT upto FROM search_index_mark);
     UPDATE search_index_mark SET upto = (SELECT coalesce(max(rowid), 0) FROM cases);";

/// Whether the database has the search index's mark (its migrations ran).
pub(crate) const HAS_INDEX_MARK: &str =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'search_index_mark'";

const DUE_NULL: &str = "9999-12-31";

/// How many matches make search terms common: more than a page's worth
/// among the newest cases is then likely.
const COMMON_MATCHES: i64 = 2000;

/// Whether the terms match at least [`COMMON_MATCHES`] cases (counted only
/// that far, so the check stays cheap).
async fn common_terms(conn: &mut SqliteConnection, terms: &[String]) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM cases_fts WHERE cases_fts MATCH $1 LIMIT $2)",
    )
    .bind(fts_query(terms))
    .bind(COMMON_MATCHES)
    .fetch_one(conn)
    .await
    .map_err(db)?;
    Ok(n >= COMMON_MATCHES)
}

/// Appends the scope and every filter of `q` but its cursor. A word found
/// in many cases (`common`) is checked against the rows the query walks in
/// the queue's order (a page needs a few hundred rows); a rare one drives
/// the query from its matches, which are then sorted. The unary `+` keeps
/// SQLite from driving the query from the match list in the first case.
fn push_filters(qb: &mut QueryBuilder<'_, Sqlite>, q: &CaseQuery, common: bool) {
    push_scope(qb, &q.scope);
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
        qb.push(if common {
            " AND +c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH "
        } else {
            " AND c.rowid IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH "
        })
        .push_bind(fts_query(&q.terms))
        .push(")");
    }
}

mod writes;
pub(crate) use writes::*;

#[async_trait]
impl CaseRead for SqliteTx {
    async fn list_case_types(&mut self) -> Result<Vec<CaseType>> {
        let rows = sqlx::query("SELECT * FROM case_types ORDER BY workflow, code")
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(case_type_from).collect()
    }

    async fn get_case_type(&mut self, id: Uuid) -> Result<Option<CaseType>> {
        let r = sqlx::query("SELECT * FROM case_types WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(case_type_from).transpose()
    }

    async fn get_case(&mut self, id: Uuid) -> Result<Option<Case>> {
        // The single writer connection already serializes writers: no row lock needed.
        let r = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn case_by_tracking(&mut self, tracking: &str) -> Result<Option<Case>> {
        let r = sqlx::query("SELECT * FROM cases WHERE tracking_number = $1")
            .bind(tracking)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn list_cases(&mut self, q: &CaseQuery) -> Result<Vec<CaseRow>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT c.id, c.tracking_number, c.case_type_id, c.subject, c.state, c.clock, c.filer_org_id, c.holder_org_id, c.holder_since, c.assignee_id,
                    c.due_date, c.overdue, c.submitted_at, c.created_at, c.updated_at
             FROM cases c WHERE 1 = 1",
        );
        let common = !q.terms.is_empty() && common_terms(self.read_conn().await?, &q.terms).await?;
        push_filters(&mut qb, q, common);
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
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(case_row_from).collect()
    }

    async fn count_matching(&mut self, q: &CaseQuery, bound: i64) -> Result<i64> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE 1 = 1");
        push_filters(&mut qb, q, false);
        qb.push(" LIMIT ").push_bind(bound).push(")");
        qb.build_query_scalar()
            .fetch_one(self.read_conn().await?)
            .await
            .map_err(db)
    }

    async fn count_cases(&mut self, q: &CaseCount) -> Result<CaseCounts> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT COUNT(*) AS open, COALESCE(SUM(c.overdue), 0) AS overdue, COALESCE(SUM(c.clock = 'running' AND c.overdue = 0 AND c.due_date <= ");
        qb.push_bind(date(q.due_soon_by));
        qb.push("), 0) AS due_soon, COALESCE(SUM(c.clock = 'paused'), 0) AS paused FROM cases c WHERE c.clock IN ('running', 'paused')");
        push_scope(&mut qb, &q.scope);
        if let Some(v) = q.holder_org_id {
            qb.push(" AND c.holder_org_id = ").push_bind(v);
        }
        let r = qb
            .build()
            .fetch_one(self.read_conn().await?)
            .await
            .map_err(db)?;
        Ok(CaseCounts {
            open: r.try_get("open").map_err(db)?,
            overdue: r.try_get("overdue").map_err(db)?,
            due_soon: r.try_get("due_soon").map_err(db)?,
            paused: r.try_get("paused").map_err(db)?,
        })
    }

    async fn list_events(&mut self, case_id: Uuid) -> Result<Vec<CaseEvent>> {
        let rows = sqlx::query("SELECT * FROM case_events WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(event_from).collect()
    }

    async fn list_messages(
        &mut self,
        case_id: Uuid,
        include_internal: bool,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query("SELECT * FROM case_messages WHERE case_id = $1 AND ($2 OR internal = 0) ORDER BY at, id")
            .bind(case_id)
            .bind(include_internal)
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(message_from).collect()
    }

    async fn list_attachments(&mut self, case_id: Uuid) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT * FROM attachments WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(attachment_from).collect()
    }

    async fn get_attachment(&mut self, id: Uuid) -> Result<Option<Attachment>> {
        let r = sqlx::query("SELECT * FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(attachment_from).transpose()
    }

    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM cases WHERE clock = 'running' AND overdue = 0 AND due_date < $1",
        )
        .bind(date(today))
        .fetch_one(self.read_conn().await?)
        .await
        .map_err(db)
    }
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
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn next_tracking_seq(&mut self, prefix: &str, year: i32) -> Result<u64> {
        // The writer knows the sequence once it has read it (see `writer`):
        // the new value then goes with the transaction's other writes.
        if let Conn::Write(lease) = &mut self.tx {
            if let Some(n) = lease.next_seq(prefix, year) {
                self.hold(Write::Sequence(prefix.to_owned(), year, n));
                return Ok(n);
            }
        }
        // Otherwise one trip takes it, opening the transaction and sending
        // whatever was held back with it.
        let mut qb = self.batch();
        qb.push("INSERT INTO tracking_sequences (prefix, year, last) VALUES (")
            .push_bind(prefix.to_owned())
            .push(", ")
            .push_bind(year)
            .push(", 1) ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1 RETURNING last");
        let kept = crate::kept_prepared(qb.sql());
        let n: i64 = qb
            .build_query_scalar()
            .persistent(kept)
            .fetch_one(self.tx.get().await?)
            .await
            .map_err(db)?;
        let n = n as u64;
        if let Conn::Write(lease) = &mut self.tx {
            lease.learn_seq(prefix, year, n);
        }
        Ok(n)
    }

    async fn insert_case(&mut self, c: &Case) -> Result<()> {
        self.hold(Write::Case(c.clone()));
        Ok(())
    }

    async fn update_case(&mut self, c: &Case) -> Result<()> {
        self.hold(Write::CaseUpdate(c.clone()));
        Ok(())
    }

    async fn insert_message(&mut self, m: &Message) -> Result<()> {
        self.hold(Write::Message(m.clone()));
        Ok(())
    }

    async fn insert_attachment(&mut self, a: &Attachment) -> Result<()> {
        self.hold(Write::Attachment(a.clone()));
        Ok(())
    }

    async fn mark_overdue(&mut self, today: NaiveDate, limit: i64) -> Result<Vec<Case>> {
        let rows = sqlx::query(
            "UPDATE cases SET overdue = 1 WHERE id IN (
                SELECT id FROM cases WHERE clock = 'running' AND overdue = 0 AND due_date < $1 LIMIT $2
             ) RETURNING *",
        )
        .bind(date(today))
        .bind(limit)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(case_from).collect()
    }

    async fn insert_events(&mut self, e: &[CaseEvent]) -> Result<()> {
        if !e.is_empty() {
            self.hold(Write::Events(e.to_vec()));
        }
        Ok(())
    }
}
