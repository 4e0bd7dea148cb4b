-- Diwan's first schema on PostgreSQL. It holds the same tables as the SQLite
-- schema, with PostgreSQL's own types: uuid identifiers (UUIDv7, so new rows
-- land at the end of every primary-key index), timestamptz times, date dates,
-- jsonb documents, boolean flags and bytea token hashes. Enumerations are text
-- with CHECK constraints, so that adding a value is one ALTER TABLE rather than
-- an ALTER TYPE that cannot run inside a transaction.

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    parent_id uuid REFERENCES organizations(id),
    kind text NOT NULL CHECK (kind IN ('ministry', 'department', 'section', 'municipality')),
    code text NOT NULL UNIQUE,
    name_ar text NOT NULL,
    name_en text NOT NULL,
    name_fr text NOT NULL,
    time_zone text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX organizations_parent ON organizations(parent_id);

CREATE TABLE holidays (
    org_id uuid NOT NULL REFERENCES organizations(id),
    day date NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'registry_clerk', 'department_head', 'officer', 'municipal_clerk', 'municipal_head', 'auditor')),
    org_id uuid NOT NULL REFERENCES organizations(id),
    password_hash text NOT NULL,
    locale text,
    active boolean NOT NULL DEFAULT true,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL
);
-- User names are unique whatever their case, as on SQLite (COLLATE NOCASE);
-- sign-in looks them up through the same expression so it uses this index.
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ip text
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id),
    name text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, created_at);

CREATE TABLE case_types (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    workflow text NOT NULL,
    prefix text NOT NULL,
    name_ar text NOT NULL,
    name_en text NOT NULL,
    name_fr text NOT NULL,
    default_department_id uuid REFERENCES organizations(id),
    auto_route boolean NOT NULL,
    deadline_days integer NOT NULL,
    active boolean NOT NULL,
    field_defs jsonb NOT NULL DEFAULT '[]'
);

CREATE TABLE tracking_sequences (
    prefix text NOT NULL,
    year integer NOT NULL,
    last bigint NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id uuid PRIMARY KEY,
    case_type_id uuid NOT NULL REFERENCES case_types(id),
    tracking_number text NOT NULL UNIQUE,
    subject text NOT NULL,
    body text NOT NULL,
    fields jsonb NOT NULL,
    filer_org_id uuid NOT NULL REFERENCES organizations(id),
    filer_user_id uuid NOT NULL REFERENCES users(id),
    holder_org_id uuid REFERENCES organizations(id),
    holder_since timestamptz,
    assignee_id uuid REFERENCES users(id),
    state text NOT NULL,
    clock text NOT NULL CHECK (clock IN ('not_started', 'running', 'paused', 'stopped')),
    due_date date,
    paused_days_left integer,
    overdue boolean NOT NULL DEFAULT false,
    submitted_at timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    search_text text NOT NULL,
    -- The search text is already normalized by the application. Hyphens become
    -- spaces before parsing because PostgreSQL's parser would otherwise read
    -- '-2026' in 'mlg-2026-000123' as a signed number; split this way, the
    -- words are the same as those of SQLite's unicode61 tokenizer, and a
    -- tracking number is found as the phrase mlg <-> 2026 <-> 000123.
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, replace(search_text, '-', ' '))) STORED
);
-- Queues: a department's, a municipality's, an officer's, and everything, each
-- read newest first a page at a time with (updated_at, id) keysets.
CREATE INDEX cases_holder_updated ON cases(holder_org_id, updated_at, id);
CREATE INDEX cases_filer_updated ON cases(filer_org_id, updated_at, id);
CREATE INDEX cases_assignee_updated ON cases(assignee_id, updated_at, id);
CREATE INDEX cases_updated ON cases(updated_at, id);
CREATE INDEX cases_created ON cases(created_at, id);
-- The overdue sweep only ever looks at running cases not yet marked, so a
-- partial index stays small however many cases have been closed.
CREATE INDEX cases_overdue_sweep ON cases(due_date) WHERE clock = 'running' AND NOT overdue;
-- Dashboard counts (open, overdue, due soon, paused) per holding department.
CREATE INDEX cases_holder_due ON cases(holder_org_id, clock, due_date);
CREATE INDEX cases_search ON cases USING gin (search_vector);

CREATE TABLE case_events (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases(id),
    at timestamptz NOT NULL,
    actor_id uuid REFERENCES users(id),
    action text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    holder_org_id uuid,
    assignee_id uuid
);
CREATE INDEX case_events_case ON case_events(case_id, at);

CREATE TABLE case_messages (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases(id),
    at timestamptz NOT NULL,
    author_id uuid NOT NULL REFERENCES users(id),
    author_org_id uuid NOT NULL REFERENCES organizations(id),
    internal boolean NOT NULL,
    kind text NOT NULL,
    body text NOT NULL
);
CREATE INDEX case_messages_case ON case_messages(case_id, at);

CREATE TABLE attachments (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases(id),
    message_id uuid REFERENCES case_messages(id),
    filename text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    storage_key text NOT NULL,
    uploaded_by uuid NOT NULL REFERENCES users(id),
    internal boolean NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id, at);

CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users(id),
    case_id uuid REFERENCES cases(id),
    kind text NOT NULL,
    tracking_number text NOT NULL,
    at timestamptz NOT NULL,
    read_at timestamptz
);
CREATE INDEX notifications_user ON notifications(user_id, at, id);
-- The unread badge is read on every page, so unread notifications get their own small index.
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;

CREATE TABLE audit_log (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL,
    actor_id uuid,
    actor_name text NOT NULL,
    org_id uuid,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id text,
    ip text,
    details jsonb NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);
CREATE INDEX audit_log_org ON audit_log(org_id, at);
CREATE INDEX audit_log_object ON audit_log(object_id, at);

-- The audit trail is append-only: no statement may change or remove a record.
-- The triggers fire once per statement, before any row is touched, so even an
-- UPDATE or DELETE that matches no row fails: a statement that tries is a bug
-- or an attack, and either should be loud. TRUNCATE fires no row triggers at
-- all, which is why it needs the statement-level trigger too.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records cannot be changed or removed (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
