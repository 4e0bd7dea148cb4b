-- Imports of persons from CSV files: a job per file, worked through in
-- chunks, each committed with the persons it wrote and where the next one
-- starts, so that a job taken over after a crash resumes where the last
-- commit left it. A worker holds a job by its lease.
CREATE TABLE person_imports (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES organizations(id),
    created_by BLOB NOT NULL REFERENCES users(id),
    file_name TEXT NOT NULL,
    file_key TEXT NOT NULL,
    file_bytes INTEGER NOT NULL,
    delimiter TEXT NOT NULL,
    columns TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    next_offset INTEGER NOT NULL,
    next_line INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    lease_owner BLOB,
    lease_until INTEGER,
    error TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
);
CREATE INDEX person_imports_org ON person_imports(org_id, created_at);
CREATE INDEX person_imports_open ON person_imports(state, created_at) WHERE state IN ('queued', 'running');

-- The lines an import refused, with why.
CREATE TABLE person_import_rejections (
    import_id BLOB NOT NULL REFERENCES person_imports(id),
    line INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (import_id, line)
);
