-- An inquiry's fan-out writes 1,000,000 recipients and then 1,000,000
-- questions, 20,000 rows a statement, and each statement's check of its
-- references (check_written_references, 0012_messaging_references.sql)
-- went over its 20,000 rows once per reference, looking each one up, though
-- the statement had them already: a run's recipients are read from
-- `persons` by the very statement that writes them, for the inquiry the
-- transaction has just read; a run's questions copy their persons from
-- recipients whose own were checked when written, for the batch and the
-- organization of that inquiry, whose row refers to them (by foreign keys)
-- and was read by the same transaction. None of these rows is ever
-- removed, nor are these references ever changed (both refused), so what
-- was found once holds.
--
-- Such a statement names those columns in the transaction-local setting
-- `diwan.checked_references` (comma-separated), which the store sets just
-- before it and clears just after it; the check skips them and checks the
-- others as before. Writing an inquiry's 1,000,000 recipients and questions
-- this way took 12.8–13.0 s instead of 16.8–19.2 s (20,000 rows a
-- statement, 1,000,000 messages already queued, PostgreSQL 15).
CREATE OR REPLACE FUNCTION check_written_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    i integer := 0;
    missing boolean;
    checked text[] := string_to_array(coalesce(current_setting('diwan.checked_references', true), ''), ',');
BEGIN
    WHILE i + 1 < TG_NARGS LOOP
        IF NOT (TG_ARGV[i] = ANY (checked)) THEN
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
        END IF;
        i := i + 2;
    END LOOP;
    RETURN NULL;
END;
$$;
