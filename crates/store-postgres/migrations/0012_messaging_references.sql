-- Messages are written a million at a time (a bulk SMS, an inquiry's
-- questions), and their references are checked once per statement, over all
-- its rows, instead of by foreign keys.
--
-- A foreign key checks each reference of each row on its own: an index
-- lookup and a row lock on the row referred to (FOR KEY SHARE), which writes
-- to that row. Three per message: 1,000,000 messages of a bulk SMS took
-- 25.5 s to insert with them and 15.4 s without (one INSERT ... SELECT over
-- 1,000,000 persons, on this schema, PostgreSQL 15).
--
-- The lock is there so that the row referred to cannot be deleted, or its
-- key changed, while the reference is written. Rows that others refer to are
-- never deleted in Diwan (a user or an organization is deactivated, a person
-- stays in the registry, a batch stays with its history), and here the
-- database refuses it outright, as it refuses to change the audit trail. A
-- message's references never change either (refused too). With that, a
-- reference found once stays good, and the check needs no lock: each INSERT
-- runs one query per reference over the rows it wrote (a transition table),
-- planned for their number, and fails with foreign_key_violation, as a
-- foreign key would, if any refers to a row that does not exist.

CREATE FUNCTION refuse_removal() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never removed, nor their references changed (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

-- Makes the rows of `tbl` permanent: a DELETE or TRUNCATE is refused,
-- however few rows it touches, and so is a change of a row's id.
CREATE FUNCTION make_permanent(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER %I BEFORE DELETE OR TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION refuse_removal()', tbl || '_permanent', tbl);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF id ON %I FOR EACH ROW '
                   'WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_removal()', tbl || '_id_fixed', tbl);
END;
$$;

SELECT make_permanent(t) FROM unnest(ARRAY['organizations', 'users', 'persons', 'message_batches']) AS t;

-- The check of an INSERT's references, for a trigger that names them in
-- pairs (column, table referred to by its id) and its rows `written`: fails
-- if any row refers to a row that does not exist. Each query is planned at
-- each call (EXECUTE), for the number of rows written: a join over a
-- million, an index lookup or two for a few.
CREATE FUNCTION check_written_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    missing boolean;
BEGIN
    WHILE i + 1 < TG_NARGS LOOP
        EXECUTE format(
            'SELECT EXISTS (SELECT 1 FROM written w WHERE w.%1$I IS NOT NULL '
            'AND NOT EXISTS (SELECT 1 FROM %2$I t WHERE t.id = w.%1$I))',
            TG_ARGV[i], TG_ARGV[i + 1])
            INTO missing;
        IF missing THEN
            RAISE EXCEPTION 'a row of % refers by % to a row of % that does not exist',
                    TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1]
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END;
$$;

ALTER TABLE messages
    DROP CONSTRAINT messages_batch_id_fkey,
    DROP CONSTRAINT messages_org_id_fkey,
    DROP CONSTRAINT messages_person_id_fkey;
CREATE TRIGGER messages_references AFTER INSERT ON messages
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_references(
        'batch_id', 'message_batches', 'org_id', 'organizations', 'person_id', 'persons');
CREATE TRIGGER messages_references_fixed BEFORE UPDATE OF batch_id, org_id, person_id ON messages
    FOR EACH ROW WHEN (OLD.batch_id IS DISTINCT FROM NEW.batch_id OR OLD.org_id IS DISTINCT FROM NEW.org_id
                       OR OLD.person_id IS DISTINCT FROM NEW.person_id)
    EXECUTE FUNCTION refuse_removal();
