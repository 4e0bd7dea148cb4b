//! The outbox on PostgreSQL. Workers of several nodes take different
//! messages (`FOR UPDATE SKIP LOCKED`).

use crate::convert::*;
use crate::PostgresTx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::{Channel, State};
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

mod incoming;
pub(crate) use incoming::push_insert_incoming;

fn message_from(r: &PgRow) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: r.try_get("id").map_err(db)?,
        batch_id: r.try_get("batch_id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "kind")?,
        recipient: r.try_get("recipient").map_err(db)?,
        person_id: r.try_get("person_id").map_err(db)?,
        language: r.try_get("language").map_err(db)?,
        subject: r.try_get("subject").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        parts: r.try_get("parts").map_err(db)?,
        state: parse(&r.try_get::<String, _>("state").map_err(db)?, "state")?,
        attempts: r.try_get("attempts").map_err(db)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(db)?,
        lease_until: r.try_get("lease_until").map_err(db)?,
        expires_at: r.try_get("expires_at").map_err(db)?,
        error: r.try_get("error").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
        sent_at: r.try_get("sent_at").map_err(db)?,
        delivered_at: r.try_get("delivered_at").map_err(db)?,
        updated_at: r.try_get("updated_at").map_err(db)?,
    })
}

fn batch_from(r: &PgRow) -> Result<MessageBatch> {
    Ok(MessageBatch {
        id: r.try_get("id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        created_by: r.try_get("created_by").map_err(db)?,
        channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "kind")?,
        subject: r.try_get("subject").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        total: r.try_get("total").map_err(db)?,
        created_at: r.try_get("created_at").map_err(db)?,
    })
}

/// `AND p.municipality_id IN (…)` when the audience names municipalities.
pub(crate) fn push_audience(qb: &mut QueryBuilder<'_, Postgres>, a: &Audience) {
    qb.push(
        " FROM persons p JOIN person_mobiles pm ON pm.person_id = p.id AND pm.position = 0 \
         WHERE p.sms_opt_out_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM message_opt_outs o WHERE o.channel = 'sms' AND o.address = pm.mobile)",
    );
    if !a.municipalities.is_empty() {
        qb.push(" AND p.municipality_id IN (");
        let mut s = qb.separated(", ");
        for m in &a.municipalities {
            s.push_bind(*m);
        }
        qb.push(")");
    }
    if let Some(list) = a.list {
        qb.push(" AND p.id IN (SELECT person_id FROM inquiry_list_members WHERE inquiry_id = ")
            .push_bind(list)
            .push(")");
    }
}

impl PostgresTx {
    /// Locks the messages of `ids` and reads their state, batch and
    /// channel. Every writer that moves messages it did not claim (the
    /// record of a batch's attempts, a group of delivery reports) locks them
    /// here, all of them, in the order of their ids: two such transactions
    /// then never hold one message each while waiting for the other's.
    async fn lock_messages(
        &mut self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, (State, Option<Uuid>, Channel)>> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let rows = sqlx::query(
            "SELECT id, state, batch_id, channel FROM messages WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .bind(&ids)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        let mut found = HashMap::with_capacity(rows.len());
        for r in &rows {
            found.insert(
                r.try_get("id").map_err(db)?,
                (
                    parse(&r.try_get::<String, _>("state").map_err(db)?, "state")?,
                    r.try_get("batch_id").map_err(db)?,
                    parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
                ),
            );
        }
        Ok(found)
    }
}

/// What a group's delivery reports do to one message: its state after
/// the last that applied, the last error said, the time of the first (when
/// it reached the gateway) and of the last, and when it was delivered.
struct ReportChange {
    state: State,
    error: Option<String>,
    first_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
}

#[async_trait]
impl MessageRead for PostgresTx {
    async fn get_outbox_message(&mut self, id: Uuid) -> Result<Option<OutboxMessage>> {
        let r = sqlx::query("SELECT * FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(message_from).transpose()
    }

    async fn list_outbox(&mut self, q: &OutboxQuery) -> Result<Vec<OutboxMessage>> {
        let mut qb: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT * FROM messages WHERE 1 = 1");
        if let Some(o) = q.org_id {
            qb.push(" AND org_id = ").push_bind(o);
        }
        if let Some(b) = q.batch_id {
            qb.push(" AND batch_id = ").push_bind(b);
        }
        if let Some(s) = q.state {
            qb.push(" AND state = ").push_bind(s.as_str());
        }
        if let Some(r) = &q.recipient {
            qb.push(" AND recipient = ").push_bind(r.clone());
        }
        if let Some(b) = q.before {
            qb.push(" AND id < ").push_bind(b);
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(q.limit);
        let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
        rows.iter().map(message_from).collect()
    }

    async fn get_message_batch(&mut self, id: Uuid) -> Result<Option<MessageBatch>> {
        let r = sqlx::query("SELECT * FROM message_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(batch_from).transpose()
    }

    async fn list_message_batches(
        &mut self,
        org_id: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<MessageBatch>> {
        let rows = sqlx::query(
            "SELECT * FROM message_batches WHERE ($1::uuid IS NULL OR org_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(batch_from).collect()
    }

    async fn message_counts(&mut self, batch_id: Option<Uuid>) -> Result<Vec<StateCount>> {
        let rows = match batch_id {
            Some(b) => sqlx::query(
                "SELECT channel, state, n FROM message_counts WHERE batch_id = $1 AND n <> 0 ORDER BY channel, state",
            )
            .bind(b)
            .fetch_all(self.conn().await?)
            .await,
            None => sqlx::query(
                "SELECT channel, state, SUM(n)::bigint AS n FROM message_counts GROUP BY channel, state HAVING SUM(n) <> 0 ORDER BY channel, state",
            )
            .fetch_all(self.conn().await?)
            .await,
        }
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(StateCount {
                    channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
                    state: parse(&r.try_get::<String, _>("state").map_err(db)?, "state")?,
                    count: r.try_get("n").map_err(db)?,
                })
            })
            .collect()
    }

    async fn count_audience(&mut self, audience: &Audience) -> Result<[i64; 3]> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("SELECT p.language, COUNT(*) AS n");
        push_audience(&mut qb, audience);
        qb.push(" GROUP BY p.language");
        let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
        let mut out = [0; 3];
        for r in &rows {
            let language: String = r.try_get("language").map_err(db)?;
            let at = match language.as_str() {
                "en" => 1,
                "fr" => 2,
                _ => 0,
            };
            out[at] += r.try_get::<i64, _>("n").map_err(db)?;
        }
        Ok(out)
    }

    async fn list_incoming(
        &mut self,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<IncomingMessage>> {
        self.incoming_page(before, limit).await
    }

    async fn incoming_repeats(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<Vec<IncomingMessage>> {
        self.incoming_with_keys(keys).await
    }

    async fn opted_out(&mut self, channel: Channel, addresses: &[String]) -> Result<Vec<String>> {
        self.opted_out_of(channel, addresses).await
    }
}

#[async_trait]
impl MessageRepo for PostgresTx {
    async fn queue_messages(&mut self, m: &[OutboxMessage]) -> Result<()> {
        // Each chunk and the counts it moves in one statement, its columns
        // bound as arrays: the same text, and plan, for any number of
        // messages.
        for chunk in m.chunks(5_000) {
            let mut moves = CountMoves::default();
            for x in chunk {
                moves.add(x.batch_id, x.channel, x.state, 1);
            }
            let counts: Vec<(Uuid, Channel, State, i64)> = moves.changes().collect();
            sqlx::query(
                "WITH queued AS ( \
                   INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, \
                   parts, state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, \
                   updated_at) \
                   SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], \
                   $8::text[], $9::text[], $10::text[], $11::int[], $12::text[], $13::int[], $14::timestamptz[], \
                   $15::timestamptz[], $16::timestamptz[], $17::text[], $18::timestamptz[], $19::timestamptz[], \
                   $20::timestamptz[], $21::timestamptz[])) \
                 INSERT INTO message_counts (batch_id, channel, state, n) \
                 SELECT * FROM UNNEST($22::uuid[], $23::text[], $24::text[], $25::bigint[]) \
                 ON CONFLICT (batch_id, channel, state) DO UPDATE SET n = message_counts.n + excluded.n",
            )
            .bind(chunk.iter().map(|m| m.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.batch_id).collect::<Vec<Option<Uuid>>>())
            .bind(chunk.iter().map(|m| m.org_id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.recipient.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.person_id).collect::<Vec<Option<Uuid>>>())
            .bind(chunk.iter().map(|m| m.language.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.subject.clone()).collect::<Vec<Option<String>>>())
            .bind(chunk.iter().map(|m| m.body.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.parts).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.state.as_str()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.attempts).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.next_attempt_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.lease_until).collect::<Vec<Option<DateTime<Utc>>>>())
            .bind(chunk.iter().map(|m| m.expires_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.error.clone()).collect::<Vec<Option<String>>>())
            .bind(chunk.iter().map(|m| m.created_at).collect::<Vec<_>>())
            .bind(chunk.iter().map(|m| m.sent_at).collect::<Vec<Option<DateTime<Utc>>>>())
            .bind(chunk.iter().map(|m| m.delivered_at).collect::<Vec<Option<DateTime<Utc>>>>())
            .bind(chunk.iter().map(|m| m.updated_at).collect::<Vec<_>>())
            .bind(counts.iter().map(|c| c.0).collect::<Vec<_>>())
            .bind(counts.iter().map(|c| c.1.as_str()).collect::<Vec<_>>())
            .bind(counts.iter().map(|c| c.2.as_str()).collect::<Vec<_>>())
            .bind(counts.iter().map(|c| c.3).collect::<Vec<_>>())
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    async fn insert_message_batch(&mut self, b: &MessageBatch) -> Result<()> {
        sqlx::query(
            "INSERT INTO message_batches (id, org_id, created_by, channel, kind, subject, body, total, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(b.id)
        .bind(b.org_id)
        .bind(b.created_by)
        .bind(b.channel.as_str())
        .bind(b.kind.as_str())
        .bind(&b.subject)
        .bind(&b.body)
        .bind(b.total)
        .bind(b.created_at)
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn queue_audience(
        &mut self,
        batch: &MessageBatch,
        audience: &Audience,
        texts: &BulkTexts,
        expires_at: DateTime<Utc>,
    ) -> Result<i64> {
        // Ids: the batch's first ten bytes (its time, then random bits),
        // then the row's number in the order rows are inserted: each index
        // on the id takes them at its end, rather than all over it.
        let now = batch.created_at;
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
            "INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, parts, \
             state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, updated_at) \
             SELECT (substr(",
        );
        qb.push_bind(batch.id)
            .push("::text, 1, 24) || lpad(to_hex(row_number() OVER ()), 12, '0'))::uuid, ")
            .push_bind(batch.id)
            .push(", ")
            .push_bind(batch.org_id)
            .push(", 'sms', ")
            .push_bind(batch.kind.as_str())
            .push(", pm.mobile, p.id, p.language, NULL, ");
        // The text and parts of the person's language.
        let [(ar, ar_parts), (en, en_parts), (fr, fr_parts)] = texts.texts.clone();
        qb.push("CASE p.language WHEN 'en' THEN ")
            .push_bind(en)
            .push(" WHEN 'fr' THEN ")
            .push_bind(fr)
            .push(" ELSE ")
            .push_bind(ar)
            .push(" END, CASE p.language WHEN 'en' THEN ")
            .push_bind(en_parts)
            .push(" WHEN 'fr' THEN ")
            .push_bind(fr_parts)
            .push(" ELSE ")
            .push_bind(ar_parts)
            .push(" END, ");
        qb.push("'queued', 0, ")
            .push_bind(now)
            .push(", NULL::timestamptz, ")
            .push_bind(expires_at)
            .push(", NULL, ")
            .push_bind(now)
            .push(", NULL::timestamptz, NULL::timestamptz, ")
            .push_bind(now);
        push_audience(&mut qb, audience);
        let r = qb.build().execute(self.conn().await?).await.map_err(db)?;
        let n = r.rows_affected() as i64;
        sqlx::query("UPDATE message_batches SET total = total + $2 WHERE id = $1")
            .bind(batch.id)
            .bind(n)
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        let mut moves = CountMoves::default();
        moves.add(Some(batch.id), Channel::Sms, State::Queued, n);
        self.move_counts(&moves).await?;
        Ok(n)
    }

    async fn claim_messages(
        &mut self,
        channel: Channel,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "WITH due AS (SELECT id FROM messages WHERE channel = $1 AND state = 'queued' AND next_attempt_at <= $2 \
                          ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED), \
                  held AS (SELECT id FROM messages WHERE channel = $1 AND state = 'sending' AND lease_until < $2 \
                           ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED) \
             UPDATE messages SET state = 'sending', lease_until = $3, updated_at = $2 \
             WHERE id IN (SELECT id FROM due UNION ALL SELECT id FROM held LIMIT $4) \
             RETURNING *, id IN (SELECT id FROM due) AS was_queued",
        )
        .bind(channel.as_str())
        .bind(now)
        .bind(until)
        .bind(limit)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        let mut out = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
        let mut moves = CountMoves::default();
        for (m, r) in out.iter().zip(&rows) {
            if r.try_get::<bool, _>("was_queued").map_err(db)? {
                moves.moved(m.batch_id, channel, State::Queued, State::Sending);
            }
        }
        self.move_counts(&moves).await?;
        out.sort_by_key(|m| m.next_attempt_at);
        Ok(out)
    }

    async fn record_attempts(&mut self, a: &[Attempt]) -> Result<()> {
        if a.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = a.iter().map(|x| x.id).collect();
        let states: Vec<&str> = a.iter().map(|x| x.state.as_str()).collect();
        let attempts: Vec<i32> = a.iter().map(|x| x.attempts).collect();
        let next: Vec<DateTime<Utc>> = a.iter().map(|x| x.next_attempt_at).collect();
        let errors: Vec<Option<String>> = a.iter().map(|x| x.error.clone()).collect();
        let at: Vec<DateTime<Utc>> = a.iter().map(|x| x.at).collect();
        // Only a message still sending takes the attempt's state: the rows
        // are locked and read first, so that the counts move as they do.
        let found = self.lock_messages(&ids).await?;
        let mut moves = CountMoves::default();
        for x in a {
            if let Some((State::Sending, batch_id, channel)) = found.get(&x.id) {
                moves.moved(*batch_id, *channel, State::Sending, x.state);
            }
        }
        sqlx::query(
            "UPDATE messages m SET attempts = greatest(m.attempts, u.attempts), \
             state = CASE WHEN m.state = 'sending' THEN u.state ELSE m.state END, \
             next_attempt_at = CASE WHEN m.state = 'sending' THEN u.next ELSE m.next_attempt_at END, \
             error = CASE WHEN m.state = 'sending' THEN u.error ELSE m.error END, \
             lease_until = NULL, \
             sent_at = CASE WHEN u.state = 'sent' THEN coalesce(m.sent_at, u.at) ELSE m.sent_at END, updated_at = u.at \
             FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::text[], $6::timestamptz[]) AS u(id, state, attempts, next, error, at) \
             WHERE m.id = u.id",
        )
        .bind(&ids)
        .bind(&states)
        .bind(&attempts)
        .bind(&next)
        .bind(&errors)
        .bind(&at)
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        self.move_counts(&moves).await
    }

    async fn apply_reports(&mut self, reports: &[GatewayReport]) -> Result<Vec<(State, State)>> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        // The messages reported, locked and read in one query; each report
        // applied in memory, in the order they came for a message, to what
        // the one before left; then every message moved in one statement:
        // two round trips for the group, whatever its size.
        let ids: Vec<Uuid> = reports.iter().map(|r| r.id).collect();
        let mut found = self.lock_messages(&ids).await?;
        let mut order: Vec<&GatewayReport> = reports.iter().collect();
        order.sort_by_key(|r| r.id);
        let mut moved = Vec::new();
        let mut moves = CountMoves::default();
        let mut changes: BTreeMap<Uuid, ReportChange> = BTreeMap::new();
        for r in order {
            let Some((state, batch_id, channel)) = found.get_mut(&r.id) else {
                continue;
            };
            let Some(next) = r.report.apply(*state) else {
                continue;
            };
            moves.moved(*batch_id, *channel, *state, next);
            moved.push((*state, next));
            *state = next;
            let c = changes.entry(r.id).or_insert(ReportChange {
                state: next,
                error: None,
                first_at: r.at,
                delivered_at: None,
                at: r.at,
            });
            c.state = next;
            c.error = r.error.clone().or(c.error.take());
            if next == State::Delivered {
                c.delivered_at = Some(r.at);
            }
            c.at = r.at;
        }
        if !changes.is_empty() {
            // A report shows an attempt reached the gateway, also when it
            // comes before the worker has written that attempt.
            sqlx::query(
                "UPDATE messages m SET state = u.state, lease_until = NULL, error = coalesce(u.error, m.error), \
                 attempts = GREATEST(m.attempts, 1), sent_at = coalesce(m.sent_at, u.first_at), \
                 delivered_at = coalesce(u.delivered_at, m.delivered_at), updated_at = u.at \
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]) \
                 AS u(id, state, error, first_at, delivered_at, at) WHERE m.id = u.id",
            )
            .bind(changes.keys().copied().collect::<Vec<_>>())
            .bind(changes.values().map(|c| c.state.as_str()).collect::<Vec<_>>())
            .bind(changes.values().map(|c| c.error.clone()).collect::<Vec<_>>())
            .bind(changes.values().map(|c| c.first_at).collect::<Vec<_>>())
            .bind(changes.values().map(|c| c.delivered_at).collect::<Vec<_>>())
            .bind(changes.values().map(|c| c.at).collect::<Vec<_>>())
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        }
        // The counts last: every writer locks messages before counts.
        self.move_counts(&moves).await?;
        Ok(moved)
    }

    async fn expire_messages(&mut self, now: DateTime<Utc>, limit: i64) -> Result<u64> {
        let rows = sqlx::query(
            "UPDATE messages SET state = 'expired', error = 'expired', updated_at = $1 WHERE id IN ( \
             SELECT id FROM messages WHERE state = 'queued' AND expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING batch_id, channel",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        let mut moves = CountMoves::default();
        for r in &rows {
            let channel = parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?;
            moves.moved(
                r.try_get("batch_id").map_err(db)?,
                channel,
                State::Queued,
                State::Expired,
            );
        }
        self.move_counts(&moves).await?;
        Ok(rows.len() as u64)
    }

    async fn insert_incoming(&mut self, m: &[IncomingMessage]) -> Result<()> {
        self.write_incoming(m);
        Ok(())
    }

    async fn set_opt_out(
        &mut self,
        channel: Channel,
        address: &str,
        opted_out_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.write_opt_out(channel, address, opted_out_at).await
    }
}

impl PostgresTx {
    /// Writes how the counts of messages moved (see [`CountMoves`]), in
    /// one statement, the rows in key order.
    pub(crate) async fn move_counts(&mut self, moves: &CountMoves) -> Result<()> {
        let (mut batches, mut channels, mut states, mut ns) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (b, c, s, n) in moves.changes() {
            batches.push(b);
            channels.push(c.as_str());
            states.push(s.as_str());
            ns.push(n);
        }
        if batches.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO message_counts (batch_id, channel, state, n) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) \
             ON CONFLICT (batch_id, channel, state) DO UPDATE SET n = message_counts.n + excluded.n",
        )
        .bind(&batches)
        .bind(&channels)
        .bind(&states)
        .bind(&ns)
        .execute(self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }
}
