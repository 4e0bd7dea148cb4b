//! Answers on SQLite, a group at a time: the open recipients of many
//! numbers read in one query, the answers they replace marked and read
//! back in one statement, the new ones inserted, the counts moved and the
//! first answers marked in a few more, whatever the group's size.

use super::{recipient_from, OPEN};
use crate::convert::*;
use crate::SqliteTx;
use diwan_domain::inquiry::AnswerChannel;
use diwan_store::*;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Rows per statement, well under SQLite's 32,766 parameters.
const ROWS: usize = 200;

/// A count's key: inquiry, question, answer, municipality, channel.
type CountKey = (Uuid, i32, String, Uuid, &'static str);

impl SqliteTx {
    pub(super) async fn open_recipients(
        &mut self,
        mobiles: &[String],
    ) -> Result<Vec<InquiryRecipient>> {
        let mut out = Vec::new();
        for chunk in mobiles.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "SELECT r.* FROM inquiry_recipients r JOIN inquiries i ON i.id = r.inquiry_id \
                 WHERE i.state IN {OPEN} AND r.mobile IN ("
            ));
            let mut sep = qb.separated(", ");
            for m in chunk {
                sep.push_bind(m.clone());
            }
            qb.push(") ORDER BY i.created_at, r.inquiry_id, r.n");
            let rows = qb
                .build()
                .fetch_all(self.read_conn().await?)
                .await
                .map_err(db)?;
            for r in &rows {
                out.push(recipient_from(r)?);
            }
        }
        Ok(out)
    }

    pub(super) async fn record_answers(&mut self, answers: &[NewAnswer]) -> Result<()> {
        if answers.is_empty() {
            return Ok(());
        }
        let place: HashMap<(Uuid, Uuid), Uuid> = answers
            .iter()
            .map(|a| {
                (
                    (a.answer.inquiry_id, a.answer.person_id),
                    a.municipality_id.unwrap_or(Uuid::nil()),
                )
            })
            .collect();
        let mut moves: BTreeMap<CountKey, i64> = BTreeMap::new();
        // The answers the new current ones replace: no longer current, and
        // counted no more.
        let current: Vec<&InquiryAnswer> = answers
            .iter()
            .filter(|a| a.current)
            .map(|a| &a.answer)
            .collect();
        for chunk in current.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "UPDATE inquiry_answers SET current = 0 WHERE current = 1 \
                 AND (inquiry_id, person_id, position) IN (VALUES ",
            );
            for (at, a) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(")
                    .push_bind(a.inquiry_id)
                    .push(", ")
                    .push_bind(a.person_id)
                    .push(", ")
                    .push_bind(a.position)
                    .push(")");
            }
            qb.push(") RETURNING inquiry_id, person_id, position, answer_key, channel");
            let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
            for r in &rows {
                let inquiry: Uuid = r.try_get("inquiry_id").map_err(db)?;
                let person: Uuid = r.try_get("person_id").map_err(db)?;
                let channel: String = r.try_get("channel").map_err(db)?;
                let channel = AnswerChannel::parse(&channel)
                    .ok_or_else(|| StoreError::Corrupt("inquiry channel".into()))?;
                let key = (
                    inquiry,
                    r.try_get("position").map_err(db)?,
                    r.try_get("answer_key").map_err(db)?,
                    place
                        .get(&(inquiry, person))
                        .copied()
                        .unwrap_or(Uuid::nil()),
                    channel.as_str(),
                );
                *moves.entry(key).or_default() -= 1;
            }
        }
        for chunk in answers.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO inquiry_answers (id, inquiry_id, person_id, position, answer_key, text, channel, taken_by, current, answered_at) ",
            );
            qb.push_values(chunk, |mut b, n| {
                let a = &n.answer;
                b.push_bind(a.id)
                    .push_bind(a.inquiry_id)
                    .push_bind(a.person_id)
                    .push_bind(a.position)
                    .push_bind(a.key.clone())
                    .push_bind(a.text.clone())
                    .push_bind(a.channel.as_str())
                    .push_bind(a.taken_by)
                    .push_bind(n.current)
                    .push_bind(ts(a.at));
            });
            qb.build().execute(self.conn().await?).await.map_err(db)?;
        }
        for n in answers.iter().filter(|a| a.current) {
            let a = &n.answer;
            let key = (
                a.inquiry_id,
                a.position,
                a.key.clone(),
                n.municipality_id.unwrap_or(Uuid::nil()),
                a.channel.as_str(),
            );
            *moves.entry(key).or_default() += 1;
        }
        // In key order, so that two writers moving the same counts lock
        // them in one order; an answer repeated moves none.
        let moved: Vec<(CountKey, i64)> = moves.into_iter().filter(|(_, n)| *n != 0).collect();
        for chunk in moved.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO inquiry_counts (inquiry_id, position, answer_key, municipality_id, channel, n) ",
            );
            qb.push_values(chunk, |mut b, ((i, p, k, m, c), n)| {
                b.push_bind(*i)
                    .push_bind(*p)
                    .push_bind(k.clone())
                    .push_bind(*m)
                    .push_bind(*c)
                    .push_bind(*n);
            });
            qb.push(
                " ON CONFLICT (inquiry_id, position, answer_key, municipality_id, channel) \
                 DO UPDATE SET n = n + excluded.n",
            );
            qb.build().execute(self.conn().await?).await.map_err(db)?;
        }
        // First answers: the recipient is marked once, and the inquiry
        // counts a respondent more.
        let mut first: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
        for n in answers {
            first
                .entry((n.answer.inquiry_id, n.answer.person_id))
                .or_insert(ts(n.answer.at));
        }
        let first: Vec<((Uuid, Uuid), i64)> = first.into_iter().collect();
        let mut respondents: BTreeMap<Uuid, i64> = BTreeMap::new();
        for chunk in first.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "UPDATE inquiry_recipients SET first_answer_at = v.column3 FROM (VALUES ",
            );
            for (at, ((i, p), t)) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(")
                    .push_bind(*i)
                    .push(", ")
                    .push_bind(*p)
                    .push(", ")
                    .push_bind(*t)
                    .push(")");
            }
            qb.push(
                ") AS v WHERE inquiry_recipients.inquiry_id = v.column1 \
                 AND inquiry_recipients.person_id = v.column2 \
                 AND inquiry_recipients.first_answer_at IS NULL \
                 RETURNING inquiry_recipients.inquiry_id",
            );
            let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
            for r in &rows {
                *respondents
                    .entry(r.try_get("inquiry_id").map_err(db)?)
                    .or_default() += 1;
            }
        }
        for (inquiry, n) in respondents {
            sqlx::query("UPDATE inquiries SET respondents = respondents + $2 WHERE id = $1")
                .bind(inquiry)
                .bind(n)
                .execute(self.conn().await?)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    pub(super) async fn queue_run(&mut self, run: &QuestionRun) -> Result<i64> {
        // Ids: the batch's first ten bytes (its time, then random bits),
        // then the recipient's number: in the order they are inserted.
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, parts, \
             state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, updated_at) SELECT ",
        );
        qb.push("CAST(substr(")
            .push_bind(run.batch_id)
            .push(", 1, 10) || unhex(printf('%012x', r.n)) AS BLOB), ");
        qb.push_bind(run.batch_id)
            .push(", ")
            .push_bind(run.org_id)
            .push(", 'sms', 'bulk', r.mobile, r.person_id, r.language, NULL, ");
        let [(ar, ar_parts), (en, en_parts), (fr, fr_parts)] = run.texts.texts.clone();
        qb.push("CASE r.language WHEN 'en' THEN ")
            .push_bind(en)
            .push(" WHEN 'fr' THEN ")
            .push_bind(fr)
            .push(" ELSE ")
            .push_bind(ar)
            .push(" END, CASE r.language WHEN 'en' THEN ")
            .push_bind(en_parts)
            .push(" WHEN 'fr' THEN ")
            .push_bind(fr_parts)
            .push(" ELSE ")
            .push_bind(ar_parts)
            .push(" END, 'queued', 0, ")
            .push_bind(ts(run.now))
            .push(", NULL, ")
            .push_bind(ts(run.expires_at))
            .push(", NULL, ")
            .push_bind(ts(run.now))
            .push(", NULL, NULL, ")
            .push_bind(ts(run.now))
            .push(" FROM inquiry_recipients r WHERE r.inquiry_id = ")
            .push_bind(run.inquiry_id)
            .push(" AND r.n > ")
            .push_bind(run.after)
            .push(" AND r.n <= ")
            .push_bind(run.upto)
            .push(" ORDER BY r.n");
        let n = qb
            .build()
            .execute(self.conn().await?)
            .await
            .map_err(db)?
            .rows_affected() as i64;
        let mut moves = CountMoves::default();
        moves.add(
            Some(run.batch_id),
            diwan_domain::messaging::Channel::Sms,
            diwan_domain::messaging::State::Queued,
            n,
        );
        self.move_counts(&moves).await?;
        Ok(n)
    }

    pub(super) async fn update_recipients(&mut self, r: &[InquiryRecipient]) -> Result<()> {
        for chunk in r.chunks(ROWS) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "UPDATE inquiry_recipients SET position = v.column3, helped = v.column4, web_used_at = v.column5 \
                 FROM (VALUES ",
            );
            for (at, x) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(")
                    .push_bind(x.inquiry_id)
                    .push(", ")
                    .push_bind(x.n)
                    .push(", ")
                    .push_bind(x.position)
                    .push(", ")
                    .push_bind(x.helped)
                    .push(", ")
                    .push_bind(ts_opt(x.web_used_at))
                    .push(")");
            }
            qb.push(
                ") AS v WHERE inquiry_recipients.inquiry_id = v.column1 AND inquiry_recipients.n = v.column2",
            );
            qb.build().execute(self.conn().await?).await.map_err(db)?;
        }
        Ok(())
    }
}
