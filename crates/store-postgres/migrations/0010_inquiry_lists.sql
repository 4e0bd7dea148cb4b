-- An inquiry's audience may be an uploaded list of persons of the
-- registry (by national number or mobile number), kept while it is a
-- draft and read when its recipients are fixed. `list_size` is NULL when
-- the inquiry has no list.
CREATE TABLE inquiry_list_members (
    inquiry_id UUID NOT NULL REFERENCES inquiries(id),
    person_id UUID NOT NULL REFERENCES persons(id),
    PRIMARY KEY (inquiry_id, person_id)
);
ALTER TABLE inquiries ADD COLUMN list_size BIGINT;
