//! Incoming messages and opt-outs: what arrives from the gateways (kept,
//! and found again when a gateway posts the same message twice), and the
//! addresses that asked for no more bulk messages.

use crate::convert::*;
use crate::SqliteTx;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::Channel;
use diwan_store::*;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

fn incoming_from(r: &SqliteRow) -> Result<IncomingMessage> {
    Ok(IncomingMessage {
        id: r.try_get("id").map_err(db)?,
        channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
        sender: r.try_get("sender").map_err(db)?,
        receiver: r.try_get("receiver").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        gateway_time: r.try_get("gateway_time").map_err(db)?,
        received_at: from_ts(r.try_get("received_at").map_err(db)?)?,
    })
}

impl SqliteTx {
    pub(super) async fn incoming_page(
        &mut self,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<IncomingMessage>> {
        let rows = sqlx::query(
            "SELECT * FROM incoming_messages WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(self.read_conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(incoming_from).collect()
    }

    pub(super) async fn incoming_with_keys(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<Vec<IncomingMessage>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(400) {
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT * FROM incoming_messages WHERE gateway_time IS NOT NULL AND (sender, gateway_time) IN (VALUES ",
            );
            for (at, (sender, time)) in chunk.iter().enumerate() {
                if at > 0 {
                    qb.push(", ");
                }
                qb.push("(")
                    .push_bind(sender.clone())
                    .push(", ")
                    .push_bind(time.clone())
                    .push(")");
            }
            qb.push(")");
            let rows = qb
                .build()
                .fetch_all(self.read_conn().await?)
                .await
                .map_err(db)?;
            for r in &rows {
                out.push(incoming_from(r)?);
            }
        }
        Ok(out)
    }

    pub(super) async fn opted_out_of(
        &mut self,
        channel: Channel,
        addresses: &[String],
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in addresses.chunks(400) {
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT address FROM message_opt_outs WHERE channel = ");
            qb.push_bind(channel.as_str()).push(" AND address IN (");
            let mut s = qb.separated(", ");
            for a in chunk {
                s.push_bind(a.clone());
            }
            qb.push(")");
            match channel {
                Channel::Sms => qb.push(
                    " UNION SELECT pm.mobile FROM person_mobiles pm JOIN persons p ON p.id = pm.person_id \
                     WHERE p.sms_opt_out_at IS NOT NULL AND pm.mobile IN (",
                ),
                Channel::Email => qb.push(
                    " UNION SELECT email FROM persons WHERE email_opt_out_at IS NOT NULL AND email IN (",
                ),
            };
            let mut s = qb.separated(", ");
            for a in chunk {
                s.push_bind(a.clone());
            }
            qb.push(")");
            let rows: Vec<String> = qb
                .build_query_scalar()
                .fetch_all(self.read_conn().await?)
                .await
                .map_err(db)?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Holds back the SMS received, to go with the transaction's next
    /// trip.
    pub(super) fn write_incoming(&mut self, m: &[IncomingMessage]) {
        if !m.is_empty() {
            self.hold(crate::pending::Write::Incoming(m.to_vec()));
        }
    }

    pub(super) async fn write_opt_out(
        &mut self,
        channel: Channel,
        address: &str,
        opted_out_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let q = match opted_out_at {
            Some(at) => sqlx::query(
                "INSERT INTO message_opt_outs (channel, address, opted_out_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (channel, address) DO NOTHING",
            )
            .bind(channel.as_str())
            .bind(address)
            .bind(ts(at)),
            None => sqlx::query("DELETE FROM message_opt_outs WHERE channel = $1 AND address = $2")
                .bind(channel.as_str())
                .bind(address),
        };
        q.execute(self.conn().await?).await.map_err(db)?;
        Ok(())
    }
}

/// Appends the INSERTs of SMS received.
pub(crate) fn push_insert_incoming(qb: &mut QueryBuilder<'_, Sqlite>, m: &[IncomingMessage]) {
    for chunk in m.chunks(400) {
        qb.push(
            "INSERT INTO incoming_messages (id, channel, sender, receiver, body, action, received_at, gateway_time) ",
        );
        qb.push_values(chunk, |mut b, m| {
            b.push_bind(m.id)
                .push_bind(m.channel.as_str())
                .push_bind(m.sender.clone())
                .push_bind(m.receiver.clone())
                .push_bind(m.body.clone())
                .push_bind(m.action.clone())
                .push_bind(ts(m.received_at))
                .push_bind(m.gateway_time.clone());
        });
        qb.push(";");
    }
}
