-- Two roles more: the inquiry manager and the 1415 call-centre agent.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'registry_clerk', 'department_head', 'officer', 'municipal_clerk', 'municipal_head', 'auditor', 'inquiry_manager', 'call_centre_agent'));

-- The national inquiry: inquiries with their questions (JSON), their
-- recipients fixed when sending starts (numbered from 1: sending resumes
-- after the last one queued), every answer kept (the current one of each
-- person and question marked), and the counts of current answers.
CREATE TABLE inquiries (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES organizations(id),
    code TEXT,
    title TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'awaiting_approval', 'approved', 'sending', 'paused', 'open', 'closed')),
    questions TEXT NOT NULL,
    municipalities TEXT NOT NULL,
    sample BIGINT,
    web_link BOOLEAN NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    quiet_start INTEGER NOT NULL,
    quiet_end INTEGER NOT NULL,
    public_results BOOLEAN NOT NULL,
    created_by UUID NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMPTZ,
    approved_by UUID REFERENCES users(id),
    approved_at TIMESTAMPTZ,
    recipients BIGINT NOT NULL,
    queued BIGINT NOT NULL,
    -- The message batch of its questions, once sending started.
    batch_id UUID REFERENCES message_batches(id),
    -- The key its personal links are signed with (random, its own).
    link_key TEXT NOT NULL,
    respondents BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX inquiries_org ON inquiries(org_id, created_at);
-- A short code names one inquiry among those not closed.
CREATE UNIQUE INDEX inquiries_code ON inquiries(code) WHERE code IS NOT NULL AND state <> 'closed';

CREATE TABLE inquiry_recipients (
    inquiry_id UUID NOT NULL REFERENCES inquiries(id),
    n BIGINT NOT NULL,
    person_id UUID NOT NULL REFERENCES persons(id),
    mobile TEXT NOT NULL,
    municipality_id UUID,
    language TEXT NOT NULL,
    position INTEGER NOT NULL,
    helped INTEGER,
    web_used_at TIMESTAMPTZ,
    first_answer_at TIMESTAMPTZ,
    PRIMARY KEY (inquiry_id, n)
);
CREATE UNIQUE INDEX inquiry_recipients_person ON inquiry_recipients(person_id, inquiry_id);
CREATE INDEX inquiry_recipients_mobile ON inquiry_recipients(mobile);

CREATE TABLE inquiry_answers (
    id UUID PRIMARY KEY,
    inquiry_id UUID NOT NULL REFERENCES inquiries(id),
    person_id UUID NOT NULL REFERENCES persons(id),
    position INTEGER NOT NULL,
    answer_key TEXT NOT NULL,
    text TEXT,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'web', 'phone')),
    taken_by UUID REFERENCES users(id),
    current BOOLEAN NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX inquiry_answers_current ON inquiry_answers(inquiry_id, person_id, position) WHERE current;
CREATE INDEX inquiry_answers_inquiry ON inquiry_answers(inquiry_id, id);

-- Current answers per inquiry, question, answer, municipality (the nil id
-- for none) and channel, moved in the transaction of each answer.
CREATE TABLE inquiry_counts (
    inquiry_id UUID NOT NULL,
    position INTEGER NOT NULL,
    answer_key TEXT NOT NULL,
    municipality_id UUID NOT NULL,
    channel TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (inquiry_id, position, answer_key, municipality_id, channel)
);
