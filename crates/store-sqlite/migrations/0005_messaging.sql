-- The outbox: every message to send, written in the transaction of the
-- change that causes it and delivered by a worker after commit. A worker
-- holds the messages it took ('sending') until its lease runs out.
CREATE TABLE message_batches (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES organizations(id),
    created_by BLOB REFERENCES users(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    kind TEXT NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    subject TEXT,
    body TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX message_batches_org ON message_batches(org_id, created_at);

CREATE TABLE messages (
    id BLOB PRIMARY KEY,
    batch_id BLOB REFERENCES message_batches(id),
    org_id BLOB NOT NULL REFERENCES organizations(id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    kind TEXT NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    recipient TEXT NOT NULL,
    person_id BLOB REFERENCES persons(id),
    language TEXT NOT NULL CHECK (language IN ('ar', 'en', 'fr')),
    subject TEXT,
    body TEXT NOT NULL,
    parts INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired')),
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    expires_at INTEGER NOT NULL,
    error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    delivered_at INTEGER,
    updated_at INTEGER NOT NULL
);
-- What workers take next, per channel.
CREATE INDEX messages_due ON messages(channel, next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_held ON messages(channel, lease_until) WHERE state = 'sending';
CREATE INDEX messages_batch ON messages(batch_id, state);
CREATE INDEX messages_org ON messages(org_id, id);
CREATE INDEX messages_recipient ON messages(recipient, id);

-- Numbers and addresses that asked for no more bulk messages.
CREATE TABLE message_opt_outs (
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    address TEXT NOT NULL,
    opted_out_at INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
);

-- Messages received (SMS passed on by Kannel), newest first by id.
CREATE TABLE incoming_messages (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    body TEXT NOT NULL,
    action TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX incoming_messages_sender ON incoming_messages(sender, id);
