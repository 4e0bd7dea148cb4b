//! The outbox on SQLite. One writer: a worker's claim and its update are
//! not raced by another worker.

use crate::convert::*;
use crate::SqliteTx;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::{Channel, State};
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

mod incoming;
pub(crate) use incoming::push_insert_incoming;

fn message_from(r: &SqliteRow) -> Result<OutboxMessage> {
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
        next_attempt_at: from_ts(r.try_get("next_attempt_at").map_err(db)?)?,
        lease_until: from_ts_opt(r.try_get("lease_until").map_err(db)?)?,
        expires_at: from_ts(r.try_get("expires_at").map_err(db)?)?,
        error: r.try_get("error").map_err(db)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
        sent_at: from_ts_opt(r.try_get("sent_at").map_err(db)?)?,
        delivered_at: from_ts_opt(r.try_get("delivered_at").map_err(db)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(db)?)?,
    })
}

fn batch_from(r: &SqliteRow) -> Result<MessageBatch> {
    Ok(MessageBatch {
        id: r.try_get("id").map_err(db)?,
        org_id: r.try_get("org_id").map_err(db)?,
        created_by: r.try_get("created_by").map_err(db)?,
        channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
        kind: parse(&r.try_get::<String, _>("kind").map_err(db)?, "kind")?,
        subject: r.try_get("subject").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        total: r.try_get("total").map_err(db)?,
        created_at: from_ts(r.try_get("created_at").map_err(db)?)?,
    })
}

/// `AND p.municipality_id IN (…)` when the audience names municipalities.
pub(crate) fn push_audience(qb: &mut QueryBuilder<'_, Sqlite>, a: &Audience) {
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

#[async_trait]
impl MessageRead for SqliteTx {
    async fn get_outbox_message(&mut self, id: Uuid) -> Result<Option<OutboxMessage>> {
        let r = sqlx::query("SELECT * FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
            .await
            .map_err(db)?;
        r.as_ref().map(message_from).transpose()
    }

    async fn list_outbox(&mut self, q: &OutboxQuery) -> Result<Vec<OutboxMessage>> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM messages WHERE 1 = 1");
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
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
        rows.iter().map(message_from).collect()
    }

    async fn get_message_batch(&mut self, id: Uuid) -> Result<Option<MessageBatch>> {
        let r = sqlx::query("SELECT * FROM message_batches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.read_conn().await?)
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
            "SELECT * FROM message_batches WHERE ($1 IS NULL OR org_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(org_id)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
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
            .fetch_all(self.read_conn().await?)
            .await,
            None => sqlx::query(
                "SELECT channel, state, SUM(n) AS n FROM message_counts GROUP BY channel, state HAVING SUM(n) <> 0 ORDER BY channel, state",
            )
            .fetch_all(self.read_conn().await?)
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
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT p.language, COUNT(*) AS n");
        push_audience(&mut qb, audience);
        qb.push(" GROUP BY p.language");
        let rows = qb
            .build()
            .fetch_all(self.read_conn().await?)
            .await
            .map_err(db)?;
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
impl MessageRepo for SqliteTx {
    async fn queue_messages(&mut self, m: &[OutboxMessage]) -> Result<()> {
        if !m.is_empty() {
            self.hold(crate::pending::Write::Outbox(m.to_vec()));
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
        .bind(ts(b.created_at))
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
        // then the person's number in the registry, and inserted in that
        // order: each index on the id takes them at its end. Random ids
        // would land all over those indexes, each insert reading and
        // writing another page (a million took 18 s rather than 7 s).
        // `||` makes text, the cast makes it a BLOB again as every other id.
        let now = ts(batch.created_at);
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, parts, \
             state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, updated_at) \
             SELECT CAST(substr(",
        );
        qb.push_bind(batch.id)
            .push(", 1, 10) || unhex(printf('%012x', p.seq)) AS BLOB), ")
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
            .push(", NULL, ")
            .push_bind(ts(expires_at))
            .push(", NULL, ")
            .push_bind(now)
            .push(", NULL, NULL, ")
            .push_bind(now);
        push_audience(&mut qb, audience);
        qb.push(" ORDER BY p.seq");
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
        // Those whose lease ran out first (they were sending, and stay so),
        // then those queued (which move to sending).
        let mut out = Vec::new();
        for (from, order) in [
            ("sending", "lease_until < $2 ORDER BY lease_until"),
            ("queued", "next_attempt_at <= $2 ORDER BY next_attempt_at"),
        ] {
            let left = limit - out.len() as i64;
            if left <= 0 {
                break;
            }
            let rows = sqlx::query(&format!(
                "UPDATE messages SET state = 'sending', lease_until = $3, updated_at = $2 WHERE id IN ( \
                   SELECT id FROM messages WHERE channel = $1 AND state = '{from}' AND {order} LIMIT $4) \
                 RETURNING *"
            ))
            .bind(channel.as_str())
            .bind(ts(now))
            .bind(ts(until))
            .bind(left)
            .fetch_all(self.conn().await?)
            .await
            .map_err(db)?;
            let taken = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
            if from == "queued" {
                let mut moves = CountMoves::default();
                for m in &taken {
                    moves.moved(m.batch_id, channel, State::Queued, State::Sending);
                }
                self.move_counts(&moves).await?;
            }
            out.extend(taken);
        }
        out.sort_by_key(|m| m.next_attempt_at);
        Ok(out)
    }

    async fn record_attempts(&mut self, a: &[Attempt]) -> Result<()> {
        // Only a message still sending takes the attempt's state.
        let mut moves = CountMoves::default();
        for chunk in a.chunks(400) {
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT id, batch_id, channel, state FROM messages WHERE state = 'sending' AND id IN (");
            let mut ids = qb.separated(", ");
            for x in chunk {
                ids.push_bind(x.id);
            }
            qb.push(")");
            let rows = qb.build().fetch_all(self.conn().await?).await.map_err(db)?;
            let to: std::collections::HashMap<Uuid, State> =
                chunk.iter().map(|x| (x.id, x.state)).collect();
            for r in &rows {
                let id: Uuid = r.try_get("id").map_err(db)?;
                let channel = parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?;
                if let Some(next) = to.get(&id) {
                    moves.moved(
                        r.try_get("batch_id").map_err(db)?,
                        channel,
                        State::Sending,
                        *next,
                    );
                }
            }
        }
        for x in a {
            sqlx::query(
                "UPDATE messages SET attempts = max(attempts, $3), \
                 state = CASE WHEN state = 'sending' THEN $2 ELSE state END, \
                 next_attempt_at = CASE WHEN state = 'sending' THEN $4 ELSE next_attempt_at END, \
                 error = CASE WHEN state = 'sending' THEN $5 ELSE error END, \
                 lease_until = NULL, \
                 sent_at = CASE WHEN $2 = 'sent' THEN coalesce(sent_at, $6) ELSE sent_at END, updated_at = $6 \
                 WHERE id = $1",
            )
            .bind(x.id)
            .bind(x.state.as_str())
            .bind(x.attempts)
            .bind(ts(x.next_attempt_at))
            .bind(&x.error)
            .bind(ts(x.at))
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
        }
        self.move_counts(&moves).await
    }

    async fn apply_reports(&mut self, reports: &[GatewayReport]) -> Result<Vec<(State, State)>> {
        let mut order: Vec<&GatewayReport> = reports.iter().collect();
        order.sort_by_key(|r| r.id);
        let mut moved = Vec::new();
        let mut moves = CountMoves::default();
        for r in order {
            let Some(m) = self.get_outbox_message(r.id).await? else {
                continue;
            };
            let Some(next) = r.report.apply(m.state) else {
                continue;
            };
            sqlx::query(
                // A report shows an attempt reached the gateway, also when it
                // comes before the worker has written that attempt.
                "UPDATE messages SET state = $2, lease_until = NULL, error = coalesce($3, error), attempts = max(attempts, 1), \
                 sent_at = coalesce(sent_at, $4), delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END, updated_at = $4 \
                 WHERE id = $1 AND state = $5",
            )
            .bind(r.id)
            .bind(next.as_str())
            .bind(&r.error)
            .bind(ts(r.at))
            .bind(m.state.as_str())
            .execute(self.conn().await?)
            .await
            .map_err(db)?;
            moves.moved(m.batch_id, m.channel, m.state, next);
            moved.push((m.state, next));
        }
        // The counts last: every writer locks messages before counts.
        self.move_counts(&moves).await?;
        Ok(moved)
    }

    async fn expire_messages(&mut self, now: DateTime<Utc>, limit: i64) -> Result<u64> {
        let rows = sqlx::query(
            "UPDATE messages SET state = 'expired', error = 'expired', updated_at = $1 WHERE id IN ( \
             SELECT id FROM messages WHERE state = 'queued' AND expires_at < $1 LIMIT $2) \
             RETURNING batch_id, channel",
        )
        .bind(ts(now))
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

impl SqliteTx {
    /// Writes how the counts of messages moved (see [`CountMoves`]), in one
    /// trip.
    pub(crate) async fn move_counts(&mut self, moves: &CountMoves) -> Result<()> {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("");
        push_move_counts(&mut qb, moves);
        if !qb.sql().is_empty() {
            qb.build().execute(self.conn().await?).await.map_err(db)?;
        }
        Ok(())
    }
}

/// Appends the INSERTs of messages queued and the counts they move.
pub(crate) fn push_queue_messages(qb: &mut QueryBuilder<'_, Sqlite>, m: &[OutboxMessage]) {
    for chunk in m.chunks(100) {
        qb.push(
            "INSERT INTO messages (id, batch_id, org_id, channel, kind, recipient, person_id, language, subject, body, parts, \
             state, attempts, next_attempt_at, lease_until, expires_at, error, created_at, sent_at, delivered_at, updated_at) ",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(m.id)
                .push_bind(m.batch_id)
                .push_bind(m.org_id)
                .push_bind(m.channel.as_str())
                .push_bind(m.kind.as_str())
                .push_bind(m.recipient.clone())
                .push_bind(m.person_id)
                .push_bind(m.language.clone())
                .push_bind(m.subject.clone())
                .push_bind(m.body.clone())
                .push_bind(m.parts)
                .push_bind(m.state.as_str())
                .push_bind(m.attempts)
                .push_bind(ts(m.next_attempt_at))
                .push_bind(ts_opt(m.lease_until))
                .push_bind(ts(m.expires_at))
                .push_bind(m.error.clone())
                .push_bind(ts(m.created_at))
                .push_bind(ts_opt(m.sent_at))
                .push_bind(ts_opt(m.delivered_at))
                .push_bind(ts(m.updated_at));
        });
        qb.push(";");
    }
    let mut moves = CountMoves::default();
    for x in m {
        moves.add(x.batch_id, x.channel, x.state, 1);
    }
    push_move_counts(qb, &moves);
}

/// Appends how the counts of messages move, one upsert per count that
/// changes, in key order.
fn push_move_counts(qb: &mut QueryBuilder<'_, Sqlite>, moves: &CountMoves) {
    for (batch, channel, state, n) in moves.changes() {
        qb.push("INSERT INTO message_counts (batch_id, channel, state, n) VALUES (")
            .push_bind(batch)
            .push(", ")
            .push_bind(channel.as_str())
            .push(", ")
            .push_bind(state.as_str())
            .push(", ")
            .push_bind(n)
            .push(") ON CONFLICT (batch_id, channel, state) DO UPDATE SET n = n + excluded.n;");
    }
}
