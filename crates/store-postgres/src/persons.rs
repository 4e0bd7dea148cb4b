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

    async fn search_persons(&mut self, q: &PersonQuery) -> Result<Vec<Person>> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM persons p WHERE true"));
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
                match tsquery(&terms) {
                    Some(t) => {
                        qb.push(" AND p.search_vector @@ to_tsquery('simple', ")
                            .push_bind(t)
                            .push(")");
                    }
                    None => return Ok(Vec::new()),
                }
            }
        }
        if let Some(b) = q.before {
            qb.push(" AND p.id < ").push_bind(b);
        }
        qb.push(" ORDER BY p.id DESC LIMIT ")
            .push_bind(i64::from(q.limit));
        let conn = self.conn().await?;
        let rows = qb.build().fetch_all(&mut *conn).await.map_err(db)?;
        with_mobiles(conn, &rows).await
    }
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
}
