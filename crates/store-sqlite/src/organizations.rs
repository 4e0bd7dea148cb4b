//! Organizations and their holidays on SQLite.

use crate::convert::*;
use crate::SqliteTx;
use async_trait::async_trait;
use chrono::NaiveDate;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

fn org_from(r: &SqliteRow) -> Result<Organization> {
    Ok(Organization {
        id: r.try_get("id").map_err(db)?,
        parent_id: r.try_get("parent_id").map_err(db)?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "org kind")?,
        code: r.try_get("code").map_err(db)?,
        name_ar: r.try_get("name_ar").map_err(db)?,
        name_en: r.try_get("name_en").map_err(db)?,
        name_fr: r.try_get("name_fr").map_err(db)?,
        time_zone: r.try_get("time_zone").map_err(db)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
    })
}

#[async_trait]
impl OrgRead for SqliteTx {
    async fn get_org(&mut self, id: Uuid) -> Result<Option<Organization>> {
        let r = sqlx::query("SELECT * FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(org_from).transpose()
    }

    async fn list_orgs(&mut self) -> Result<Vec<Organization>> {
        let rows = sqlx::query("SELECT * FROM organizations ORDER BY kind, code")
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(org_from).collect()
    }

    async fn holidays(
        &mut self,
        org_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<NaiveDate>> {
        let days: Vec<String> = sqlx::query_scalar(
            "SELECT day FROM holidays WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(org_id)
        .bind(date(from))
        .bind(date(to))
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        days.iter().map(|d| from_date(d)).collect()
    }
}

#[async_trait]
impl OrgRepo for SqliteTx {
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
            .bind(ts(o.created_at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_holiday(&mut self, org_id: Uuid, day: NaiveDate, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO holidays (org_id, day, name) VALUES ($1, $2, $3) ON CONFLICT (org_id, day) DO UPDATE SET name = excluded.name")
            .bind(org_id)
            .bind(date(day))
            .bind(name)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }
}
