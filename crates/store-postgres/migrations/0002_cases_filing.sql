-- Filing names its cases before it takes their tracking numbers (see the
-- filer, `cases/filing.rs`): the statement that writes a batch of filings
-- takes the numbers it expects and fails through this function, with
-- serialization_failure, when another statement took them first. Nothing
-- of the batch is then written and its numbers stay free.
CREATE FUNCTION tracking_numbers_taken(wanted bigint, taken bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF wanted <> taken THEN
        RAISE EXCEPTION 'tracking numbers were taken meanwhile' USING ERRCODE = '40001';
    END IF;
    RETURN taken;
END
$$;
