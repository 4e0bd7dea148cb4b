-- The outbox: every message to send, written in the transaction of the
-- change that causes it and delivered by a worker after commit. A worker
-- holds the messages it took ('sending') until its lease runs out.
CREATE TABLE message_batches (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations(id),
    created_by uuid REFERENCES users(id),
    channel text NOT NULL CHECK (channel IN ('sms', 'email')),
    kind text NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    subject text,
    body text NOT NULL,
    total bigint NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX message_batches_org ON message_batches(org_id, created_at);

CREATE TABLE messages (
    id uuid PRIMARY KEY,
    batch_id uuid REFERENCES message_batches(id),
    org_id uuid NOT NULL REFERENCES organizations(id),
    channel text NOT NULL CHECK (channel IN ('sms', 'email')),
    kind text NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    recipient text NOT NULL,
    person_id uuid REFERENCES persons(id),
    language text NOT NULL CHECK (language IN ('ar', 'en', 'fr')),
    subject text,
    body text NOT NULL,
    parts integer NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired')),
    attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    lease_until timestamptz,
    expires_at timestamptz NOT NULL,
    error text,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    delivered_at timestamptz,
    updated_at timestamptz NOT NULL
);
-- What workers take next, per channel.
CREATE INDEX messages_due ON messages(channel, next_attempt_at) WHERE state = 'queued';
CREATE INDEX messages_held ON messages(channel, lease_until) WHERE state = 'sending';
CREATE INDEX messages_batch ON messages(batch_id, state);
CREATE INDEX messages_org ON messages(org_id, id);
CREATE INDEX messages_recipient ON messages(recipient, id);

-- Numbers and addresses that asked for no more bulk messages.
CREATE TABLE message_opt_outs (
    channel text NOT NULL CHECK (channel IN ('sms', 'email')),
    address text NOT NULL,
    opted_out_at timestamptz NOT NULL,
    PRIMARY KEY (channel, address)
);

-- Messages received (SMS passed on by Kannel), newest first by id.
CREATE TABLE incoming_messages (
    id uuid PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('sms', 'email')),
    sender text NOT NULL,
    receiver text NOT NULL,
    body text NOT NULL,
    action text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX incoming_messages_sender ON incoming_messages(sender, id);
