-- Accounts, and the idempotency keys of the requests that created them.
-- Runs after lib/outbox's 000_outbox.sql (the migration runner sorts by name).

CREATE TABLE accounts (
  id                  uuid        PRIMARY KEY,
  -- The client's own reference; the UNIQUE constraint (not a read before the
  -- write) is what keeps two requests from taking the same code.
  code                text        NOT NULL CONSTRAINT accounts_code_key UNIQUE,
  name                text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  currency            text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Minor units the available balance may go below zero; NULL means unlimited
  -- (a funding / settlement account).
  credit_limit_minor  numeric(19, 0) CHECK (credit_limit_minor BETWEEN 0 AND 9223372036854775807),
  status              text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen')),
  -- Milliseconds, the API's precision: the time a client sees (and the list
  -- cursor carries) is exactly the time stored, so keyset pages never skip a row.
  created_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at          timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);

-- GET /accounts pages newest first by (created_at, id).
CREATE INDEX accounts_created_at_id_idx ON accounts (created_at DESC, id DESC);

-- One row per Idempotency-Key, written in the transaction that creates the
-- account. The primary key makes concurrent requests with one key wait for the
-- first and then find its row. The foreign key is checked at commit because
-- the key is claimed before the account row exists.
CREATE TABLE account_idempotency_keys (
  key           text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 255),
  -- sha256 of the normalized request, to tell a replay from a reuse.
  request_hash  text        NOT NULL,
  account_id    uuid        NOT NULL REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
