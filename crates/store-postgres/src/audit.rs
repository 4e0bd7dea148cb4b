//! The audit trail on PostgreSQL: appended to and searched, never changed.

use crate::convert::*;
use crate::pending::Rows;
use crate::{PostgresTx, Write};
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

/// Appends one INSERT of audit records (for a batch of held-back writes).
pub(crate) fn push_append(qb: &mut QueryBuilder<'_, Postgres>, rows: &[AuditRecord]) {
    qb.push("INSERT INTO audit_log (id, at, actor_id, actor_name, org_id, action, object_type, object_id, ip, details) ");
    Rows::new(qb, rows)
        .column("uuid", |a| a.id)
        .column("timestamptz", |a| a.at)
        .column("uuid", |a| a.actor_id)
        .column("text", |a| a.actor_name.clone())
        .column("uuid", |a| a.org_id)
        .column("text", |a| a.action.clone())
        .column("text", |a| a.object_type.clone())
        .column("text", |a| a.object_id.clone())
        .column("text", |a| a.ip.clone())
        .column("jsonb", |a| a.details.clone())
        .end();
}

#[async_trait]
impl AuditRead for PostgresTx {
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
        let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
        rows.iter().map(audit_from).collect()
    }
}

#[async_trait]
impl AuditRepo for PostgresTx {
    async fn append_audit(&mut self, r: &[AuditRecord]) -> Result<()> {
        if !r.is_empty() {
            self.hold(Write::Audit(r.to_vec()));
        }
        Ok(())
    }
}
