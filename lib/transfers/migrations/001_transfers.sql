-- Transfers and their idempotency keys. The gateway inserts both in one
-- transaction; the worker's activities update a transfer's status as its
-- workflow moves. Money is bigint minor units, never numeric or float.

CREATE TABLE transfers (
  id                uuid PRIMARY KEY,
  from_account_id   uuid NOT NULL,
  to_account_id     uuid NOT NULL,
  amount_minor      bigint NOT NULL CHECK (amount_minor > 0),
  currency          char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  description       text,
  metadata          jsonb NOT NULL DEFAULT '{}'::jsonb,
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'awaiting_approval', 'posted', 'failed', 'cancelled', 'expired', 'reversed')),
  failure_code      text,
  failure_message   text,
  entry_id          uuid,
  reversal_entry_id uuid,
  trace_id          text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (from_account_id <> to_account_id),
  -- A posted or reversed transfer has its entry; a failed one says why.
  CHECK (status NOT IN ('posted', 'reversed') OR entry_id IS NOT NULL),
  CHECK (status <> 'failed' OR failure_code IS NOT NULL)
);

-- Keyset pagination, newest first: all transfers, or one account's (either side), or one status.
CREATE INDEX transfers_created_idx ON transfers (created_at DESC, id DESC);
CREATE INDEX transfers_from_created_idx ON transfers (from_account_id, created_at DESC, id DESC);
CREATE INDEX transfers_to_created_idx ON transfers (to_account_id, created_at DESC, id DESC);
CREATE INDEX transfers_status_created_idx ON transfers (status, created_at DESC, id DESC);

-- The unique key is what makes concurrent requests with one key create one
-- transfer. The foreign key is checked at commit, because the key row is
-- written first (so a losing request writes no transfer at all).
CREATE TABLE idempotency_keys (
  key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  transfer_id  uuid NOT NULL REFERENCES transfers (id) DEFERRABLE INITIALLY DEFERRED,
  created_at   timestamptz NOT NULL DEFAULT now()
);
