-- An inquiry's recipients are fixed a run at a time, each in a transaction
-- of its own (numbered on from the last one fixed), so that fixing a
-- million of them never holds the database for long; this says whether
-- every one is fixed. Inquiries sent before were fixed in one statement.
ALTER TABLE inquiries ADD COLUMN recipients_fixed BOOLEAN NOT NULL DEFAULT true;
