//! The repository traits on PostgreSQL: plain SQL, one statement per method.
//!
//! Parameters that appear only in `IS NULL` tests or as bare booleans carry
//! an explicit cast (`$2::uuid`, `$2::boolean`), so that the statement's
//! parameter types never depend on what PostgreSQL can infer from context.

use crate::convert::*;
use crate::PostgresTx;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diwan_domain::workflow::Scope;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

fn org_from(r: &PgRow) -> Result<Organization> {
    Ok(Organization {
        id: r.try_get("id").map_err(db)?,
        parent_id: r.try_get("parent_id").map_err(db)?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "org kind")?,
        code: r.try_get("code").map_err(db)?,
        name_ar: r.try_get("name_ar").map_err(db)?,
        name_en: r.try_get("name_en").map_err(db)?,
        name_fr: r.try_get("name_fr").map_err(db)?,
        time_zone: r.try_get("time_zone").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
    })
}

// Lists are ordered with COLLATE "C" so that they come out in code-point
// order, as SQLite's BINARY collation sorts them, whatever locale the
// database was created with.

#[async_trait]
impl OrgRepo for PostgresTx {
    async fn insert_org(&mut self, o: &Organization) -> Result<()> {
        sqlx::query("INSERT INTO organizations (id, parent_id, kind, code, name_ar, name_en, name_fr, time_zone, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(o.id)
            .bind(o.parent_id)
            .bind(o.kind.as_str())
            .bind(&o.code)
            .bind(&o.name_ar)
            .bind(&o.name_en)
            .bind(&o.name_fr)
            .bind(&o.time_zone)
            .bind(o.created_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn get_org(&mut self, id: Uuid) -> Result<Option<Organization>> {
        let r = sqlx::query("SELECT * FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(org_from).transpose()
    }

    async fn list_orgs(&mut self) -> Result<Vec<Organization>> {
        let rows = sqlx::query(
            r#"SELECT * FROM organizations ORDER BY kind COLLATE "C", code COLLATE "C""#,
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(org_from).collect()
    }

    async fn insert_holiday(&mut self, org_id: Uuid, day: NaiveDate, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO holidays (org_id, day, name) VALUES ($1, $2, $3) ON CONFLICT (org_id, day) DO UPDATE SET name = EXCLUDED.name")
            .bind(org_id)
            .bind(day)
            .bind(name)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn holidays(
        &mut self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>> {
        sqlx::query_scalar(
            "SELECT day FROM holidays WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(org_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)
    }
}

fn user_from(r: &PgRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id").map_err(db)?,
        username: r.try_get("username").map_err(db)?,
        display_name: r.try_get("display_name").map_err(db)?,
        role: parse(&r.try_get::<String, _>("role").map_err(db)?, "role")?,
        org_id: r.try_get("org_id").map_err(db)?,
        password_hash: r.try_get("password_hash").map_err(db)?,
        locale: r.try_get("locale").map_err(db)?,
        active: r.try_get("active").map_err(db)?,
        failed_attempts: r.try_get("failed_attempts").map_err(db)?,
        locked_until: r.try_get("locked_until").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
    })
}

fn session_from(r: &PgRow) -> Result<Session> {
    Ok(Session {
        token_hash: r.try_get("token_hash").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        csrf_token: r.try_get("csrf_token").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        expires_at: r.try_get("expires_at").map_err(db)?,
        ip: r.try_get("ip").map_err(db)?,
    })
}

fn token_from(r: &PgRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        name: r.try_get("name").map_err(db)?,
        token_hash: r.try_get("token_hash").map_err(db)?,
        scopes: r.try_get("scopes").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        expires_at: r.try_get("expires_at").map_err(db)?,
        revoked_at: r.try_get("revoked_at").map_err(db)?,
    })
}

#[async_trait]
impl UserRepo for PostgresTx {
    async fn insert_user(&mut self, u: &User) -> Result<()> {
        sqlx::query("INSERT INTO users (id, username, display_name, role, org_id, password_hash, locale, active, failed_attempts, locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(u.id)
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(u.role.as_str())
            .bind(u.org_id)
            .bind(&u.password_hash)
            .bind(&u.locale)
            .bind(u.active)
            .bind(u.failed_attempts)
            .bind(u.locked_until)
            .bind(u.created_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn get_user(&mut self, id: Uuid) -> Result<Option<User>> {
        let r = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(user_from).transpose()
    }

    async fn user_by_username(&mut self, username: &str) -> Result<Option<User>> {
        // The same expression as the unique index, so the look-up uses it.
        let r = sqlx::query("SELECT * FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(user_from).transpose()
    }

    async fn list_users(&mut self, org_id: Option<Uuid>) -> Result<Vec<User>> {
        // SQLite sorts its NOCASE user names without regard to case.
        let rows = sqlx::query(r#"SELECT * FROM users WHERE ($1::uuid IS NULL OR org_id = $1) ORDER BY lower(username) COLLATE "C""#)
            .bind(org_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(user_from).collect()
    }

    async fn count_users(&mut self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)
    }

    async fn record_sign_in_failure(
        &mut self,
        id: Uuid,
        threshold: i32,
        lock_until: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>)> {
        let r = sqlx::query(
            "UPDATE users SET failed_attempts = failed_attempts + 1, \
             locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 RETURNING failed_attempts, locked_until",
        )
        .bind(id)
        .bind(threshold)
        .bind(lock_until)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok((
            r.try_get("failed_attempts").map_err(db)?,
            r.try_get("locked_until").map_err(db)?,
        ))
    }

    async fn record_sign_in_success(&mut self, id: Uuid) -> Result<()> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_password(&mut self, id: Uuid, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2, failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .bind(hash)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_locale(&mut self, id: Uuid, locale: &str) -> Result<()> {
        sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
            .bind(id)
            .bind(locale)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&s.token_hash)
            .bind(s.user_id)
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.expires_at)
            .bind(&s.ip)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session_by_hash(&mut self, h: &[u8]) -> Result<Option<Session>> {
        let r = sqlx::query("SELECT * FROM sessions WHERE token_hash = $1")
            .bind(h)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(session_from).transpose()
    }

    async fn touch_session(&mut self, h: &[u8], expires_at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET expires_at = $2 WHERE token_hash = $1")
            .bind(h)
            .bind(expires_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_session(&mut self, h: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(h)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_user_sessions(&mut self, user_id: Uuid) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_api_token(&mut self, t: &ApiToken) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(t.id)
            .bind(t.user_id)
            .bind(&t.name)
            .bind(&t.token_hash)
            .bind(&t.scopes)
            .bind(t.created_at)
            .bind(t.expires_at)
            .bind(t.revoked_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn api_token_by_hash(&mut self, h: &[u8]) -> Result<Option<ApiToken>> {
        let r = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
            .bind(h)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        r.as_ref().map(token_from).transpose()
    }

    async fn list_api_tokens(&mut self, user_id: Uuid) -> Result<Vec<ApiToken>> {
        let rows =
            sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
                .bind(user_id)
                .fetch_all(&mut *self.tx)
                .await
                .map_err(db)?;
        rows.iter().map(token_from).collect()
    }

    async fn revoke_api_token(
        &mut self,
        user_id: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(user_id)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn revoke_user_tokens(&mut self, user_id: Uuid, at: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(r.rows_affected())
    }
}

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
        "c.id, c.tracking_number, c.case_type_id, c.subject, c.state, c.filer_org_id, c.holder_org_id, c.holder_since, \
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
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn list_case_types(&mut self) -> Result<Vec<CaseType>> {
        let rows = sqlx::query(
            r#"SELECT * FROM case_types ORDER BY workflow COLLATE "C", code COLLATE "C""#,
        )
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
        // The upsert locks the sequence's row until the transaction ends, so
        // two nodes filing at once get consecutive numbers and never the same.
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO tracking_sequences (prefix, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (prefix, year) DO UPDATE SET last = tracking_sequences.last + 1 RETURNING last",
        )
        .bind(prefix)
        .bind(year)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        u64::try_from(n)
            .map_err(|_| StoreError::Corrupt(format!("tracking sequence {prefix} {year}: {n}")))
    }

    async fn insert_case(&mut self, c: &Case) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO cases (",
            case_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(c.id)
        .bind(c.case_type_id)
        .bind(&c.tracking_number)
        .bind(&c.subject)
        .bind(&c.body)
        .bind(&c.fields)
        .bind(c.filer_org_id)
        .bind(c.filer_user_id)
        .bind(c.holder_org_id)
        .bind(c.holder_since)
        .bind(c.assignee_id)
        .bind(&c.state)
        .bind(c.clock.as_str())
        .bind(c.due_date)
        .bind(c.paused_days_left)
        .bind(c.overdue)
        .bind(c.submitted_at)
        .bind(c.closed_at)
        .bind(c.created_at)
        .bind(c.updated_at)
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
        .bind(&c.fields)
        .bind(c.holder_org_id)
        .bind(c.holder_since)
        .bind(c.assignee_id)
        .bind(&c.state)
        .bind(c.clock.as_str())
        .bind(c.due_date)
        .bind(c.paused_days_left)
        .bind(c.overdue)
        .bind(c.submitted_at)
        .bind(c.closed_at)
        .bind(c.updated_at)
        .bind(&c.search_text)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
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
            .fetch_optional(&mut *self.tx)
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
        .fetch_optional(&mut *self.tx)
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
        let search = !q.terms.is_empty();
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
        push_scope(&mut qb, &q.scope);
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
        if search {
            match tsquery(&q.terms) {
                Some(t) => {
                    qb.push(" AND c.search_vector @@ to_tsquery('simple', ")
                        .push_bind(t)
                        .push(")");
                }
                None => {
                    qb.push(" AND false");
                }
            }
        }
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
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter().map(case_row_from).collect()
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
            .bind(e.at)
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
            .bind(m.at)
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
        let rows = sqlx::query("SELECT * FROM case_messages WHERE case_id = $1 AND ($2::boolean OR NOT internal) ORDER BY at, id")
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
            .bind(a.at)
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
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(case_from).collect()
    }

    async fn pending_overdue(&mut self, today: NaiveDate) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE clock = 'running' AND overdue = false AND due_date < $1")
            .bind(today)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)
    }
}

fn audit_from(r: &PgRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: r.try_get("id").map_err(db)?,
        at: r.try_get("at").map_err(db)?,
        actor_id: r.try_get("actor_id").map_err(db)?,
        actor_name: r.try_get("actor_name").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        object_type: r.try_get("object_type").map_err(db)?,
        object_id: r.try_get("object_id").map_err(db)?,
        ip: r.try_get("ip").map_err(db)?,
        details: r.try_get("details").map_err(db)?,
    })
}

#[async_trait]
impl AuditRepo for PostgresTx {
    async fn append_audit(&mut self, a: &AuditRecord) -> Result<()> {
        sqlx::query("INSERT INTO audit_log (id, at, actor_id, actor_name, org_id, action, object_type, object_id, ip, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(a.id)
            .bind(a.at)
            .bind(a.actor_id)
            .bind(&a.actor_name)
            .bind(a.org_id)
            .bind(&a.action)
            .bind(&a.object_type)
            .bind(&a.object_id)
            .bind(&a.ip)
            .bind(&a.details)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn search_audit(&mut self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT * FROM audit_log WHERE true");
        if let Some(v) = q.actor_id {
            qb.push(" AND actor_id = ").push_bind(v);
        }
        if let Some(v) = q.org_id {
            qb.push(" AND org_id = ").push_bind(v);
        }
        if let Some(v) = &q.action_prefix {
            // SQLite's LIKE ignores the case of ASCII letters; ILIKE does the
            // same here. Both escape the pattern's characters with a backslash.
            qb.push(" AND action ILIKE ")
                .push_bind(diwan_store::like_prefix(v))
                .push(" ESCAPE '\\'");
        }
        if let Some(v) = &q.object_id {
            qb.push(" AND object_id = ").push_bind(v.clone());
        }
        if let Some(v) = q.from {
            qb.push(" AND at >= ").push_bind(v);
        }
        if let Some(v) = q.to {
            qb.push(" AND at < ").push_bind(v);
        }
        if let Some((t, id)) = q.before {
            qb.push(" AND (at, id) < (")
                .push_bind(t)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        qb.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(q.limit);
        let rows = qb.build().fetch_all(&mut *self.tx).await.map_err(db)?;
        rows.iter().map(audit_from).collect()
    }
}

fn notification_from(r: &PgRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        case_id: r.try_get("case_id").map_err(db)?,
        kind: r.try_get("kind").map_err(db)?,
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        at: r.try_get("at").map_err(db)?,
        read_at: r.try_get("read_at").map_err(db)?,
    })
}

#[async_trait]
impl NotificationRepo for PostgresTx {
    async fn insert_notification(&mut self, n: &Notification) -> Result<()> {
        sqlx::query("INSERT INTO notifications (id, user_id, case_id, kind, tracking_number, at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(n.id)
            .bind(n.user_id)
            .bind(n.case_id)
            .bind(&n.kind)
            .bind(&n.tracking_number)
            .bind(n.at)
            .bind(n.read_at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn list_notifications(
        &mut self,
        user_id: Uuid,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let rows = sqlx::query("SELECT * FROM notifications WHERE user_id = $1 AND (NOT $2::boolean OR read_at IS NULL) ORDER BY at DESC, id DESC LIMIT $3")
            .bind(user_id)
            .bind(unread_only)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(notification_from).collect()
    }

    async fn count_unread(&mut self, user_id: Uuid) -> Result<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)
    }

    async fn mark_notification_read(
        &mut self,
        user_id: Uuid,
        id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let r = sqlx::query("UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2) AND read_at IS NULL")
            .bind(user_id)
            .bind(id)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(r.rows_affected())
    }
}
