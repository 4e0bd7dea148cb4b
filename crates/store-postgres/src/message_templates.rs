//! Message templates on PostgreSQL: one row per template, its
//! placeholders and samples as JSON.

use crate::convert::*;
use crate::PostgresTx;
use async_trait::async_trait;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

fn template_from(r: &PgRow) -> Result<MessageTemplate> {
    let json = |col: &str| -> Result<String> { r.try_get::<String, _>(col).map_err(db) };
    let corrupt = |what: &str| StoreError::Corrupt(format!("message template {what}"));
    Ok(MessageTemplate {
        id: r.try_get("id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        template: diwan_domain::messaging::template::Template {
            name: r.try_get("name").map_err(db)?,
            kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "kind")?,
            texts: diwan_domain::messaging::template::Texts {
                ar: r.try_get("text_ar").map_err(db)?,
                en: r.try_get("text_en").map_err(db)?,
                fr: r.try_get("text_fr").map_err(db)?,
            },
            placeholders: serde_json::from_str(&json("placeholders")?)
                .map_err(|_| corrupt("placeholders"))?,
            samples: serde_json::from_str(&json("samples")?).map_err(|_| corrupt("samples"))?,
        },
        created_by: r.try_get("created_by").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        updated_at: r.try_get("updated_at").map_err(db)?,
        archived_at: r.try_get("archived_at").map_err(db)?,
    })
}

#[async_trait]
impl TemplateRead for PostgresTx {
    async fn get_message_template(&mut self, id: Uuid) -> Result<Option<MessageTemplate>> {
        let r = sqlx::query("SELECT * FROM message_templates WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(template_from).transpose()
    }

    async fn list_message_templates(
        &mut self,
        org_id: Option<Uuid>,
    ) -> Result<Vec<MessageTemplate>> {
        let rows = sqlx::query(
            "SELECT * FROM message_templates WHERE archived_at IS NULL AND ($1::uuid IS NULL OR org_id = $1) ORDER BY name, id LIMIT 500",
        )
        .bind(org_id)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(template_from).collect()
    }
}

#[async_trait]
impl TemplateRepo for PostgresTx {
    async fn save_message_template(&mut self, t: &MessageTemplate) -> Result<()> {
        let d = &t.template;
        sqlx::query(
            "INSERT INTO message_templates (id, org_id, name, kind, text_ar, text_en, text_fr, placeholders, samples, \
             created_by, created_at, updated_at, archived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, text_ar = excluded.text_ar, \
             text_en = excluded.text_en, text_fr = excluded.text_fr, placeholders = excluded.placeholders, \
             samples = excluded.samples, updated_at = excluded.updated_at, archived_at = excluded.archived_at",
        )
        .bind(t.id)
        .bind(t.org_id)
        .bind(&d.name)
        .bind(d.kind.as_str())
        .bind(&d.texts.ar)
        .bind(&d.texts.en)
        .bind(&d.texts.fr)
        .bind(serde_json::to_string(&d.placeholders).unwrap_or_default())
        .bind(serde_json::to_string(&d.samples).unwrap_or_default())
        .bind(t.created_by)
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(t.archived_at)
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }
}
