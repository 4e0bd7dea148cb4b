-- Messages per batch, channel and state, moved in the transaction that
-- moves the messages, so that a batch's progress and the metrics are read
-- without counting messages. Messages outside a batch count under the nil
-- id.
CREATE TABLE message_counts (
    batch_id UUID NOT NULL,
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (batch_id, channel, state)
);

INSERT INTO message_counts (batch_id, channel, state, n)
SELECT coalesce(batch_id, '00000000-0000-0000-0000-000000000000'::uuid), channel, state, COUNT(*)
FROM messages GROUP BY 1, 2, 3;
