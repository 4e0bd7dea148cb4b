-- Diwan's first schema on SQLite. Times are INTEGER microseconds since the
-- Unix epoch (UTC), dates are TEXT 'YYYY-MM-DD', identifiers are 16-byte
-- UUIDv7 BLOBs, JSON is TEXT.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY,
    parent_id BLOB REFERENCES organizations(id),
    kind TEXT NOT NULL CHECK (kind IN ('ministry', 'department', 'section', 'municipality')),
    code TEXT NOT NULL UNIQUE,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX organizations_parent ON organizations(parent_id);

CREATE TABLE holidays (
    org_id BLOB NOT NULL REFERENCES organizations(id),
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    org_id BLOB NOT NULL REFERENCES organizations(id),
    password_hash TEXT NOT NULL,
    locale TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE case_types (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    workflow TEXT NOT NULL,
    prefix TEXT NOT NULL,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    default_department_id BLOB REFERENCES organizations(id),
    auto_route INTEGER NOT NULL,
    deadline_days INTEGER NOT NULL,
    active INTEGER NOT NULL,
    field_defs TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE tracking_sequences (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id BLOB PRIMARY KEY,
    case_type_id BLOB NOT NULL REFERENCES case_types(id),
    tracking_number TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    fields TEXT NOT NULL,
    filer_org_id BLOB NOT NULL REFERENCES organizations(id),
    filer_user_id BLOB NOT NULL REFERENCES users(id),
    holder_org_id BLOB REFERENCES organizations(id),
    holder_since INTEGER,
    assignee_id BLOB REFERENCES users(id),
    state TEXT NOT NULL,
    clock TEXT NOT NULL,
    due_date TEXT,
    paused_days_left INTEGER,
    overdue INTEGER NOT NULL DEFAULT 0,
    submitted_at INTEGER,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX cases_holder_updated ON cases(holder_org_id, updated_at, id);
CREATE INDEX cases_filer_updated ON cases(filer_org_id, updated_at, id);
CREATE INDEX cases_assignee_updated ON cases(assignee_id, updated_at, id);
CREATE INDEX cases_updated ON cases(updated_at, id);
CREATE INDEX cases_running_due ON cases(clock, overdue, due_date);
CREATE INDEX cases_holder_due ON cases(holder_org_id, clock, due_date);

-- Full-text index over the normalized search text, kept in step by triggers.
CREATE VIRTUAL TABLE cases_fts USING fts5(
    search_text,
    content = 'cases',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
-- Only a real change of the text touches the index: most updates move a case
-- along its workflow and leave its words alone.
CREATE TRIGGER cases_fts_update AFTER UPDATE OF search_text ON cases
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO cases_fts(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;

CREATE TABLE case_events (
    id BLOB PRIMARY KEY,
    case_id BLOB NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    actor_id BLOB REFERENCES users(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    holder_org_id BLOB,
    assignee_id BLOB
);
CREATE INDEX case_events_case ON case_events(case_id, at);

CREATE TABLE case_messages (
    id BLOB PRIMARY KEY,
    case_id BLOB NOT NULL REFERENCES cases(id),
    at INTEGER NOT NULL,
    author_id BLOB NOT NULL REFERENCES users(id),
    author_org_id BLOB NOT NULL REFERENCES organizations(id),
    internal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX case_messages_case ON case_messages(case_id, at);

CREATE TABLE attachments (
    id BLOB PRIMARY KEY,
    case_id BLOB NOT NULL REFERENCES cases(id),
    message_id BLOB REFERENCES case_messages(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by BLOB NOT NULL REFERENCES users(id),
    internal INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, at);

CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    case_id BLOB REFERENCES cases(id),
    kind TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, at);

CREATE TABLE audit_log (
    id BLOB PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id BLOB,
    actor_name TEXT NOT NULL,
    org_id BLOB,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    ip TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);
CREATE INDEX audit_log_object ON audit_log(object_id, at);

-- The audit trail is append-only: no statement may change or remove a record.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit records cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit records cannot be deleted');
END;
