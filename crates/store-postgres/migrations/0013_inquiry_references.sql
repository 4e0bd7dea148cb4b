-- An inquiry's recipients are fixed and its answers recorded thousands at a
-- time: their references are checked once per statement, as messages' are
-- (see 0012_messaging_references.sql). Inquiries are never deleted either,
-- and these rows never change what they refer to.

SELECT make_permanent('inquiries');

ALTER TABLE inquiry_recipients
    DROP CONSTRAINT inquiry_recipients_inquiry_id_fkey,
    DROP CONSTRAINT inquiry_recipients_person_id_fkey;
CREATE TRIGGER inquiry_recipients_references AFTER INSERT ON inquiry_recipients
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_references(
        'inquiry_id', 'inquiries', 'person_id', 'persons');
CREATE TRIGGER inquiry_recipients_references_fixed BEFORE UPDATE OF inquiry_id, person_id ON inquiry_recipients
    FOR EACH ROW WHEN (OLD.inquiry_id IS DISTINCT FROM NEW.inquiry_id OR OLD.person_id IS DISTINCT FROM NEW.person_id)
    EXECUTE FUNCTION refuse_removal();

ALTER TABLE inquiry_answers
    DROP CONSTRAINT inquiry_answers_inquiry_id_fkey,
    DROP CONSTRAINT inquiry_answers_person_id_fkey,
    DROP CONSTRAINT inquiry_answers_taken_by_fkey;
CREATE TRIGGER inquiry_answers_references AFTER INSERT ON inquiry_answers
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION check_written_references(
        'inquiry_id', 'inquiries', 'person_id', 'persons', 'taken_by', 'users');
CREATE TRIGGER inquiry_answers_references_fixed BEFORE UPDATE OF inquiry_id, person_id, taken_by ON inquiry_answers
    FOR EACH ROW WHEN (OLD.inquiry_id IS DISTINCT FROM NEW.inquiry_id OR OLD.person_id IS DISTINCT FROM NEW.person_id
                       OR OLD.taken_by IS DISTINCT FROM NEW.taken_by)
    EXECUTE FUNCTION refuse_removal();
