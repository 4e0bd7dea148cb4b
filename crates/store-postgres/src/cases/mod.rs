//! Cases on PostgreSQL: the case-type catalogue, cases, queues and search,
//! counts, history, messages, attachments and the overdue sweep.

use crate::convert::*;
use crate::{PostgresTx, Write};
use async_trait::async_trait;
use chrono::NaiveDate;
use diwan_domain::cases::workflow::Scope;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

fn case_type_from(r: &PgRow) -> Result<CaseType> {
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
        fields: serde_json::from_value(
            r.try_get::<serde_json::Value, _>("field_defs")
                .map_err(db)?,
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// The columns of a case, named rather than `*` so that the search vector,
/// which can be far larger than the text it indexes, never leaves the server.
macro_rules! case_columns {
    () => {
        "id, case_type_id, tracking_number, subject, body, fields, filer_org_id, filer_user_id, holder_org_id, holder_since, \
         assignee_id, state, clock, due_date, paused_days_left, overdue, submitted_at, closed_at, created_at, updated_at, search_text"
    };
}

fn case_from(r: &PgRow) -> Result<Case> {
    Ok(Case {
        id: r.try_get("id").map_err(db)?,
        case_type_id: r.try_get("case_type_id").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        subject: r.try_get("subject").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        fields: r.try_get("fields").map_err(db)?,
        filer_org_id: r.try_get("filer_org_id").map_err(db)?,
        filer_user_id: r.try_get("filer_user_id").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        holder_since: r.try_get("holder_since").map_err(db)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
        state: r.try_get("state").map_err(db)?,
        clock: parse(&r.try_get::<String, _>("clock").map_err(db)?, "clock")?,
        due_date: r.try_get("due_date").map_err(db)?,
        paused_days_left: r.try_get("paused_days_left").map_err(db)?,
        overdue: r.try_get("overdue").map_err(db)?,
        submitted_at: r.try_get("submitted_at").map_err(db)?,
        closed_at: r.try_get("closed_at").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        updated_at: r.try_get("updated_at").map_err(db)?,
        search_text: r.try_get("search_text").map_err(db)?,
    })
}

/// The columns of a queue line, also those that the sort keys need.
macro_rules! case_row_columns {
    () => {
        "c.id, c.tracking_number, c.case_type_id, c.subject, c.state, c.clock, c.filer_org_id, c.holder_org_id, c.holder_since, \
         c.assignee_id, c.due_date, c.overdue, c.submitted_at, c.created_at, c.updated_at"
    };
}

fn case_row_from(r: &PgRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.try_get("id").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        case_type_id: r.try_get("case_type_id").map_err(db)?,
        subject: r.try_get("subject").map_err(db)?,
        state: r.try_get("state").map_err(db)?,
        clock: parse(&r.try_get::<String, _>("clock").map_err(db)?, "clock")?,
        filer_org_id: r.try_get("filer_org_id").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        holder_since: r.try_get("holder_since").map_err(db)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
        due_date: r.try_get("due_date").map_err(db)?,
        overdue: r.try_get("overdue").map_err(db)?,
        submitted_at: r.try_get("submitted_at").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        updated_at: r.try_get("updated_at").map_err(db)?,
    })
}

fn event_from(r: &PgRow) -> Result<CaseEvent> {
    Ok(CaseEvent {
        id: r.try_get("id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        at: r.try_get("at").map_err(db)?,
        actor_id: r.try_get("actor_id").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        from_state: r.try_get("from_state").map_err(db)?,
        to_state: r.try_get("to_state").map_err(db)?,
        holder_org_id: r.try_get("holder_org_id").map_err(db)?,
        assignee_id: r.try_get("assignee_id").map_err(db)?,
    })
}

fn message_from(r: &PgRow) -> Result<Message> {
    Ok(Message {
        id: r.try_get("id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        at: r.try_get("at").map_err(db)?,
        author_id: r.try_get("author_id").map_err(db)?,
        author_org_id: r.try_get("author_org_id").map_err(db)?,
        internal: r.try_get("internal").map_err(db)?,
        kind: r.try_get("kind").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
    })
}

fn attachment_from(r: &PgRow) -> Result<Attachment> {
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
        at: r.try_get("at").map_err(db)?,
    })
}

/// Appends the visibility rule of `scope` (see `Scope::can_see`): a case
/// counts as submitted once it has a submission time.
fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: &Scope) {
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

/// The sort value of a case without a due date: after every real date, so
/// such cases come last in ascending order, as on SQLite.
fn due_null() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).expect("9999-12-31 is a valid date")
}

/// How many matches make search terms common: more than a page's worth
/// among the newest cases is then likely.
const COMMON_MATCHES: i64 = 2000;

/// Whether a text query is likely to match at least [`COMMON_MATCHES`]
/// cases, by the planner's estimate. Counting the matches, even only that
/// far, would cost what it is meant to spare: a GIN index gives no match
/// before it has built the bitmap of them all (30 ms for a word found in 5 %
/// of a million cases), while the estimate comes from the lexeme statistics
/// that ANALYZE keeps, for the price of planning. Where there are no
/// statistics yet the estimate is small, and the query takes the path of
/// rare terms: slower for a common word, never wrong.
async fn common_terms(conn: &mut PgConnection, tsquery: &str) -> Result<bool> {
    let plan: serde_json::Value = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM cases WHERE search_vector @@ to_tsquery('simple', $1)",
    )
    .bind(tsquery)
    .fetch_one(conn)
    .await
    .map_err(db)?;
    let rows = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0);
    Ok(rows >= COMMON_MATCHES as f64)
}

/// Appends the scope and every filter of `q` but its cursor; `ts` is the
/// text query of its terms (`Some(None)` when they can match nothing).
/// With `common`, the match is written so that the GIN index cannot serve
/// it, and the query walks the queue's index instead.
fn push_filters(
    qb: &mut QueryBuilder<'_, Postgres>,
    q: &CaseQuery,
    ts: Option<&Option<String>>,
    common: bool,
) {
    push_scope(qb, &q.scope);
    if !q.states.is_empty() {
        qb.push(" AND c.state = ANY(")
            .push_bind(q.states.clone())
            .push(")");
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
            .push_bind(v);
    }
    if let Some(v) = q.created_from {
        qb.push(" AND c.created_at >= ").push_bind(v);
    }
    if let Some(v) = q.created_to {
        qb.push(" AND c.created_at < ").push_bind(v);
    }
    match ts {
        Some(Some(t)) => {
            qb.push(if common {
                " AND (c.search_vector || ''::tsvector) @@ to_tsquery('simple', "
            } else {
                " AND c.search_vector @@ to_tsquery('simple', "
            })
            .push_bind(t.clone())
            .push(")");
        }
        Some(None) => {
            qb.push(" AND false");
        }
        None => {}
    }
}

mod filing;
mod writes;
pub(crate) use filing::Filer;
pub(crate) use writes::*;

#[async_trait]
impl CaseRead for PostgresTx {
    async fn list_case_types(&mut self) -> Result<Vec<CaseType>> {
        let rows = sqlx::query(
            r#"SELECT * FROM case_types ORDER BY workflow COLLATE "C", code COLLATE "C""#,
        )
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(case_type_from).collect()
    }

    async fn get_case_type(&mut self, id: Uuid) -> Result<Option<CaseType>> {
        let r = sqlx::query("SELECT * FROM case_types WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(case_type_from).transpose()
    }

    async fn get_case(&mut self, id: Uuid) -> Result<Option<Case>> {
        // Several nodes may act on the same case at once: the row lock makes
        // the second wait until the first commits, then read what it wrote,
        // so no transition is decided on a stale state. A read-only
        // transaction may not lock rows and has nothing to protect.
        let sql = if self.read_only {
            concat!("SELECT ", case_columns!(), " FROM cases WHERE id = $1")
        } else {
            concat!(
                "SELECT ",
                case_columns!(),
                " FROM cases WHERE id = $1 FOR UPDATE"
            )
        };
        let r = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn case_by_tracking(&mut self, tracking: &str) -> Result<Option<Case>> {
        let r = sqlx::query(concat!(
            "SELECT ",
            case_columns!(),
            " FROM cases WHERE tracking_number = $1"
        ))
        .bind(tracking)
        .fetch_optional(self.conn().await?)
        .await
        .map_err(db)?;
        r.as_ref().map(case_from).transpose()
    }

    async fn list_cases(&mut self, q: &CaseQuery) -> Result<Vec<CaseRow>> {
        // A search runs inside a subquery that OFFSET 0 keeps the planner from
        // merging into the outer query. PostgreSQL cannot estimate how many
        // cases a prefix search matches, and when it guesses too many it walks
        // the queue's (updated_at, id) index hoping to meet 25 matches soon; a
        // search for a tracking number, which matches one case, then reads the
        // whole table (most of a second at a million cases). Fenced, the
        // matches come from the GIN index and only they are sorted, so a
        // search costs what its matches cost: about a millisecond for a
        // tracking number, and under a second for a word found in all of a
        // million cases.
        let ts = if q.terms.is_empty() {
            None
        } else {
            Some(tsquery(&q.terms))
        };
        // A word found in many cases is the opposite: fenced, its tens of
        // thousands of matches are all sorted; unfenced, with the match
        // written so that the GIN index cannot serve it, the queue's index is
        // walked and a page needs only a few hundred rows checked.
        let common = match &ts {
            Some(Some(t)) => common_terms(self.conn().await?, t).await?,
            _ => false,
        };
        let search = ts.is_some() && !common;
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new(concat!("SELECT ", case_row_columns!(), " FROM "));
        if search {
            qb.push(concat!(
                "(SELECT ",
                case_row_columns!(),
                " FROM cases c WHERE true"
            ));
        } else {
            qb.push("cases c WHERE true");
        }
        push_filters(&mut qb, q, ts.as_ref(), common);
        let (col, op, dir) = match (q.sort, q.descending) {
            (SortKey::Updated, true) => ("c.updated_at", "<", "DESC"),
            (SortKey::Updated, false) => ("c.updated_at", ">", "ASC"),
            (SortKey::Created, true) => ("c.created_at", "<", "DESC"),
            (SortKey::Created, false) => ("c.created_at", ">", "ASC"),
            (SortKey::Due, true) => ("COALESCE(c.due_date, DATE '9999-12-31')", "<", "DESC"),
            (SortKey::Due, false) => ("COALESCE(c.due_date, DATE '9999-12-31')", ">", "ASC"),
        };
        match &q.after {
            Some(Cursor::Time(t, id)) => {
                qb.push(format!(" AND ({col}, c.id) {op} ("))
                    .push_bind(*t)
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            Some(Cursor::Date(d, id)) => {
                let d = d.unwrap_or_else(due_null);
                qb.push(format!(" AND ({col}, c.id) {op} ("))
                    .push_bind(d)
                    .push(", ")
                    .push_bind(*id)
                    .push(")");
            }
            None => {}
        }
        if search {
            qb.push(" OFFSET 0) c");
        }
        qb.push(format!(" ORDER BY {col} {dir}, c.id {dir} LIMIT "))
            .push_bind(q.limit);
        let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
        rows.iter().map(case_row_from).collect()
    }

    async fn count_matching(&mut self, q: &CaseQuery, bound: i64) -> Result<i64> {
        let ts = (!q.terms.is_empty()).then(|| tsquery(&q.terms));
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE true");
        push_filters(&mut qb, q, ts.as_ref(), false);
        qb.push(" LIMIT ").push_bind(bound).push(") t");
        qb.build_query_scalar()
            .fetch_one(self.conn().await?)
            .await
            .map_err(db)
    }

    async fn count_cases(&mut self, q: &CaseCount) -> Result<CaseCounts> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "SELECT COUNT(*) AS open, COUNT(*) FILTER (WHERE c.overdue) AS overdue,
                    COUNT(*) FILTER (WHERE c.clock = 'running' AND NOT c.overdue AND c.due_date <= ",
        );
        qb.push_bind(q.due_soon_by);
        qb.push(
            ") AS due_soon, COUNT(*) FILTER (WHERE c.clock = 'paused') AS paused
             FROM cases c WHERE c.clock IN ('running', 'paused')",
        );
        push_scope(&mut qb, &q.scope);
        if let Some(v) = q.holder_org_id {
            qb.push(" AND c.holder_org_id = ").push_bind(v);
        }
        let r = qb.build().fetch_one(self.conn().await?).await.map_err(db)?;
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
            .fetch_all(self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(event_from).collect()
    }

    async fn list_messages(
        &mut self,
        case_id: Uuid,
        include_internal: bool,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query("SELECT * FROM case_messages WHERE case_id = $1 AND ($2::boolean OR NOT internal) ORDER BY at, id")
            .bind(case_id)
            .bind(include_internal)
            .fetch_all(self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(message_from).collect()
    }

    async fn list_attachments(&mut self, case_id: Uuid) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT * FROM attachments WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(self.conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(attachment_from).collect()
    }

    async fn get_attachment(&mut self, id: Uuid) -> Result<Option<Attachment>> {
        let r = sqlx::query("SELECT * FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(attachment_from).transpose()
    }

    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE clock = 'running' AND overdue = false AND due_date < $1")
            .bind(today)
            .fetch_one(self.conn().await?)
            .await
            .map_err(db)
    }
}

#[async_trait]
impl CaseRepo for PostgresTx {
    async fn upsert_case_type(&mut self, t: &CaseType) -> Result<()> {
        sqlx::query(
            "INSERT INTO case_types (id, code, workflow, prefix, name_ar, name_en, name_fr, default_department_id, auto_route, deadline_days, active, field_defs)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, workflow = EXCLUDED.workflow, prefix = EXCLUDED.prefix,
               name_ar = EXCLUDED.name_ar, name_en = EXCLUDED.name_en, name_fr = EXCLUDED.name_fr,
               default_department_id = EXCLUDED.default_department_id, auto_route = EXCLUDED.auto_route,
               deadline_days = EXCLUDED.deadline_days, active = EXCLUDED.active, field_defs = EXCLUDED.field_defs",
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
        .bind(serde_json::to_value(&t.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn next_tracking_seq(&mut self, prefix: &str, year: i32) -> Result<u64> {
        // The upsert locks the sequence's row until the transaction ends, so
        // two nodes filing at once get consecutive numbers and never the same.
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO tracking_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = tracking_sequences.last + 1 RETURNING last",
        )
        .bind(prefix)
        .bind(year)
        .fetch_one(self.conn().await?)
        .await
        .map_err(db)?;
        u64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("tracking sequence {prefix} {year}: {n}")))
    }

    async fn insert_case(&mut self, c: &Case) -> Result<()> {
        self.hold(Write::Cases(vec![c.clone()]));
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
        // SKIP LOCKED lets sweeps on several nodes run at once: each claims
        // cases the others have not locked, and a case another sweep marked
        // and committed no longer passes `overdue = false` when re-checked
        // under the lock. Oldest deadlines go first, along the partial index.
        let rows = sqlx::query(concat!(
            "UPDATE cases SET overdue = true WHERE id IN (
                SELECT id FROM cases WHERE clock = 'running' AND overdue = false AND due_date < $1
                ORDER BY due_date LIMIT $2 FOR UPDATE SKIP LOCKED
             ) RETURNING ",
            case_columns!()
        ))
        .bind(today)
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
