-- Messages per batch, channel and state, moved in the transaction that
-- moves the messages, so that a batch's progress and the metrics are read
-- without counting messages. Messages outside a batch count under the nil
-- id (sixteen zero bytes).
CREATE TABLE message_counts (
    batch_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (batch_id, channel, state)
) WITHOUT ROWID;

INSERT INTO message_counts (batch_id, channel, state, n)
SELECT coalesce(batch_id, zeroblob(16)), channel, state, COUNT(*)
FROM messages GROUP BY 1, 2, 3;
