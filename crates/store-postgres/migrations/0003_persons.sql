-- The registry of persons, found by national number, by mobile number and
-- by the words of their names (normalized by the application, as cases are).
CREATE TABLE persons (
    id uuid PRIMARY KEY,
    national_number text NOT NULL UNIQUE,
    name_ar text NOT NULL,
    name_latin text,
    sex text NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date date,
    email text,
    municipality_id uuid REFERENCES organizations(id),
    language text NOT NULL CHECK (language IN ('ar', 'en', 'fr')),
    sms_opt_out_at timestamptz,
    email_opt_out_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    search_text text NOT NULL,
    search_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED
);
-- A municipality's residents, newest first (ids are time-ordered).
CREATE INDEX persons_municipality ON persons(municipality_id, id);
CREATE INDEX persons_search ON persons USING gin (search_vector);

-- A person's mobile numbers, in the order they are to be used; found by number.
CREATE TABLE person_mobiles (
    person_id uuid NOT NULL REFERENCES persons(id),
    position smallint NOT NULL,
    mobile text NOT NULL,
    PRIMARY KEY (person_id, position)
);
CREATE INDEX person_mobiles_mobile ON person_mobiles(mobile);
