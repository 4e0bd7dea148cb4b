-- The national inquiry: inquiries with their questions (JSON), their
-- recipients fixed when sending starts (numbered from 1: sending resumes
-- after the last one queued), every answer kept (the current one of each
-- person and question marked), and the counts of current answers.
CREATE TABLE inquiries (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES organizations(id),
    code TEXT,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'awaiting_approval', 'approved', 'sending', 'paused', 'open', 'closed')),
    questions TEXT NOT NULL,
    municipalities TEXT NOT NULL,
    sample INTEGER,
    web_link INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    quiet_start INTEGER NOT NULL,
    quiet_end INTEGER NOT NULL,
    public_results INTEGER NOT NULL,
    created_by BLOB NOT NULL REFERENCES users(id),
    submitted_at INTEGER,
    approved_by BLOB REFERENCES users(id),
    approved_at INTEGER,
    recipients INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    -- The message batch of its questions, once sending started.
    batch_id BLOB REFERENCES message_batches(id),
    -- The key its personal links are signed with (random, its own).
    link_key TEXT NOT NULL,
    respondents INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX inquiries_org ON inquiries(org_id, created_at);
-- A short code names one inquiry among those not closed.
CREATE UNIQUE INDEX inquiries_code ON inquiries(code) WHERE code IS NOT NULL AND state <> 'closed';

CREATE TABLE inquiry_recipients (
    inquiry_id BLOB NOT NULL REFERENCES inquiries(id),
    n INTEGER NOT NULL,
    person_id BLOB NOT NULL REFERENCES persons(id),
    mobile TEXT NOT NULL,
    municipality_id BLOB,
    language TEXT NOT NULL,
    position INTEGER NOT NULL,
    helped INTEGER,
    web_used_at INTEGER,
    first_answer_at INTEGER,
    PRIMARY KEY (inquiry_id, n)
);
CREATE UNIQUE INDEX inquiry_recipients_person ON inquiry_recipients(person_id, inquiry_id);
CREATE INDEX inquiry_recipients_mobile ON inquiry_recipients(mobile);

CREATE TABLE inquiry_answers (
    id BLOB PRIMARY KEY,
    inquiry_id BLOB NOT NULL REFERENCES inquiries(id),
    person_id BLOB NOT NULL REFERENCES persons(id),
    position INTEGER NOT NULL,
    answer_key TEXT NOT NULL,
    text TEXT,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'web', 'phone')),
    taken_by BLOB REFERENCES users(id),
    current INTEGER NOT NULL,
    answered_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX inquiry_answers_current ON inquiry_answers(inquiry_id, person_id, position) WHERE current = 1;
CREATE INDEX inquiry_answers_inquiry ON inquiry_answers(inquiry_id, id);

-- Current answers per inquiry, question, answer, municipality (the nil id
-- for none) and channel, moved in the transaction of each answer.
CREATE TABLE inquiry_counts (
    inquiry_id BLOB NOT NULL,
    position INTEGER NOT NULL,
    answer_key TEXT NOT NULL,
    municipality_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (inquiry_id, position, answer_key, municipality_id, channel)
) WITHOUT ROWID;
