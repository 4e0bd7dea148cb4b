//! The audit trail on SQLite: appended to and searched, never changed.

use crate::convert::*;
use crate::{SqliteTx, Write};
use async_trait::async_trait;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

fn audit_from(r: &SqliteRow) -> Result<AuditRecord> {
    let details: String = r.try_get("details").map_err(db)?;
    Ok(AuditRecord {
        id: r.try_get("id").map_err(db)?,
        at: from_ts(r.try_get("at").map_err(db)?)?,
        actor_id: r.try_get("actor_id").map_err(db)?,
        actor_name: r.try_get("actor_name").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        object_type: r.try_get("object_type").map_err(db)?,
        object_id: r.try_get("object_id").map_err(db)?,
        ip: r.try_get("ip").map_err(db)?,
        details: serde_json::from_str(&details).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// Appends one multi-row INSERT of audit records to a batch of held-back
/// writes.
pub(crate) fn push_append(qb: &mut QueryBuilder<'_, Sqlite>, rows: &[AuditRecord]) {
    qb.push("INSERT INTO audit_log (id, at, actor_id, actor_name, org_id, action, object_type, object_id, ip, details) ");
    qb.push_values(rows, |mut b, a| {
        b.push_bind(a.id)
            .push_bind(ts(a.at))
            .push_bind(a.actor_id)
            .push_bind(a.actor_name.clone())
            .push_bind(a.org_id)
            .push_bind(a.action.clone())
            .push_bind(a.object_type.clone())
            .push_bind(a.object_id.clone())
            .push_bind(a.ip.clone())
            .push_bind(a.details.to_string());
    });
    qb.push(";");
}

#[async_trait]
impl AuditRead for SqliteTx {
    async fn search_audit(&mut self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(v) = q.actor_id {
            qb.push(" AND actor_id = ").push_bind(v);
        }
        if let Some(v) = q.org_id {
            qb.push(" AND org_id = ").push_bind(v);
        }
        if let Some(v) = &q.action_prefix {
            qb.push(" AND action LIKE ")
                .push_bind(diwan_store::like_prefix(v))
                .push(" ESCAPE '\\'");
        }
        if let Some(v) = &q.object_id {
            qb.push(" AND object_id = ").push_bind(v.clone());
        }
        if let Some(v) = q.from {
            qb.push(" AND at >= ").push_bind(ts(v));
        }
        if let Some(v) = q.to {
            qb.push(" AND at < ").push_bind(ts(v));
        }
        if let Some((t, id)) = q.before {
            qb.push(" AND (at, id) < (")
                .push_bind(ts(t))
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        qb.push(" ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(q.limit);
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(audit_from).collect()
    }
}

#[async_trait]
impl AuditRepo for SqliteTx {
    async fn append_audit(&mut self, r: &[AuditRecord]) -> Result<()> {
        if !r.is_empty() {
            self.hold(Write::Audit(r.to_vec()));
        }
        Ok(())
    }
}
