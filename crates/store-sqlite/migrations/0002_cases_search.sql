-- Cases: new cases enter the full-text index when the group of
-- transactions that filed them commits, in one statement for the group,
-- instead of row by row from a trigger. FTS5 writes what it holds to disk at
-- every savepoint of a transaction it takes part in, and the writer puts each
-- transaction of a group in a savepoint of its own: indexed row by row, every
-- filing became a segment of its own and the index spent its time merging
-- them. The mark says up to which rowid the index holds the cases; the writer
-- indexes the cases after it and moves it on before each commit.
CREATE TABLE search_index_mark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT INTO search_index_mark (id, upto) SELECT 1, coalesce(max(rowid), 0) FROM cases;

DROP TRIGGER cases_fts_insert;
DROP TRIGGER cases_fts_update;
DROP TRIGGER cases_fts_delete;

-- A change of text re-indexes a case the index holds already; one filed in
-- the same group is indexed with its final text when the group commits.
CREATE TRIGGER cases_fts_update AFTER UPDATE OF search_text ON cases
WHEN old.search_text IS NOT new.search_text
  AND old.rowid <= (SELECT upto FROM search_index_mark) BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO cases_fts(rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases
WHEN old.rowid <= (SELECT upto FROM search_index_mark) BEGIN
    INSERT INTO cases_fts(cases_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
