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
}
