//! Answers on SQLite, a group at a time: the open recipients of many
//! numbers read in one query; the answers, the counts they move, the
//! respondents and where each recipient is held back and written with the
//! transaction's other writes, in one trip (see [`crate::pending`]).

use super::{inquiry_from, recipient_from, OPEN};
use crate::convert::*;
use crate::SqliteTx;
use diwan_store::*;
use sqlx::{QueryBuilder, Sqlite};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Rows per statement, well under SQLite's 32,766 parameters.
const ROWS: usize = 200;

/// A count's key: inquiry, question, answer, municipality, channel.
type CountKey = (Uuid, i32, String, Uuid, &'static str);

impl SqliteTx {
    pub(super) async fn open_recipients(&mut self, mobiles: &[String]) -> Result<Vec<OpenInquiry>> {
        let mut out = Vec::new();
        for chunk in mobiles.chunks(ROWS) {
            // The two tables share no column name: each reads its own.
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
                "SELECT r.*, i.* FROM inquiry_recipients r JOIN inquiries i ON i.id = r.inquiry_id \
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
            out.extend(open_inquiries_of_rows(&rows, recipient_from, inquiry_from)?);
        }
        Ok(out)
    }

    /// Holds back the answers and all they move, to go with the
    /// transaction's next trip (see [`push_record_answers`]).
    pub(super) fn record_answers(&mut self, answers: &[NewAnswer]) {
        if !answers.is_empty() {
            self.hold(crate::pending::Write::Answers(answers.to_vec()));
        }
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

    /// Holds back where recipients are, to go with the transaction's next
    /// trip.
    pub(super) fn update_recipients(&mut self, r: &[InquiryRecipient]) {
        if !r.is_empty() {
            self.hold(crate::pending::Write::Recipients(r.to_vec()));
        }
    }
}

/// Appends the statements that keep answers (see
/// [`InquiryRepo::record_inquiry_answers`]), none of which answers
/// anything, so that they go in one trip with the transaction's other
/// writes: the counts of the answers the new current ones replace move
/// down under the new answer's municipality, those answers are marked no
/// longer current, the new ones are inserted and counted, and each
/// inquiry counts the recipients whose first answer this is before they
/// are marked.
pub(crate) fn push_record_answers(qb: &mut QueryBuilder<'_, Sqlite>, answers: &[NewAnswer]) {
    let current: Vec<&NewAnswer> = answers.iter().filter(|a| a.current).collect();
    for chunk in current.chunks(ROWS) {
        // The answers replaced are looked up from the new ones (`CROSS
        // JOIN` keeps that order), through the index of current answers.
        // Each answer's key, with its municipality or not.
        let keys = |qb: &mut QueryBuilder<'_, Sqlite>, place: bool| {
            for (at, n) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(")
                    .push_bind(n.answer.inquiry_id)
                    .push(", ")
                    .push_bind(n.answer.person_id)
                    .push(", ")
                    .push_bind(n.answer.position);
                if place {
                    qb.push(", ")
                        .push_bind(n.municipality_id.unwrap_or(Uuid::nil()));
                }
                qb.push(")");
            }
        };
        qb.push("WITH v (inquiry_id, person_id, position, municipality_id) AS (VALUES ");
        keys(qb, true);
        qb.push(
            ") INSERT INTO inquiry_counts (inquiry_id, position, answer_key, municipality_id, channel, n) \
             SELECT a.inquiry_id, a.position, a.answer_key, v.municipality_id, a.channel, -count(*) \
             FROM v CROSS JOIN inquiry_answers a ON a.inquiry_id = v.inquiry_id \
             AND a.person_id = v.person_id AND a.position = v.position AND a.current = 1 \
             WHERE true GROUP BY 1, 2, 3, 4, 5 \
             ON CONFLICT (inquiry_id, position, answer_key, municipality_id, channel) \
             DO UPDATE SET n = n + excluded.n;",
        );
        qb.push(
            "UPDATE inquiry_answers SET current = 0 WHERE current = 1 \
             AND (inquiry_id, person_id, position) IN (VALUES ",
        );
        keys(qb, false);
        qb.push(");");
    }
    for chunk in answers.chunks(ROWS) {
        qb.push(
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
        qb.push(";");
    }
    let mut moves: BTreeMap<CountKey, i64> = BTreeMap::new();
    for n in &current {
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
    let moved: Vec<(CountKey, i64)> = moves.into_iter().collect();
    for chunk in moved.chunks(ROWS) {
        qb.push(
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
             DO UPDATE SET n = n + excluded.n;",
        );
    }
    // First answers: the recipient is marked once, and the inquiry counts
    // a respondent more; counted before they are marked.
    let mut first: BTreeMap<(Uuid, Uuid), i64> = BTreeMap::new();
    for n in answers {
        first
            .entry((n.answer.inquiry_id, n.answer.person_id))
            .or_insert(ts(n.answer.at));
    }
    let first: Vec<((Uuid, Uuid), i64)> = first.into_iter().collect();
    for chunk in first.chunks(ROWS) {
        let push_values = |qb: &mut QueryBuilder<'_, Sqlite>, at_too: bool| {
            for (at, ((i, p), t)) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(").push_bind(*i).push(", ").push_bind(*p);
                if at_too {
                    qb.push(", ").push_bind(*t);
                }
                qb.push(")");
            }
        };
        // Each recipient through its unique (person, inquiry) index.
        qb.push("UPDATE inquiries SET respondents = respondents + (SELECT count(*) FROM (VALUES ");
        push_values(qb, false);
        qb.push(
            ") AS v CROSS JOIN inquiry_recipients r ON r.person_id = v.column2 \
             AND r.inquiry_id = v.column1 WHERE r.inquiry_id = inquiries.id \
             AND r.first_answer_at IS NULL) WHERE id IN (SELECT column1 FROM (VALUES ",
        );
        push_values(qb, false);
        qb.push("));");
        qb.push("UPDATE inquiry_recipients SET first_answer_at = v.column3 FROM (VALUES ");
        push_values(qb, true);
        qb.push(
            ") AS v WHERE inquiry_recipients.inquiry_id = v.column1 \
             AND inquiry_recipients.person_id = v.column2 \
             AND inquiry_recipients.first_answer_at IS NULL;",
        );
    }
}

/// Appends the UPDATE of where recipients are (position, help given, web
/// link spent).
pub(crate) fn push_update_recipients(qb: &mut QueryBuilder<'_, Sqlite>, r: &[InquiryRecipient]) {
    for chunk in r.chunks(ROWS) {
        qb.push(
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
            ") AS v WHERE inquiry_recipients.inquiry_id = v.column1 AND inquiry_recipients.n = v.column2;",
        );
    }
}
