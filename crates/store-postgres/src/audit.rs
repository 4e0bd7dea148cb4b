//! The audit trail on PostgreSQL: appended to and searched, never changed.

use crate::convert::*;
use crate::PostgresTx;
use async_trait::async_trait;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

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
