//! Incoming messages and opt-outs: what arrives from the gateways (kept,
//! and found again when a gateway posts the same message twice), and the
//! addresses that asked for no more bulk messages.

use crate::convert::*;
use crate::PostgresTx;
use chrono::{DateTime, Utc};
use diwan_domain::messaging::Channel;
use diwan_store::*;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

fn incoming_from(r: &PgRow) -> Result<IncomingMessage> {
    Ok(IncomingMessage {
        id: r.try_get("id").map_err(db)?,
        channel: parse(&r.try_get::<String, _>("channel").map_err(db)?, "channel")?,
        sender: r.try_get("sender").map_err(db)?,
        receiver: r.try_get("receiver").map_err(db)?,
        body: r.try_get("body").map_err(db)?,
        action: r.try_get("action").map_err(db)?,
        gateway_time: r.try_get("gateway_time").map_err(db)?,
        received_at: r.try_get("received_at").map_err(db)?,
    })
}

impl PostgresTx {
    pub(super) async fn incoming_page(
        &mut self,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<IncomingMessage>> {
        let rows = sqlx::query(
            "SELECT * FROM incoming_messages WHERE ($1::uuid IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(incoming_from).collect()
    }

    pub(super) async fn incoming_with_keys(
        &mut self,
        keys: &[(String, String)],
    ) -> Result<Vec<IncomingMessage>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT m.* FROM incoming_messages m \
             JOIN UNNEST($1::text[], $2::text[]) AS k(sender, gateway_time) \
             ON m.sender = k.sender AND m.gateway_time = k.gateway_time",
        )
        .bind(keys.iter().map(|k| k.0.clone()).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| k.1.clone()).collect::<Vec<_>>())
        .fetch_all(self.conn().await?)
        .await
        .map_err(db)?;
        rows.iter().map(incoming_from).collect()
    }

    pub(super) async fn opted_out_of(
        &mut self,
        channel: Channel,
        addresses: &[String],
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for chunk in addresses.chunks(400) {
            let mut qb: QueryBuilder<Postgres> =
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
                .fetch_all(self.conn().await?)
                .await
                .map_err(db)?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Holds back the SMS received, to go with the transaction's next
    /// statement.
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
            .bind(at),
            None => sqlx::query("DELETE FROM message_opt_outs WHERE channel = $1 AND address = $2")
                .bind(channel.as_str())
                .bind(address),
        };
        q.execute(self.conn().await?).await.map_err(db)?;
        Ok(())
    }
}

/// Appends the INSERT of SMS received (without a terminating semicolon).
pub(crate) fn push_insert_incoming(qb: &mut QueryBuilder<'_, Postgres>, rows: &[IncomingMessage]) {
    qb.push(
        "INSERT INTO incoming_messages (id, channel, sender, receiver, body, action, received_at, gateway_time) ",
    );
    crate::pending::Rows::new(qb, rows)
        .column("uuid", |m| m.id)
        .column("text", |m| m.channel.as_str())
        .column("text", |m| m.sender.clone())
        .column("text", |m| m.receiver.clone())
        .column("text", |m| m.body.clone())
        .column("text", |m| m.action.clone())
        .column("timestamptz", |m| m.received_at)
        .column("text", |m| m.gateway_time.clone())
        .end();
}
