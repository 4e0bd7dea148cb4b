//! The registry of persons on PostgreSQL.

use crate::convert::*;
use crate::PostgresTx;
use async_trait::async_trait;
use diwan_domain::persons::PersonLookup;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use std::collections::HashMap;
use uuid::Uuid;

const COLUMNS: &str = "p.id, p.national_number, p.name_ar, p.name_latin, p.sex, p.birth_date, p.email, p.municipality_id, p.language, p.sms_opt_out_at, p.email_opt_out_at, p.created_at, p.updated_at, p.search_text";

fn person_from(r: &PgRow) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id").map_err(db)?,
        national_number: r.try_get("national_number").map_err(db)?,
        name_ar: r.try_get("name_ar").map_err(db)?,
        name_latin: r.try_get("name_latin").map_err(db)?,
        sex: parse(&r.try_get::<String, _>("sex").map_err(db)?, "sex")?,
        birth_date: r.try_get("birth_date").map_err(db)?,
        mobiles: Vec::new(),
        email: r.try_get("email").map_err(db)?,
        municipality_id: r.try_get("municipality_id").map_err(db)?,
        language: parse(&r.try_get::<String, _>("language").map_err(db)?, "language")?,
        sms_opt_out_at: r.try_get("sms_opt_out_at").map_err(db)?,
        email_opt_out_at: r.try_get("email_opt_out_at").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        updated_at: r.try_get("updated_at").map_err(db)?,
        search_text: r.try_get("search_text").map_err(db)?,
    })
}

/// The persons of `rows`, each with its mobile numbers.
async fn with_mobiles(conn: &mut PgConnection, rows: &[PgRow]) -> Result<Vec<Person>> {
    let mut persons = rows.iter().map(person_from).collect::<Result<Vec<_>>>()?;
    if persons.is_empty() {
        return Ok(persons);
    }
    let ids: Vec<Uuid> = persons.iter().map(|p| p.id).collect();
    let rows = sqlx::query(
        "SELECT person_id, mobile FROM person_mobiles WHERE person_id = ANY($1) ORDER BY person_id, position",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await
    .map_err(db)?;
    let mut mobiles: HashMap<Uuid, Vec<String>> = HashMap::new();
    for r in rows {
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

fn import_from(r: &PgRow) -> Result<PersonImport> {
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
        lease_until: r.try_get("lease_until").map_err(db)?,
        error: r.try_get("error").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        started_at: r.try_get("started_at").map_err(db)?,
        finished_at: r.try_get("finished_at").map_err(db)?,
    })
}

fn columns_json(i: &PersonImport) -> String {
    serde_json::to_string(&i.columns).unwrap_or_else(|_| "[]".into())
}

async fn one(tx: &mut PostgresTx, mut qb: QueryBuilder<'_, Postgres>) -> Result<Option<Person>> {
    let conn = tx.conn().await?;
    let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
    Ok(with_mobiles(conn, &rows).await?.into_iter().next())
}

async fn insert_mobiles(conn: &mut PgConnection, p: &Person) -> Result<()> {
    if p.mobiles.is_empty() {
        return Ok(());
    }
    let mut qb: QueryBuilder<Postgres> =
        QueryBuilder::new("INSERT INTO person_mobiles (person_id, position, mobile) ");
    qb.push_values(p.mobiles.iter().enumerate(), |mut b, (i, m)| {
        b.push_bind(p.id)
            .push_bind(i16::try_from(i).unwrap_or(i16::MAX))
            .push_bind(m.clone());
    });
    qb.build().execute(conn).await.map_err(db)?;
    Ok(())
}

#[async_trait]
impl PersonRead for PostgresTx {
    async fn get_person(&mut self, id: Uuid) -> Result<Option<Person>> {
        let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM persons p WHERE p.id = "));
        qb.push_bind(id);
        one(self, qb).await
    }

    async fn person_by_number(&mut self, national_number: &str) -> Result<Option<Person>> {
        let mut qb = QueryBuilder::new(format!(
            "SELECT {COLUMNS} FROM persons p WHERE p.national_number = "
        ));
        qb.push_bind(national_number.to_owned());
        one(self, qb).await
    }

    async fn persons_by_numbers(&mut self, national_numbers: &[String]) -> Result<Vec<Person>> {
        if national_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM persons p WHERE p.national_number = ANY($1)"
        ))
        .bind(national_numbers)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        with_mobiles(conn, &rows).await
    }

    async fn person_keys(
        &mut self,
        national_numbers: &[String],
        mobiles: &[String],
    ) -> Result<Vec<PersonKey>> {
        let rows = sqlx::query(
            "SELECT national_number AS k, id, municipality_id FROM persons WHERE national_number = ANY($1) \
             UNION ALL \
             SELECT pm.mobile, p.id, p.municipality_id FROM person_mobiles pm JOIN persons p ON p.id = pm.person_id \
             WHERE pm.mobile = ANY($2)",
        )
        .bind(national_numbers)
        .bind(mobiles)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
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

    async fn get_import(&mut self, id: Uuid) -> Result<Option<PersonImport>> {
        let r = sqlx::query("SELECT * FROM person_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
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
            "SELECT * FROM person_imports WHERE ($1::uuid IS NULL OR org_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(self.conn().await?)
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
        .fetch_all(self.conn().await?)
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
        let words = match &q.lookup {
            Some(PersonLookup::Name(words)) => {
                let terms: Vec<String> = words.split_whitespace().map(str::to_owned).collect();
                match tsquery(&terms) {
                    Some(t) => Some(t),
                    None => return Ok(Vec::new()),
                }
            }
            _ => None,
        };
        let conn = self.conn().await?;
        if let Some(t) = &words {
            // A name found often is found among the newest persons of the
            // scope: if a page of matches is there, it is the page. The
            // planner cannot tell (its estimate for words that may be the
            // start of longer ones is far off), so it is tried first.
            let rows = search_query(q, Some((t, true)))
                .build()
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
            if rows.len() >= q.limit as usize {
                return with_mobiles(conn, &rows).await;
            }
        }
        let rows = search_query(q, words.as_deref().map(|t| (t, false)))
            .build()
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        with_mobiles(conn, &rows).await
    }
}

/// How many of the newest persons a search for a frequent name looks at
/// before it asks the full-text index instead.
const NEWEST: i64 = 20_000;

/// The statement of a search: with `words`, a text query, either over the
/// [`NEWEST`] persons of the scope (`true`) or from the full-text index.
fn search_query<'a>(q: &PersonQuery, words: Option<(&str, bool)>) -> QueryBuilder<'a, Postgres> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!("SELECT {COLUMNS} FROM "));
    let newest = matches!(words, Some((_, true)));
    if newest {
        qb.push("(SELECT * FROM persons p WHERE true");
    } else {
        qb.push("persons p WHERE true");
    }
    if let Some(m) = q.municipality_id {
        qb.push(" AND p.municipality_id = ").push_bind(m);
    }
    if let Some(b) = q.before {
        qb.push(" AND p.id < ").push_bind(b);
    }
    if newest {
        qb.push(" ORDER BY p.id DESC LIMIT ")
            .push_bind(NEWEST)
            .push(") p WHERE true");
    }
    match (&q.lookup, words) {
        (_, Some((t, _))) => {
            qb.push(" AND p.search_vector @@ to_tsquery('simple', ")
                .push_bind(t.to_owned())
                .push(")");
        }
        (Some(PersonLookup::NationalNumber(n)), None) => {
            qb.push(" AND p.national_number = ")
                .push_bind(n.to_string());
        }
        (Some(PersonLookup::Mobile(m)), None) => {
            // The numbers first, from their index, whatever the planner
            // thinks of their frequency.
            qb.push(" AND p.id IN (SELECT person_id FROM (SELECT person_id FROM person_mobiles WHERE mobile = ")
                .push_bind(m.to_string())
                .push(" OFFSET 0) hit)");
        }
        _ => {}
    }
    qb.push(" ORDER BY p.id DESC LIMIT ")
        .push_bind(i64::from(q.limit));
    qb
}

#[async_trait]
impl PersonRepo for PostgresTx {
    async fn insert_person(&mut self, p: &Person) -> Result<()> {
        let conn = self.conn().await?;
        sqlx::query(
            "INSERT INTO persons (id, national_number, name_ar, name_latin, sex, birth_date, email, municipality_id, language, sms_opt_out_at, email_opt_out_at, created_at, updated_at, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(p.id)
        .bind(&p.national_number)
        .bind(&p.name_ar)
        .bind(&p.name_latin)
        .bind(p.sex.as_str())
        .bind(p.birth_date)
        .bind(&p.email)
        .bind(p.municipality_id)
        .bind(p.language.as_str())
        .bind(p.sms_opt_out_at)
        .bind(p.email_opt_out_at)
        .bind(p.created_at)
        .bind(p.updated_at)
        .bind(&p.search_text)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        insert_mobiles(conn, p).await
    }

    async fn update_person(&mut self, p: &Person) -> Result<()> {
        let conn = self.conn().await?;
        sqlx::query(
            "UPDATE persons SET name_ar = $2, name_latin = $3, sex = $4, birth_date = $5, email = $6, municipality_id = $7, language = $8, \
             sms_opt_out_at = $9, email_opt_out_at = $10, updated_at = $11, search_text = $12 WHERE id = $1",
        )
        .bind(p.id)
        .bind(&p.name_ar)
        .bind(&p.name_latin)
        .bind(p.sex.as_str())
        .bind(p.birth_date)
        .bind(&p.email)
        .bind(p.municipality_id)
        .bind(p.language.as_str())
        .bind(p.sms_opt_out_at)
        .bind(p.email_opt_out_at)
        .bind(p.updated_at)
        .bind(&p.search_text)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query("DELETE FROM person_mobiles WHERE person_id = $1")
            .bind(p.id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        insert_mobiles(conn, p).await
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
        .bind(i.lease_until)
        .bind(&i.error)
        .bind(i.created_at)
        .bind(i.started_at)
        .bind(i.finished_at)
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
        // Workers of several nodes each take a different import.
        let r = sqlx::query(
            "UPDATE person_imports SET state = 'running', lease_owner = $1, lease_until = $3, started_at = coalesce(started_at, $2) \
             WHERE id = (SELECT id FROM person_imports WHERE state = 'queued' OR (state = 'running' AND lease_until < $2) \
                         ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING *",
        )
        .bind(owner)
        .bind(now)
        .bind(until)
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
        .bind(i.lease_until)
        .bind(&i.error)
        .bind(i.finished_at)
        .bind(columns_json(i))
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn refresh_person_statistics(&mut self) -> Result<()> {
        sqlx::query("ANALYZE persons, person_mobiles")
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_rejections(&mut self, r: &[ImportRejection]) -> Result<()> {
        let conn = self.conn().await?;
        for chunk in r.chunks(1000) {
            let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
                "INSERT INTO person_import_rejections (import_id, line, reasons, content) ",
            );
            qb.push_values(chunk, |mut b, x| {
                b.push_bind(x.import_id)
                    .push_bind(x.line)
                    .push_bind(x.reasons.clone())
                    .push_bind(x.content.clone());
            });
            qb.build().execute(&mut *conn).await.map_err(db)?;
        }
        Ok(())
    }
}
