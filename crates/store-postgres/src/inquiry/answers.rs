//! Answers on PostgreSQL, a group at a time: the open recipients of many
//! numbers read in one query, the answers they replace marked and read
//! back in one statement, the new ones inserted, the counts moved and the
//! first answers marked in a few more, each a round trip whatever the
//! group's size (arrays bound whole, read with `UNNEST`).

use super::{recipient_from, OPEN};
use crate::convert::*;
use crate::PostgresTx;
use chrono::{DateTime, Utc};
use diwan_domain::inquiry::AnswerChannel;
use diwan_store::*;
use sqlx::{Postgres, QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A count's key: inquiry, question, answer, municipality, channel.
type CountKey = (Uuid, i32, String, Uuid, &'static str);

impl PostgresTx {
    pub(super) async fn open_recipients(
        &mut self,
        mobiles: &[String],
    ) -> Result<Vec<InquiryRecipient>> {
        if mobiles.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT r.* FROM inquiry_recipients r JOIN inquiries i ON i.id = r.inquiry_id \
             WHERE i.state IN {OPEN} AND r.mobile = ANY($1) ORDER BY i.created_at, r.inquiry_id, r.n"
        ))
        .bind(mobiles)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(recipient_from).collect()
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
        let replaced = sqlx::query(
            "UPDATE inquiry_answers a SET current = false \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::int[]) AS v(inquiry_id, person_id, position) \
             WHERE a.current AND a.inquiry_id = v.inquiry_id AND a.person_id = v.person_id \
             AND a.position = v.position \
             RETURNING a.inquiry_id, a.person_id, a.position, a.answer_key, a.channel",
        )
        .bind(current.iter().map(|a| a.inquiry_id).collect::<Vec<_>>())
        .bind(current.iter().map(|a| a.person_id).collect::<Vec<_>>())
        .bind(current.iter().map(|a| a.position).collect::<Vec<_>>())
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        for r in &replaced {
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
        let a: Vec<&InquiryAnswer> = answers.iter().map(|n| &n.answer).collect();
        sqlx::query(
            "INSERT INTO inquiry_answers (id, inquiry_id, person_id, position, answer_key, text, channel, taken_by, current, answered_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], \
             $8::uuid[], $9::bool[], $10::timestamptz[])",
        )
        .bind(a.iter().map(|a| a.id).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.inquiry_id).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.person_id).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.position).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.key.clone()).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.text.clone()).collect::<Vec<Option<String>>>())
        .bind(a.iter().map(|a| a.channel.as_str()).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.taken_by).collect::<Vec<Option<Uuid>>>())
        .bind(answers.iter().map(|n| n.current).collect::<Vec<_>>())
        .bind(a.iter().map(|a| a.at).collect::<Vec<DateTime<Utc>>>())
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
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
        // In key order, so that two nodes moving the same counts lock them
        // in one order; an answer repeated moves none.
        let moved: Vec<(CountKey, i64)> = moves.into_iter().filter(|(_, n)| *n != 0).collect();
        if !moved.is_empty() {
            sqlx::query(
                "INSERT INTO inquiry_counts (inquiry_id, position, answer_key, municipality_id, channel, n) \
                 SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::bigint[]) \
                 ON CONFLICT (inquiry_id, position, answer_key, municipality_id, channel) \
                 DO UPDATE SET n = inquiry_counts.n + excluded.n",
            )
            .bind(moved.iter().map(|(k, _)| k.0).collect::<Vec<_>>())
            .bind(moved.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
            .bind(moved.iter().map(|(k, _)| k.2.clone()).collect::<Vec<_>>())
            .bind(moved.iter().map(|(k, _)| k.3).collect::<Vec<_>>())
            .bind(moved.iter().map(|(k, _)| k.4).collect::<Vec<_>>())
            .bind(moved.iter().map(|(_, n)| *n).collect::<Vec<_>>())
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        }
        // First answers: the recipient is marked once, and the inquiry
        // counts a respondent more.
        let mut first: BTreeMap<(Uuid, Uuid), DateTime<Utc>> = BTreeMap::new();
        for n in answers {
            first
                .entry((n.answer.inquiry_id, n.answer.person_id))
                .or_insert(n.answer.at);
        }
        let marked = sqlx::query(
            "UPDATE inquiry_recipients r SET first_answer_at = v.at \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[]) AS v(inquiry_id, person_id, at) \
             WHERE r.inquiry_id = v.inquiry_id AND r.person_id = v.person_id AND r.first_answer_at IS NULL \
             RETURNING r.inquiry_id",
        )
        .bind(first.keys().map(|k| k.0).collect::<Vec<_>>())
        .bind(first.keys().map(|k| k.1).collect::<Vec<_>>())
        .bind(first.values().copied().collect::<Vec<_>>())
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        let mut respondents: BTreeMap<Uuid, i64> = BTreeMap::new();
        for r in &marked {
            *respondents
                .entry(r.try_get("inquiry_id").map_err(db)?)
                .or_default() += 1;
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
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, parts, \
             state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, updated_at) SELECT ",
        );
        qb.push("(substr(")
            .push_bind(run.batch_id)
            .push("::text, 1, 24) || lpad(to_hex(r.n), 12, '0'))::uuid, ");
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
            .push_bind(run.now)
            .push(", NULL::timestamptz, ")
            .push_bind(run.expires_at)
            .push(", NULL, ")
            .push_bind(run.now)
            .push(", NULL::timestamptz, NULL::timestamptz, ")
            .push_bind(run.now)
            .push(" FROM inquiry_recipients r WHERE r.inquiry_id = ")
            .push_bind(run.inquiry_id)
            .push(" AND r.n > ")
            .push_bind(run.after)
            .push(" AND r.n <= ")
            .push_bind(run.upto)
            .push(" ORDER BY r.n");
        // The persons are copied from recipients whose own were checked;
        // the batch and the organization are those of the inquiry the
        // caller's transaction has read.
        super::begin_run(self, "batch_id,org_id,person_id").await?;
        let n = qb
            .build()
            .execute(self.conn().await?)
            .await
            .map_err(db)?
            .rows_affected() as i64;
        super::end_run(self).await?;
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
        if r.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE inquiry_recipients r SET position = v.position, helped = v.helped, web_used_at = v.web_used_at \
             FROM UNNEST($1::uuid[], $2::bigint[], $3::int[], $4::int[], $5::timestamptz[]) \
             AS v(inquiry_id, n, position, helped, web_used_at) \
             WHERE r.inquiry_id = v.inquiry_id AND r.n = v.n",
        )
        .bind(r.iter().map(|x| x.inquiry_id).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.n).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.position).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.helped).collect::<Vec<Option<i32>>>())
        .bind(r.iter().map(|x| x.web_used_at).collect::<Vec<Option<DateTime<Utc>>>>())
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }
}
