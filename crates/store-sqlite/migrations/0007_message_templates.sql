-- Message templates: one text per language, Arabic always, with named
-- placeholders and a sample value for each. Edited in place (each change
-- audited with what it was), archived, never deleted: a message keeps
-- the text it was sent with. Placeholders and samples are JSON.
CREATE TABLE message_templates (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    text_ar TEXT NOT NULL,
    text_en TEXT,
    text_fr TEXT,
    placeholders TEXT NOT NULL,
    samples TEXT NOT NULL,
    created_by BLOB REFERENCES users(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    archived_at INTEGER
);
CREATE UNIQUE INDEX message_templates_name ON message_templates(org_id, name) WHERE archived_at IS NULL;
