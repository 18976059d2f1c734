-- Idempotency-Keys are the client's own namespace: a key names one transfer
-- (or one reversal) of the principal that sent it, never another client's.
-- Before this, keys were global: a client sending another's key with the
-- same body was answered the other's transfer, and with another body got a
-- 422 for a key it never used. The primary keys become (principal, key), so
-- the same key under two principals claims two things, and every lookup
-- names the principal.
--
-- Keys recorded before this migration belong to `development`, the one
-- principal of a gateway without API keys, which is what such a deployment
-- was. (A deployment with keys recorded no principal: a request it retries
-- across the upgrade is a new request; drain the writes before upgrading.)
--
-- created_at is indexed for the purge of keys past their retention
-- (IDEMPOTENCY_RETENTION, lib/transfers/idempotency-purge.ts): the purge
-- removes the mapping, never the transfer or its reversal.

ALTER TABLE idempotency_keys ADD COLUMN principal text NOT NULL DEFAULT 'development'
  CHECK (length(principal) BETWEEN 1 AND 255);
ALTER TABLE idempotency_keys ALTER COLUMN principal DROP DEFAULT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (principal, key);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

ALTER TABLE reversal_idempotency_keys ADD COLUMN principal text NOT NULL DEFAULT 'development'
  CHECK (length(principal) BETWEEN 1 AND 255);
ALTER TABLE reversal_idempotency_keys ALTER COLUMN principal DROP DEFAULT;
ALTER TABLE reversal_idempotency_keys DROP CONSTRAINT reversal_idempotency_keys_pkey;
ALTER TABLE reversal_idempotency_keys ADD PRIMARY KEY (principal, key);
CREATE INDEX reversal_idempotency_keys_created_idx ON reversal_idempotency_keys (created_at);

-- The key of a transfer's current reversal stays on its row (for the record),
-- but no longer decides anything: two principals may use the same key, and
-- reversal_idempotency_keys is the one authority (since migration 007).
DROP INDEX transfers_reversal_key_idx;
