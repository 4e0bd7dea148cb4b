-- A filing writes a case, its history and its notifications in one
-- statement (see `cases/filing.rs`), and their references were checked by
-- foreign keys: a lookup and a row lock (FOR KEY SHARE) per reference per
-- row, about fifty for a batch of eight filings, each locking again the same
-- few rows of case_types, organizations and users. That was a fifth of the
-- filer's work on the database. As for messages
-- (0012_messaging_references.sql), the rows referred to are never removed
-- nor their ids changed (refused; cases and case types too from now on), so
-- a reference found once stays good and needs no lock: each statement that
-- writes these tables checks each reference once over all the rows it
-- wrote, and fails with foreign_key_violation, as a foreign key would, if
-- any refers to nothing. The checks are static SQL, planned once per
-- connection, not at each call as `check_written_references` plans its own.
--
-- A case's holder and assignee change as it moves; the change is checked
-- row by row, when it happens. Every other reference of these tables is
-- fixed once written (a change is refused).

SELECT make_permanent(t) FROM unnest(ARRAY['case_types', 'cases']) AS t;

CREATE FUNCTION missing_reference(tbl text, col text, target text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a row of % refers by % to a row of % that does not exist', tbl, col, target
        USING ERRCODE = 'foreign_key_violation';
END;
$$;

CREATE FUNCTION check_written_cases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM case_types t WHERE t.id = w.case_type_id)) THEN
        PERFORM missing_reference('cases', 'case_type_id', 'case_types');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM organizations t WHERE t.id = w.filer_org_id)) THEN
        PERFORM missing_reference('cases', 'filer_org_id', 'organizations');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM users t WHERE t.id = w.filer_user_id)) THEN
        PERFORM missing_reference('cases', 'filer_user_id', 'users');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE w.holder_org_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM organizations t WHERE t.id = w.holder_org_id)) THEN
        PERFORM missing_reference('cases', 'holder_org_id', 'organizations');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE w.assignee_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM users t WHERE t.id = w.assignee_id)) THEN
        PERFORM missing_reference('cases', 'assignee_id', 'users');
    END IF;
    RETURN NULL;
END;
$$;

-- A case moved to another holder or assignee: the one it moves to exists.
CREATE FUNCTION check_moved_case() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.holder_org_id IS NOT NULL AND NEW.holder_org_id IS DISTINCT FROM OLD.holder_org_id
       AND NOT EXISTS (SELECT 1 FROM organizations t WHERE t.id = NEW.holder_org_id) THEN
        PERFORM missing_reference('cases', 'holder_org_id', 'organizations');
    END IF;
    IF NEW.assignee_id IS NOT NULL AND NEW.assignee_id IS DISTINCT FROM OLD.assignee_id
       AND NOT EXISTS (SELECT 1 FROM users t WHERE t.id = NEW.assignee_id) THEN
        PERFORM missing_reference('cases', 'assignee_id', 'users');
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION check_written_case_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM cases t WHERE t.id = w.case_id)) THEN
        PERFORM missing_reference('case_events', 'case_id', 'cases');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE w.actor_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM users t WHERE t.id = w.actor_id)) THEN
        PERFORM missing_reference('case_events', 'actor_id', 'users');
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION check_written_notifications() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM written w WHERE NOT EXISTS (SELECT 1 FROM users t WHERE t.id = w.user_id)) THEN
        PERFORM missing_reference('notifications', 'user_id', 'users');
    END IF;
    IF EXISTS (SELECT 1 FROM written w WHERE w.case_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM cases t WHERE t.id = w.case_id)) THEN
        PERFORM missing_reference('notifications', 'case_id', 'cases');
    END IF;
    RETURN NULL;
END;
$$;

ALTER TABLE cases
    DROP CONSTRAINT cases_case_type_id_fkey,
    DROP CONSTRAINT cases_filer_org_id_fkey,
    DROP CONSTRAINT cases_filer_user_id_fkey,
    DROP CONSTRAINT cases_holder_org_id_fkey,
    DROP CONSTRAINT cases_assignee_id_fkey;
CREATE TRIGGER cases_references AFTER INSERT ON cases
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_cases();
CREATE TRIGGER cases_references_moved BEFORE UPDATE OF holder_org_id, assignee_id ON cases
    FOR EACH ROW WHEN (OLD.holder_org_id IS DISTINCT FROM NEW.holder_org_id
                       OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION check_moved_case();
CREATE TRIGGER cases_references_fixed BEFORE UPDATE OF case_type_id, filer_org_id, filer_user_id ON cases
    FOR EACH ROW WHEN (OLD.case_type_id IS DISTINCT FROM NEW.case_type_id
                       OR OLD.filer_org_id IS DISTINCT FROM NEW.filer_org_id
                       OR OLD.filer_user_id IS DISTINCT FROM NEW.filer_user_id)
    EXECUTE FUNCTION refuse_removal();

ALTER TABLE case_events
    DROP CONSTRAINT case_events_case_id_fkey,
    DROP CONSTRAINT case_events_actor_id_fkey;
CREATE TRIGGER case_events_references AFTER INSERT ON case_events
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_case_events();
CREATE TRIGGER case_events_references_fixed BEFORE UPDATE OF case_id, actor_id ON case_events
    FOR EACH ROW WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id OR OLD.actor_id IS DISTINCT FROM NEW.actor_id)
    EXECUTE FUNCTION refuse_removal();

ALTER TABLE notifications
    DROP CONSTRAINT notifications_user_id_fkey,
    DROP CONSTRAINT notifications_case_id_fkey;
CREATE TRIGGER notifications_references AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_notifications();
CREATE TRIGGER notifications_references_fixed BEFORE UPDATE OF user_id, case_id ON notifications
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.case_id IS DISTINCT FROM NEW.case_id)
    EXECUTE FUNCTION refuse_removal();
