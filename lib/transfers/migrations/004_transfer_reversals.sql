-- The reversal of a transfer (POST /v1/transfers/{id}/reverse), kept on the
-- transfer's own row: a transfer has at most one. The gateway claims it before
-- it starts the reverse-<id> workflow, by setting reversal_id on a row that is
-- `posted` and has none, so of two concurrent reversals exactly one wins (the
-- row lock decides). reversal_idempotency_key is unique: a key names one
-- reversal, and the same key replays it. The workflow records the reversing
-- entry (reversal_entry_id) and the status `reversed` once it is posted.

ALTER TABLE transfers
  ADD COLUMN reversal_id              uuid,
  ADD COLUMN reversal_idempotency_key text CHECK (length(reversal_idempotency_key) BETWEEN 1 AND 255),
  ADD COLUMN reversal_trace_id        text,
  ADD COLUMN reversal_requested_at    timestamptz,
  ADD CONSTRAINT transfers_reversal_claim_whole CHECK ((reversal_id IS NULL) = (reversal_requested_at IS NULL));

CREATE UNIQUE INDEX transfers_reversal_key_idx ON transfers (reversal_idempotency_key) WHERE reversal_idempotency_key IS NOT NULL;

-- Transfers reversed before reversals were claimed: their reversal gets an id,
-- and the time the reversal was recorded stands for when it was asked for.
-- (status is not in the SET list, so the status trigger does not fire.)
UPDATE transfers SET reversal_id = gen_random_uuid(), reversal_requested_at = updated_at
 WHERE status = 'reversed' AND reversal_id IS NULL;
