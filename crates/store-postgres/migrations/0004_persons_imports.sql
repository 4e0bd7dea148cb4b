-- Imports of persons from CSV files: a job per file, worked through in
-- chunks, each committed with the persons it wrote and where the next one
-- starts, so that a job taken over after a crash (or by another node, once
-- its lease ran out) resumes where the last commit left it.
CREATE TABLE person_imports (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations(id),
    created_by uuid NOT NULL REFERENCES users(id),
    file_name text NOT NULL,
    file_key text NOT NULL,
    file_bytes bigint NOT NULL,
    delimiter text NOT NULL,
    columns text NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    next_offset bigint NOT NULL,
    next_line bigint NOT NULL,
    created bigint NOT NULL,
    updated bigint NOT NULL,
    unchanged bigint NOT NULL,
    rejected bigint NOT NULL,
    lease_owner uuid,
    lease_until timestamptz,
    error text,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX person_imports_org ON person_imports(org_id, created_at);
CREATE INDEX person_imports_open ON person_imports(state, created_at) WHERE state IN ('queued', 'running');

-- The lines an import refused, with why.
CREATE TABLE person_import_rejections (
    import_id uuid NOT NULL REFERENCES person_imports(id),
    line bigint NOT NULL,
    reasons text NOT NULL,
    content text NOT NULL,
    PRIMARY KEY (import_id, line)
);
