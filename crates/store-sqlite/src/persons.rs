//! The registry of persons on SQLite.

use crate::convert::*;
use crate::SqliteTx;
use async_trait::async_trait;
use diwan_domain::persons::PersonLookup;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::HashMap;
use uuid::Uuid;

fn person_from(r: &SqliteRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id").map_err(db)?,
        national_number: r.try_get("national_number").map_err(db)?,
        name_ar: r.try_get("name_ar").map_err(db)?,
        name_latin: r.try_get("name_latin").map_err(db)?,
        sex: parse(&r.try_get::<String, _>("sex").map_err(db)?, "sex")?,
        birth_date: from_date_opt(r.try_get("birth_date").map_err(db)?)?,
        mobiles: Vec::new(),
        email: r.try_get("email").map_err(db)?,
        municipality_id: r.try_get("municipality_id").map_err(db)?,
        language: parse(&r.try_get::<String, _>("language").map_err(db)?, "language")?,
        sms_opt_out_at: from_ts_opt(r.try_get("sms_opt_out_at").map_err(db)?)?,
        email_opt_out_at: from_ts_opt(r.try_get("email_opt_out_at").map_err(db)?)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(db)?)?,
        search_text: r.try_get("search_text").map_err(db)?,
    })
}

/// The persons of `rows`, each with its mobile numbers.
async fn with_mobiles(conn: &mut SqliteConnection, rows: &[SqliteRow]) -> Result<Vec<Person>> {
    let mut persons = rows.iter().map(person_from).collect::<Result<Vec<_>>>()?;
    if persons.is_empty() {
        return Ok(persons);
    }
    let mut qb: QueryBuilder<Sqlite> =
        QueryBuilder::new("SELECT person_id, mobile FROM person_mobiles WHERE person_id IN (");
    let mut sep = qb.separated(", ");
    for p in &persons {
        sep.push_bind(p.id);
    }
    qb.push(") ORDER BY person_id, position");
    let mut mobiles: HashMap<Uuid, Vec<String>> = HashMap::new();
    for r in qb.build().fetch_all(conn).await.map_err(db)? {
        mobiles
            .entry(r.try_get("person_id").map_err(db)?)
            .or_default()
            .push(r.try_get("mobile").map_err(db)?);
    }
    for p in &mut persons {
        p.mobiles = mobiles.remove(&p.id).unwrap_or_default();
    }
    Ok(persons)
}

fn import_from(r: &SqliteRow) -> Result<PersonImport> {
    let columns: String = r.try_get("columns").map_err(db)?;
    Ok(PersonImport {
        id: r.try_get("id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        created_by: r.try_get("created_by").map_err(db)?,
        file_name: r.try_get("file_name").map_err(db)?,
        file_key: r.try_get("file_key").map_err(db)?,
        file_bytes: r.try_get("file_bytes").map_err(db)?,
        delimiter: r.try_get("delimiter").map_err(db)?,
        columns: serde_json::from_str(&columns)
            .map_err(|_| StoreError::Corrupt(format!("import columns {columns}")))?,
        state: parse(
            &r.try_get::<String, _>("state").map_err(db)?,
            "import state",
        )?,
        next_offset: r.try_get("next_offset").map_err(db)?,
        next_line: r.try_get("next_line").map_err(db)?,
        created: r.try_get("created").map_err(db)?,
        updated: r.try_get("updated").map_err(db)?,
        unchanged: r.try_get("unchanged").map_err(db)?,
        rejected: r.try_get("rejected").map_err(db)?,
        lease_owner: r.try_get("lease_owner").map_err(db)?,
        lease_until: from_ts_opt(r.try_get("lease_until").map_err(db)?)?,
        error: r.try_get("error").map_err(db)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        started_at: from_ts_opt(r.try_get("started_at").map_err(db)?)?,
        finished_at: from_ts_opt(r.try_get("finished_at").map_err(db)?)?,
    })
}

fn columns_json(i: &PersonImport) -> String {
    serde_json::to_string(&i.columns).unwrap_or_else(|_| "[]".into())
}

async fn one(tx: &mut SqliteTx, mut qb: QueryBuilder<'_, Sqlite>) -> Result<Option<Person>> {
    let conn = tx.read_conn().await?;
    let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
    Ok(with_mobiles(conn, &rows).await?.into_iter().next())
}

fn push_mobiles(qb: &mut QueryBuilder<'_, Sqlite>, p: &Person) {
    if p.mobiles.is_empty() {
        return;
    }
    qb.push("INSERT INTO person_mobiles (person_id, position, mobile) ");
    qb.push_values(p.mobiles.iter().enumerate(), |mut b, (i, m)| {
        b.push_bind(p.id).push_bind(i as i64).push_bind(m.clone());
    });
    qb.push(";");
}

#[async_trait]
impl PersonRead for SqliteTx {
    async fn get_person(&mut self, id: Uuid) -> Result<Option<Person>> {
        let mut qb = QueryBuilder::new("SELECT * FROM persons WHERE id = ");
        qb.push_bind(id);
        one(self, qb).await
    }

    async fn person_by_number(&mut self, national_number: &str) -> Result<Option<Person>> {
        let mut qb = QueryBuilder::new("SELECT * FROM persons WHERE national_number = ");
        qb.push_bind(national_number.to_owned());
        one(self, qb).await
    }

    async fn persons_by_numbers(&mut self, national_numbers: &[String]) -> Result<Vec<Person>> {
        if national_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT * FROM persons WHERE national_number IN (");
        let mut sep = qb.separated(", ");
        for n in national_numbers {
            sep.push_bind(n.clone());
        }
        qb.push(")");
        let conn = self.read_conn().await?;
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
        with_mobiles(conn, &rows).await
    }

    async fn person_keys(
        &mut self,
        national_numbers: &[String],
        mobiles: &[String],
    ) -> Result<Vec<PersonKey>> {
        let mut out = Vec::new();
        // Well under SQLite's 32,766 parameters per statement.
        for chunk in national_numbers.chunks(5000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT national_number AS k, id, municipality_id FROM persons WHERE national_number IN (",
            );
            let mut sep = qb.separated(", ");
            for n in chunk {
                sep.push_bind(n.clone());
            }
            qb.push(")");
            out.extend(keys_from(
                &qb.build()
                    .fetch_all(self.read_conn().await?)
                    .await
                    .map_err(db)?,
            )?);
        }
        for chunk in mobiles.chunks(5000) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT pm.mobile AS k, p.id AS id, p.municipality_id AS municipality_id \
                 FROM person_mobiles pm JOIN persons p ON p.id = pm.person_id WHERE pm.mobile IN (",
            );
            let mut sep = qb.separated(", ");
            for m in chunk {
                sep.push_bind(m.clone());
            }
            qb.push(")");
            out.extend(keys_from(
                &qb.build()
                    .fetch_all(self.read_conn().await?)
                    .await
                    .map_err(db)?,
            )?);
        }
        Ok(out)
    }

    async fn get_import(&mut self, id: Uuid) -> Result<Option<PersonImport>> {
        let r = sqlx::query("SELECT * FROM person_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(import_from).transpose()
    }

    async fn list_imports(
        &mut self,
        org_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<PersonImport>> {
        let rows = sqlx::query(
            "SELECT * FROM person_imports WHERE ($1 IS NULL OR org_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(import_from).collect()
    }

    async fn import_rejections(
        &mut self,
        import_id: Uuid,
        after_line: i64,
        limit: i64,
    ) -> Result<Vec<ImportRejection>> {
        let rows = sqlx::query(
            "SELECT * FROM person_import_rejections WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3",
        )
        .bind(import_id)
        .bind(after_line)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(ImportRejection {
                    import_id: r.try_get("import_id").map_err(db)?,
                    line: r.try_get("line").map_err(db)?,
                    reasons: r.try_get("reasons").map_err(db)?,
                    content: r.try_get("content").map_err(db)?,
                })
            })
            .collect()
    }

    async fn search_persons(&mut self, q: &PersonQuery) -> Result<Vec<Person>> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT p.* FROM persons p WHERE 1 = 1");
        if let Some(m) = q.municipality_id {
            qb.push(" AND p.municipality_id = ").push_bind(m);
        }
        match &q.lookup {
            None => {}
            Some(PersonLookup::NationalNumber(n)) => {
                qb.push(" AND p.national_number = ")
                    .push_bind(n.to_string());
            }
            Some(PersonLookup::Mobile(m)) => {
                qb.push(" AND p.id IN (SELECT person_id FROM person_mobiles WHERE mobile = ")
                    .push_bind(m.to_string())
                    .push(")");
            }
            Some(PersonLookup::Name(words)) => {
                let terms: Vec<String> = words.split_whitespace().map(str::to_owned).collect();
                qb.push(" AND p.seq IN (SELECT rowid FROM persons_fts WHERE persons_fts MATCH ")
                    .push_bind(fts_query(&terms))
                    .push(")");
            }
        }
        if let Some(b) = q.before {
            qb.push(" AND p.seq < (SELECT seq FROM persons WHERE id = ")
                .push_bind(b)
                .push(")");
        }
        qb.push(" ORDER BY p.seq DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let conn = self.read_conn().await?;
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
        with_mobiles(conn, &rows).await
    }
}

#[async_trait]
impl PersonRepo for SqliteTx {
    async fn insert_person(&mut self, p: &Person) -> Result<()> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO persons (id, national_number, name_ar, name_latin, sex, birth_date, email, municipality_id, language, sms_opt_out_at, email_opt_out_at, created_at, updated_at, search_text) VALUES (",
        );
        let mut sep = qb.separated(", ");
        sep.push_bind(p.id)
            .push_bind(p.national_number.clone())
            .push_bind(p.name_ar.clone())
            .push_bind(p.name_latin.clone())
            .push_bind(p.sex.as_str())
            .push_bind(p.birth_date.map(date))
            .push_bind(p.email.clone())
            .push_bind(p.municipality_id)
            .push_bind(p.language.as_str())
            .push_bind(ts_opt(p.sms_opt_out_at))
            .push_bind(ts_opt(p.email_opt_out_at))
            .push_bind(ts(p.created_at))
            .push_bind(ts(p.updated_at))
            .push_bind(p.search_text.clone());
        qb.push(");");
        push_mobiles(&mut qb, p);
        qb.build().execute(self.conn().await?).await.map_err(db)?;
        Ok(())
    }

    async fn update_person(&mut self, p: &Person) -> Result<()> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("UPDATE persons SET name_ar = ");
        qb.push_bind(p.name_ar.clone())
            .push(", name_latin = ")
            .push_bind(p.name_latin.clone())
            .push(", sex = ")
            .push_bind(p.sex.as_str())
            .push(", birth_date = ")
            .push_bind(p.birth_date.map(date))
            .push(", email = ")
            .push_bind(p.email.clone())
            .push(", municipality_id = ")
            .push_bind(p.municipality_id)
            .push(", language = ")
            .push_bind(p.language.as_str())
            .push(", sms_opt_out_at = ")
            .push_bind(ts_opt(p.sms_opt_out_at))
            .push(", email_opt_out_at = ")
            .push_bind(ts_opt(p.email_opt_out_at))
            .push(", updated_at = ")
            .push_bind(ts(p.updated_at))
            .push(", search_text = ")
            .push_bind(p.search_text.clone())
            .push(" WHERE id = ")
            .push_bind(p.id)
            .push("; DELETE FROM person_mobiles WHERE person_id = ")
            .push_bind(p.id)
            .push(";");
        push_mobiles(&mut qb, p);
        qb.build().execute(self.conn().await?).await.map_err(db)?;
        Ok(())
    }

    async fn insert_import(&mut self, i: &PersonImport) -> Result<()> {
        sqlx::query(
            "INSERT INTO person_imports (id, org_id, created_by, file_name, file_key, file_bytes, delimiter, columns, state, next_offset, next_line, created, updated, unchanged, rejected, lease_owner, lease_until, error, created_at, started_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        )
        .bind(i.id)
        .bind(i.org_id)
        .bind(i.created_by)
        .bind(&i.file_name)
        .bind(&i.file_key)
        .bind(i.file_bytes)
        .bind(&i.delimiter)
        .bind(columns_json(i))
        .bind(i.state.as_str())
        .bind(i.next_offset)
        .bind(i.next_line)
        .bind(i.created)
        .bind(i.updated)
        .bind(i.unchanged)
        .bind(i.rejected)
        .bind(i.lease_owner)
        .bind(ts_opt(i.lease_until))
        .bind(&i.error)
        .bind(ts(i.created_at))
        .bind(ts_opt(i.started_at))
        .bind(ts_opt(i.finished_at))
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn claim_import(
        &mut self,
        owner: Uuid,
        now: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<PersonImport>> {
        // One writer: nobody else claims between the choice and the update.
        let r = sqlx::query(
            "UPDATE person_imports SET state = 'running', lease_owner = $1, lease_until = $3, started_at = coalesce(started_at, $2) \
             WHERE id = (SELECT id FROM person_imports WHERE state = 'queued' OR (state = 'running' AND lease_until < $2) ORDER BY created_at, id LIMIT 1) \
             RETURNING *",
        )
        .bind(owner)
        .bind(ts(now))
        .bind(ts(until))
        .fetch_optional(self.conn().await?)
        .await
        .map_err(db)?;
        r.as_ref().map(import_from).transpose()
    }

    async fn save_import(&mut self, i: &PersonImport, owner: Uuid) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE person_imports SET state = $3, next_offset = $4, next_line = $5, created = $6, updated = $7, unchanged = $8, rejected = $9, \
             lease_owner = $10, lease_until = $11, error = $12, finished_at = $13, columns = $14 WHERE id = $1 AND lease_owner = $2",
        )
        .bind(i.id)
        .bind(owner)
        .bind(i.state.as_str())
        .bind(i.next_offset)
        .bind(i.next_line)
        .bind(i.created)
        .bind(i.updated)
        .bind(i.unchanged)
        .bind(i.rejected)
        .bind(i.lease_owner)
        .bind(ts_opt(i.lease_until))
        .bind(&i.error)
        .bind(ts_opt(i.finished_at))
        .bind(columns_json(i))
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn refresh_person_statistics(&mut self) -> Result<()> {
        // Searches go through the full-text index or an index of their own
        // column: the planner has nothing to choose.
        Ok(())
    }

    async fn insert_rejections(&mut self, r: &[ImportRejection]) -> Result<()> {
        for chunk in r.chunks(200) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO person_import_rejections (import_id, line, reasons, content) ",
            );
            qb.push_values(chunk, |mut b, x| {
                b.push_bind(x.import_id)
                    .push_bind(x.line)
                    .push_bind(x.reasons.clone())
                    .push_bind(x.content.clone());
            });
            qb.build().execute(self.conn().await?).await.map_err(db)?;
        }
        Ok(())
    }
}

fn keys_from(rows: &[SqliteRow]) -> Result<Vec<PersonKey>> {
    rows.iter()
        .map(|r| {
            Ok(PersonKey {
                key: r.try_get("k").map_err(db)?,
                person_id: r.try_get("id").map_err(db)?,
                municipality_id: r.try_get("municipality_id").map_err(db)?,
            })
        })
        .collect()
}
