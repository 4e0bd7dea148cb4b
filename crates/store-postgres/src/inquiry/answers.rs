//! Answers on PostgreSQL, a group at a time: the open recipients of many
//! numbers read in one query; the answers they replace marked, the new
//! ones inserted, the counts moved and the first answers marked and
//! counted in one statement, whatever the group's size (arrays bound
//! whole, read with `UNNEST`, so that its text, and its plan, stay the
//! same).

use super::{inquiry_from, recipient_from, OPEN};
use crate::convert::*;
use crate::PostgresTx;
use chrono::{DateTime, Utc};
use diwan_store::*;
use sqlx::{Postgres, QueryBuilder};
use std::collections::BTreeMap;
use uuid::Uuid;

impl PostgresTx {
    pub(super) async fn open_recipients(&mut self, mobiles: &[String]) -> Result<Vec<OpenInquiry>> {
        if mobiles.is_empty() {
            return Ok(Vec::new());
        }
        // The two tables share no column name: each reads its own.
        let rows = sqlx::query(&format!(
            "SELECT r.*, i.* FROM inquiry_recipients r JOIN inquiries i ON i.id = r.inquiry_id \
             WHERE i.state IN {OPEN} AND r.mobile = ANY($1) ORDER BY i.created_at, r.inquiry_id, r.n"
        ))
        .bind(mobiles)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        open_inquiries_of_rows(&rows, recipient_from, inquiry_from)
    }

    pub(super) async fn record_answers(&mut self, answers: &[NewAnswer]) -> Result<()> {
        if answers.is_empty() {
            return Ok(());
        }
        let current: Vec<&NewAnswer> = answers.iter().filter(|a| a.current).collect();
        // First answers: the recipient is marked once, and the inquiry
        // counts a respondent more.
        let mut first: BTreeMap<(Uuid, Uuid), DateTime<Utc>> = BTreeMap::new();
        for n in answers {
            first
                .entry((n.answer.inquiry_id, n.answer.person_id))
                .or_insert(n.answer.at);
        }
        let a: Vec<&InquiryAnswer> = answers.iter().map(|n| &n.answer).collect();
        // One statement. The answers the new current ones replace are
        // marked first (the INSERT waits on the count of them, read before
        // its first row, as the unique index of current answers needs), and
        // counted no more under the new answer's municipality; the counts
        // move in key order, so that two nodes moving the same ones lock
        // them in one order, and an answer repeated moves none.
        sqlx::query(
            "WITH cur AS ( \
               SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::text[]) \
               AS c(inquiry_id, person_id, position, municipality_id, answer_key, channel)), \
             replaced AS ( \
               UPDATE inquiry_answers a SET current = false FROM cur \
               WHERE a.current AND a.inquiry_id = cur.inquiry_id AND a.person_id = cur.person_id \
               AND a.position = cur.position \
               RETURNING a.inquiry_id, a.position, a.answer_key, cur.municipality_id, a.channel), \
             kept AS ( \
               INSERT INTO inquiry_answers (id, inquiry_id, person_id, position, answer_key, text, channel, taken_by, current, answered_at) \
               SELECT * FROM UNNEST($7::uuid[], $8::uuid[], $9::uuid[], $10::int[], $11::text[], $12::text[], $13::text[], \
               $14::uuid[], $15::bool[], $16::timestamptz[]) WHERE (SELECT count(*) FROM replaced) >= 0), \
             moved AS ( \
               SELECT inquiry_id, position, answer_key, municipality_id, channel, sum(n)::bigint AS n FROM ( \
                 SELECT inquiry_id, position, answer_key, municipality_id, channel, -1 AS n FROM replaced \
                 UNION ALL SELECT inquiry_id, position, answer_key, municipality_id, channel, 1 FROM cur) m \
               GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0), \
             counted AS ( \
               INSERT INTO inquiry_counts (inquiry_id, position, answer_key, municipality_id, channel, n) \
               SELECT * FROM moved ORDER BY 1, 2, 3, 4, 5 \
               ON CONFLICT (inquiry_id, position, answer_key, municipality_id, channel) \
               DO UPDATE SET n = inquiry_counts.n + excluded.n), \
             marked AS ( \
               UPDATE inquiry_recipients r SET first_answer_at = f.at \
               FROM UNNEST($17::uuid[], $18::uuid[], $19::timestamptz[]) AS f(inquiry_id, person_id, at) \
               WHERE r.inquiry_id = f.inquiry_id AND r.person_id = f.person_id AND r.first_answer_at IS NULL \
               RETURNING r.inquiry_id) \
             UPDATE inquiries i SET respondents = i.respondents + m.n \
             FROM (SELECT inquiry_id, count(*) AS n FROM marked GROUP BY 1) m WHERE i.id = m.inquiry_id",
        )
        .bind(current.iter().map(|n| n.answer.inquiry_id).collect::<Vec<_>>())
        .bind(current.iter().map(|n| n.answer.person_id).collect::<Vec<_>>())
        .bind(current.iter().map(|n| n.answer.position).collect::<Vec<_>>())
        .bind(
            current
                .iter()
                .map(|n| n.municipality_id.unwrap_or(Uuid::nil()))
                .collect::<Vec<_>>(),
        )
        .bind(current.iter().map(|n| n.answer.key.clone()).collect::<Vec<_>>())
        .bind(current.iter().map(|n| n.answer.channel.as_str()).collect::<Vec<_>>())
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
        .bind(first.keys().map(|k| k.0).collect::<Vec<_>>())
        .bind(first.keys().map(|k| k.1).collect::<Vec<_>>())
        .bind(first.values().copied().collect::<Vec<_>>())
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
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

    /// Holds back where recipients are, to go with the transaction's next
    /// statement.
    pub(super) fn update_recipients(&mut self, r: &[InquiryRecipient]) {
        if !r.is_empty() {
            self.hold(crate::pending::Write::Recipients(r.to_vec()));
        }
    }
}

/// Appends the UPDATE of where recipients are (position, help given, web
/// link spent), without a terminating semicolon.
pub(crate) fn push_update_recipients(qb: &mut QueryBuilder<'_, Postgres>, r: &[InquiryRecipient]) {
    qb.push("UPDATE inquiry_recipients r SET position = v.position, helped = v.helped, web_used_at = v.web_used_at FROM (");
    crate::pending::Rows::new(qb, r)
        .column("uuid", |x| x.inquiry_id)
        .column("bigint", |x| x.n)
        .column("int", |x| x.position)
        .column("int", |x| x.helped)
        .column("timestamptz", |x| x.web_used_at)
        .end();
    qb.push(
        ") AS v(inquiry_id, n, position, helped, web_used_at) \
         WHERE r.inquiry_id = v.inquiry_id AND r.n = v.n",
    );
}
