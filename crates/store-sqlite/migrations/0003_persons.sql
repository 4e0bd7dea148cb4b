-- The registry of persons. `seq` is the row's own number, which the
-- full-text index refers to and which VACUUM keeps (an implicit rowid it may
-- renumber); `id` is what other records refer to.
CREATE TABLE persons (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    national_number TEXT NOT NULL UNIQUE,
    name_ar TEXT NOT NULL,
    name_latin TEXT,
    sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date TEXT,
    email TEXT,
    municipality_id BLOB REFERENCES organizations(id),
    language TEXT NOT NULL CHECK (language IN ('ar', 'en', 'fr')),
    sms_opt_out_at INTEGER,
    email_opt_out_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    search_text TEXT NOT NULL
);
-- A municipality's residents, newest first.
CREATE INDEX persons_municipality ON persons(municipality_id, seq);

-- A person's mobile numbers, in the order they are to be used; found by number.
CREATE TABLE person_mobiles (
    person_id BLOB NOT NULL REFERENCES persons(id),
    position INTEGER NOT NULL,
    mobile TEXT NOT NULL,
    PRIMARY KEY (person_id, position)
);
CREATE INDEX person_mobiles_mobile ON person_mobiles(mobile);

CREATE VIRTUAL TABLE persons_fts USING fts5(
    search_text,
    content = 'persons',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER persons_fts_insert AFTER INSERT ON persons BEGIN
    INSERT INTO persons_fts(rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER persons_fts_update AFTER UPDATE OF search_text ON persons
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO persons_fts(rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER persons_fts_delete AFTER DELETE ON persons BEGIN
    INSERT INTO persons_fts(persons_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
