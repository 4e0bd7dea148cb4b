//! The national inquiry on SQLite.

use crate::convert::*;
use crate::messaging::push_audience;

mod answers;
use crate::SqliteTx;
pub(crate) use answers::{push_record_answers, push_update_recipients};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::inquiry::{AnswerChannel, InquiryState};
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("inquiry {what}"))
}

fn inquiry_from(r: &SqliteRow) -> Result<Inquiry> {
    let state: String = r.try_get("state").map_err(db)?;
    let questions: String = r.try_get("questions").map_err(db)?;
    let municipalities: String = r.try_get("municipalities").map_err(db)?;
    Ok(Inquiry {
        id: r.try_get("id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        code: r.try_get("code").map_err(db)?,
        title: r.try_get("title").map_err(db)?,
        state: InquiryState::parse(&state).ok_or_else(|| corrupt("state"))?,
        questions: questions_from_json(&questions).ok_or_else(|| corrupt("questions"))?,
        municipalities: serde_json::from_str(&municipalities)
            .map_err(|_| corrupt("municipalities"))?,
        sample: r.try_get("sample").map_err(db)?,
        web_link: r.try_get("web_link").map_err(db)?,
        starts_at: from_ts(r.try_get("starts_at").map_err(db)?)?,
        quiet_start: r.try_get("quiet_start").map_err(db)?,
        quiet_end: r.try_get("quiet_end").map_err(db)?,
        public_results: r.try_get("public_results").map_err(db)?,
        created_by: r.try_get("created_by").map_err(db)?,
        submitted_at: from_ts_opt(r.try_get("submitted_at").map_err(db)?)?,
        approved_by: r.try_get("approved_by").map_err(db)?,
        approved_at: from_ts_opt(r.try_get("approved_at").map_err(db)?)?,
        recipients: r.try_get("recipients").map_err(db)?,
        queued: r.try_get("queued").map_err(db)?,
        respondents: r.try_get("respondents").map_err(db)?,
        batch_id: r.try_get("batch_id").map_err(db)?,
        link_key: r.try_get("link_key").map_err(db)?,
        list_size: r.try_get("list_size").map_err(db)?,
        recipients_fixed: r.try_get("recipients_fixed").map_err(db)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(db)?)?,
        closed_at: from_ts_opt(r.try_get("closed_at").map_err(db)?)?,
    })
}

pub(crate) fn recipient_from(r: &SqliteRow) -> Result<InquiryRecipient> {
    Ok(InquiryRecipient {
        inquiry_id: r.try_get("inquiry_id").map_err(db)?,
        n: r.try_get("n").map_err(db)?,
        person_id: r.try_get("person_id").map_err(db)?,
        mobile: r.try_get("mobile").map_err(db)?,
        municipality_id: r.try_get("municipality_id").map_err(db)?,
        language: parse(&r.try_get::<String, _>("language").map_err(db)?, "language")?,
        position: r.try_get("position").map_err(db)?,
        helped: r.try_get("helped").map_err(db)?,
        web_used_at: from_ts_opt(r.try_get("web_used_at").map_err(db)?)?,
        first_answer_at: from_ts_opt(r.try_get("first_answer_at").map_err(db)?)?,
    })
}

fn answer_from(r: &SqliteRow) -> Result<InquiryAnswer> {
    let channel: String = r.try_get("channel").map_err(db)?;
    Ok(InquiryAnswer {
        id: r.try_get("id").map_err(db)?,
        inquiry_id: r.try_get("inquiry_id").map_err(db)?,
        person_id: r.try_get("person_id").map_err(db)?,
        position: r.try_get("position").map_err(db)?,
        key: r.try_get("answer_key").map_err(db)?,
        text: r.try_get("text").map_err(db)?,
        channel: AnswerChannel::parse(&channel).ok_or_else(|| corrupt("channel"))?,
        taken_by: r.try_get("taken_by").map_err(db)?,
        at: from_ts(r.try_get("answered_at").map_err(db)?)?,
    })
}

/// The columns of an inquiry, bound in the order of `insert_inquiry`'s
/// statement ($1 to $27), which `update_inquiry` reads too.
fn bind_inquiry<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    i: &'q Inquiry,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(i.id)
        .bind(i.org_id)
        .bind(&i.code)
        .bind(&i.title)
        .bind(i.state.as_str())
        .bind(questions_json(&i.questions))
        .bind(serde_json::to_string(&i.municipalities).unwrap_or_else(|_| "[]".into()))
        .bind(i.sample)
        .bind(i.web_link)
        .bind(ts(i.starts_at))
        .bind(i.quiet_start)
        .bind(i.quiet_end)
        .bind(i.public_results)
        .bind(i.created_by)
        .bind(ts_opt(i.submitted_at))
        .bind(i.approved_by)
        .bind(ts_opt(i.approved_at))
        .bind(i.recipients)
        .bind(i.queued)
        .bind(i.respondents)
        .bind(ts(i.created_at))
        .bind(ts(i.updated_at))
        .bind(ts_opt(i.closed_at))
        .bind(i.batch_id)
        .bind(&i.link_key)
        .bind(i.list_size)
        .bind(i.recipients_fixed)
}

pub(crate) const OPEN: &str = "('sending', 'paused', 'open')";

impl SqliteTx {
    async fn open_inquiries_of(&mut self, person_id: Uuid) -> Result<Vec<OpenInquiry>> {
        let q = format!(
            "SELECT r.* FROM inquiry_recipients r JOIN inquiries i ON i.id = r.inquiry_id \
             WHERE r.person_id = $1 AND i.state IN {OPEN} ORDER BY i.created_at"
        );
        let rows = sqlx::query(&q)
            .bind(person_id)
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        let mut out = Vec::new();
        for r in &rows {
            let recipient = recipient_from(r)?;
            if let Some(inquiry) = self.get_inquiry(recipient.inquiry_id).await? {
                out.push(OpenInquiry { inquiry, recipient });
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl InquiryRead for SqliteTx {
    async fn get_inquiry(&mut self, id: Uuid) -> Result<Option<Inquiry>> {
        let r = sqlx::query("SELECT * FROM inquiries WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(inquiry_from).transpose()
    }

    async fn list_inquiries(&mut self, org_id: Option<Uuid>, limit: i64) -> Result<Vec<Inquiry>> {
        let rows = sqlx::query(
            "SELECT * FROM inquiries WHERE ($1 IS NULL OR org_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(inquiry_from).collect()
    }

    async fn inquiry_by_code(&mut self, code: &str) -> Result<Option<Inquiry>> {
        let r = sqlx::query("SELECT * FROM inquiries WHERE code = $1 AND state <> 'closed'")
            .bind(code)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(inquiry_from).transpose()
    }

    async fn inquiry_codes_in_use(&mut self) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT code FROM inquiries WHERE code IS NOT NULL AND state <> 'closed'",
        )
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)
    }

    async fn inquiries_due(
        &mut self,
        states: &[InquiryState],
        now: DateTime<Utc>,
    ) -> Result<Vec<Inquiry>> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT * FROM inquiries WHERE starts_at <= ");
        qb.push_bind(ts(now)).push(" AND state IN (");
        let mut s = qb.separated(", ");
        for st in states {
            s.push_bind(st.as_str());
        }
        qb.push(") ORDER BY starts_at, id LIMIT 100");
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(inquiry_from).collect()
    }

    async fn inquiry_recipients(
        &mut self,
        inquiry_id: Uuid,
        after: i64,
        limit: i64,
    ) -> Result<Vec<InquiryRecipient>> {
        let rows = sqlx::query(
            "SELECT * FROM inquiry_recipients WHERE inquiry_id = $1 AND n > $2 ORDER BY n LIMIT $3",
        )
        .bind(inquiry_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(recipient_from).collect()
    }

    async fn inquiry_recipient(
        &mut self,
        inquiry_id: Uuid,
        n: i64,
    ) -> Result<Option<InquiryRecipient>> {
        let r = sqlx::query("SELECT * FROM inquiry_recipients WHERE inquiry_id = $1 AND n = $2")
            .bind(inquiry_id)
            .bind(n)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(recipient_from).transpose()
    }

    async fn open_recipients_of_mobiles(&mut self, mobiles: &[String]) -> Result<Vec<OpenInquiry>> {
        self.open_recipients(mobiles).await
    }

    async fn open_inquiries_of_person(&mut self, person_id: Uuid) -> Result<Vec<OpenInquiry>> {
        self.open_inquiries_of(person_id).await
    }

    async fn current_answers(
        &mut self,
        inquiry_id: Uuid,
        person_id: Uuid,
    ) -> Result<Vec<InquiryAnswer>> {
        let rows = sqlx::query(
            "SELECT * FROM inquiry_answers WHERE inquiry_id = $1 AND person_id = $2 AND current = 1 ORDER BY position",
        )
        .bind(inquiry_id)
        .bind(person_id)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(answer_from).collect()
    }

    async fn answer_counts(&mut self, inquiry_id: Uuid) -> Result<Vec<AnswerCount>> {
        let rows = sqlx::query(
            "SELECT position, answer_key, municipality_id, channel, n FROM inquiry_counts \
             WHERE inquiry_id = $1 AND n <> 0 ORDER BY position, answer_key",
        )
        .bind(inquiry_id)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let m: Uuid = r.try_get("municipality_id").map_err(db)?;
                let channel: String = r.try_get("channel").map_err(db)?;
                Ok(AnswerCount {
                    position: r.try_get("position").map_err(db)?,
                    key: r.try_get("answer_key").map_err(db)?,
                    municipality_id: (!m.is_nil()).then_some(m),
                    channel: AnswerChannel::parse(&channel).ok_or_else(|| corrupt("channel"))?,
                    n: r.try_get("n").map_err(db)?,
                })
            })
            .collect()
    }

    async fn inquiry_answers(
        &mut self,
        inquiry_id: Uuid,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<InquiryAnswer>> {
        let rows = sqlx::query(
            "SELECT * FROM inquiry_answers WHERE inquiry_id = $1 AND current = 1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
        )
        .bind(inquiry_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(answer_from).collect()
    }
}

#[async_trait]
impl InquiryRepo for SqliteTx {
    async fn lock_inquiry(&mut self, id: Uuid) -> Result<Option<Inquiry>> {
        // One writer: a write transaction holds the database already.
        let r = sqlx::query("SELECT * FROM inquiries WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(inquiry_from).transpose()
    }

    async fn insert_inquiry(&mut self, i: &Inquiry) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO inquiries (id, org_id, code, title, state, questions, municipalities, sample, web_link, starts_at, \
             quiet_start, quiet_end, public_results, created_by, submitted_at, approved_by, approved_at, recipients, queued, \
             respondents, created_at, updated_at, closed_at, batch_id, link_key, list_size, recipients_fixed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
        );
        bind_inquiry(q, i)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn update_inquiry(&mut self, i: &Inquiry, expected: InquiryState) -> Result<bool> {
        // The columns bound as for an insert; those fixed at creation, and
        // `respondents`, which answers move, are left as they are.
        let q = sqlx::query(
            "UPDATE inquiries SET code = $3, title = $4, state = $5, questions = $6, municipalities = $7, sample = $8, \
             web_link = $9, starts_at = $10, quiet_start = $11, quiet_end = $12, public_results = $13, submitted_at = $15, \
             approved_by = $16, approved_at = $17, recipients = $18, queued = $19, updated_at = $22, closed_at = $23, \
             batch_id = $24, list_size = $26, recipients_fixed = $27 WHERE id = $1 AND state = $28",
        );
        let r = bind_inquiry(q, i)
            .bind(expected.as_str())
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(r.rows_affected() == 1)
    }

    async fn refresh_inquiry_statistics(&mut self) -> Result<()> {
        // Replies are matched through the index of the mobile number
        // whatever the table's size: the planner has nothing to choose.
        Ok(())
    }

    async fn fix_inquiry_recipients(
        &mut self,
        inquiry_id: Uuid,
        audience: &InquiryAudience,
        after: i64,
        limit: i64,
    ) -> Result<i64> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO inquiry_recipients (inquiry_id, n, person_id, mobile, municipality_id, language, position) \
             SELECT ",
        );
        qb.push_bind(inquiry_id)
            .push(", ")
            .push_bind(after)
            .push(
                " + row_number() OVER (ORDER BY id), id, mobile, municipality_id, language, 0 FROM (\
                 SELECT p.id AS id, pm.mobile AS mobile, p.municipality_id AS municipality_id, p.language AS language",
            );
        push_audience(
            &mut qb,
            &Audience {
                municipalities: audience.municipalities.clone(),
                list: audience.list,
            },
        );
        match audience.sample {
            Some(n) => {
                qb.push(" ORDER BY random() LIMIT ").push_bind(n);
            }
            None => {
                if after > 0 {
                    qb.push(
                        " AND p.id > (SELECT person_id FROM inquiry_recipients WHERE inquiry_id = ",
                    )
                    .push_bind(inquiry_id)
                    .push(" AND n = ")
                    .push_bind(after)
                    .push(")");
                }
                qb.push(" ORDER BY p.id LIMIT ").push_bind(limit.max(1));
            }
        }
        qb.push(") AS audience ORDER BY id");
        let r = qb.build().execute(self.conn().await?).await.map_err(db)?;
        Ok(r.rows_affected() as i64)
    }

    async fn record_inquiry_answers(&mut self, answers: &[NewAnswer]) -> Result<()> {
        self.record_answers(answers);
        Ok(())
    }

    async fn queue_question_run(&mut self, run: &QuestionRun) -> Result<i64> {
        self.queue_run(run).await
    }

    async fn clear_inquiry_list(&mut self, inquiry_id: Uuid) -> Result<()> {
        sqlx::query("DELETE FROM inquiry_list_members WHERE inquiry_id = $1")
            .bind(inquiry_id)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn add_to_inquiry_list(&mut self, inquiry_id: Uuid, persons: &[Uuid]) -> Result<u64> {
        let mut added = 0;
        for chunk in persons.chunks(5000) {
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO inquiry_list_members (inquiry_id, person_id) ");
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(inquiry_id).push_bind(*p);
            });
            qb.push(" ON CONFLICT (inquiry_id, person_id) DO NOTHING");
            added += qb
                .build()
                .execute(self.conn().await?)
                .await
                .map_err(db)?
                .rows_affected();
        }
        Ok(added)
    }

    async fn update_inquiry_recipients(&mut self, r: &[InquiryRecipient]) -> Result<()> {
        self.update_recipients(r);
        Ok(())
    }
}
