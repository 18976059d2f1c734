-- Who opened each account: the gateway's principal (API client id,
-- api/principal.ts), sent as `createdBy`. A principal limited to what it
-- created (a submitter) sees only its own accounts. NULL for accounts opened
-- before principals were recorded, and by callers that name none.
ALTER TABLE accounts ADD COLUMN created_by text CHECK (char_length(created_by) BETWEEN 1 AND 64);

-- GET /accounts?createdBy= pages one principal's accounts newest first.
CREATE INDEX accounts_created_by_created_at_id_idx ON accounts (created_by, created_at DESC, id DESC);
