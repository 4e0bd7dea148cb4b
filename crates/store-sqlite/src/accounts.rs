//! Accounts on SQLite: people, sign-in state, sessions and personal API tokens.

use crate::convert::*;
use crate::SqliteTx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

fn user_from(r: &SqliteRow) -> Result<User> {
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
        locked_until: from_ts_opt(r.try_get("locked_until").map_err(db)?)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
    })
}

fn split_scopes(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn token_from(r: &SqliteRow) -> Result<ApiToken> {
    let scopes: String = r.try_get("scopes").map_err(db)?;
    Ok(ApiToken {
        id: r.try_get("id").map_err(db)?,
        user_id: r.try_get("user_id").map_err(db)?,
        name: r.try_get("name").map_err(db)?,
        token_hash: r.try_get("token_hash").map_err(db)?,
        scopes: split_scopes(&scopes),
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        expires_at: from_ts_opt(r.try_get("expires_at").map_err(db)?)?,
        revoked_at: from_ts_opt(r.try_get("revoked_at").map_err(db)?)?,
    })
}

#[async_trait]
impl UserRead for SqliteTx {
    async fn get_user(&mut self, id: Uuid) -> Result<Option<User>> {
        let r = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(user_from).transpose()
    }

    async fn user_by_username(&mut self, username: &str) -> Result<Option<User>> {
        let r = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(user_from).transpose()
    }

    async fn list_users(&mut self, org_id: Option<Uuid>) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT * FROM users WHERE ($1 IS NULL OR org_id = $1) ORDER BY username")
                .bind(org_id)
                .fetch_all(self.read_conn().await?)
                .await
                .map_err(db)?;
        rows.iter().map(user_from).collect()
    }

    async fn count_users(&mut self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(self.read_conn().await?)
            .await
            .map_err(db)
    }

    async fn get_users(&mut self, ids: &[Uuid]) -> Result<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM users WHERE id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        qb.push(")");
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(user_from).collect()
    }

    async fn session_by_hash(&mut self, h: &[u8]) -> Result<Option<(Session, User)>> {
        let r = sqlx::query(
            "SELECT s.token_hash AS s_token_hash, s.user_id AS s_user_id, s.csrf_token AS s_csrf_token,
                    s.created_at AS s_created_at, s.expires_at AS s_expires_at, s.ip AS s_ip, u.*
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(h)
        .fetch_optional(self.read_conn().await?)
        .await
        .map_err(db)?;
        let Some(r) = r else { return Ok(None) };
        let session = Session {
            token_hash: r.try_get("s_token_hash").map_err(db)?,
            user_id: r.try_get("s_user_id").map_err(db)?,
            csrf_token: r.try_get("s_csrf_token").map_err(db)?,
            created_at: from_ts(r.try_get("s_created_at").map_err(db)?)?,
            expires_at: from_ts(r.try_get("s_expires_at").map_err(db)?)?,
            ip: r.try_get("s_ip").map_err(db)?,
        };
        Ok(Some((session, user_from(&r)?)))
    }

    async fn api_token_by_hash(&mut self, h: &[u8]) -> Result<Option<(ApiToken, User)>> {
        let r = sqlx::query(
            "SELECT t.id AS t_id, t.user_id AS t_user_id, t.name AS t_name, t.token_hash AS t_token_hash,
                    t.scopes AS t_scopes, t.created_at AS t_created_at, t.expires_at AS t_expires_at,
                    t.revoked_at AS t_revoked_at, u.*
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(h)
        .fetch_optional(self.read_conn().await?)
        .await
        .map_err(db)?;
        let Some(r) = r else { return Ok(None) };
        let scopes: String = r.try_get("t_scopes").map_err(db)?;
        let token = ApiToken {
            id: r.try_get("t_id").map_err(db)?,
            user_id: r.try_get("t_user_id").map_err(db)?,
            name: r.try_get("t_name").map_err(db)?,
            token_hash: r.try_get("t_token_hash").map_err(db)?,
            scopes: split_scopes(&scopes),
            created_at: from_ts(r.try_get("t_created_at").map_err(db)?)?,
            expires_at: from_ts_opt(r.try_get("t_expires_at").map_err(db)?)?,
            revoked_at: from_ts_opt(r.try_get("t_revoked_at").map_err(db)?)?,
        };
        Ok(Some((token, user_from(&r)?)))
    }

    async fn list_api_tokens(&mut self, user_id: Uuid) -> Result<Vec<ApiToken>> {
        let rows =
            sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC")
                .bind(user_id)
                .fetch_all(self.read_conn().await?)
                .await
                .map_err(db)?;
        rows.iter().map(token_from).collect()
    }
}

#[async_trait]
impl UserRepo for SqliteTx {
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
            .bind(ts_opt(u.locked_until))
            .bind(ts(u.created_at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
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
        .bind(ts(lock_until))
        .fetch_one(self.conn().await?)
        .await
        .map_err(db)?;
        Ok((
            r.try_get("failed_attempts").map_err(db)?,
            from_ts_opt(r.try_get("locked_until").map_err(db)?)?,
        ))
    }

    async fn record_sign_in_success(&mut self, id: Uuid) -> Result<()> {
        sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_password(&mut self, id: Uuid, hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $2, failed_attempts = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .bind(hash)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_locale(&mut self, id: Uuid, locale: &str) -> Result<()> {
        sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
            .bind(id)
            .bind(locale)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&s.token_hash)
            .bind(s.user_id)
            .bind(&s.csrf_token)
            .bind(ts(s.created_at))
            .bind(ts(s.expires_at))
            .bind(&s.ip)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn touch_session(&mut self, h: &[u8], expires_at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET expires_at = $2 WHERE token_hash = $1")
            .bind(h)
            .bind(ts(expires_at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_session(&mut self, h: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(h)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_user_sessions(&mut self, user_id: Uuid) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn end_other_sessions(&mut self, user_id: Uuid, keep: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(self.conn().await?)
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
            .bind(t.scopes.join(","))
            .bind(ts(t.created_at))
            .bind(ts_opt(t.expires_at))
            .bind(ts_opt(t.revoked_at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
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
            .bind(ts(at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn revoke_user_tokens(&mut self, user_id: Uuid, at: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(ts(at))
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(r.rows_affected())
    }
}
