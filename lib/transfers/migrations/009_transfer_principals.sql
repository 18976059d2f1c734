-- Who: the principal (API client id, api/principal.ts) that created a
-- transfer, and the one whose approve, reject or cancel decided it. NULL for
-- transfers created or decided before principals were recorded.
ALTER TABLE transfers ADD COLUMN created_by text, ADD COLUMN decided_by text;

-- A principal limited to its own transfers (a submitter) lists them newest first.
CREATE INDEX transfers_created_by_created_idx ON transfers (created_by, created_at DESC, id DESC);
