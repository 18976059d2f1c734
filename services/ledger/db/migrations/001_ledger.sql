-- The ledger's own tables. Money columns: amounts are bigint minor units (the
-- API's maximum is the signed 64-bit maximum); balances are numeric(39,0) so
-- that sums of many such amounts cannot overflow.

-- One row per account the ledger has seen: its currency and credit limit (from
-- the accounts service, the source of truth) and its running balances. Every
-- write that changes a balance locks this row first (FOR UPDATE, accounts in
-- id order), so checks and updates never race.
CREATE TABLE ledger_accounts (
  account_id          uuid PRIMARY KEY,
  currency            char(3)        NOT NULL,
  -- NULL: unlimited (a funding / settlement account).
  credit_limit_minor  numeric(20, 0) CHECK (credit_limit_minor >= 0),
  posted_minor        numeric(39, 0) NOT NULL DEFAULT 0,
  pending_minor       numeric(39, 0) NOT NULL DEFAULT 0 CHECK (pending_minor >= 0),
  updated_at          timestamptz    NOT NULL DEFAULT clock_timestamp(),
  -- The second half of the pair: the domain code checks the limit before it
  -- writes, and the database refuses any row that breaks it anyway.
  CONSTRAINT available_within_credit_limit
    CHECK (credit_limit_minor IS NULL OR posted_minor - pending_minor >= -credit_limit_minor)
);

CREATE TABLE entries (
  entry_id           uuid PRIMARY KEY,
  transfer_id        uuid,
  -- A hold is captured into at most one entry; an entry is reversed at most once.
  hold_id            uuid UNIQUE,
  reverses_entry_id  uuid UNIQUE REFERENCES entries (entry_id),
  currency           char(3)     NOT NULL,
  description        text        NOT NULL DEFAULT '',
  request_hash       text        NOT NULL,
  posted_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX entries_transfer_idx ON entries (transfer_id);

CREATE TABLE entry_lines (
  entry_id             uuid           NOT NULL REFERENCES entries (entry_id),
  line_no              smallint       NOT NULL,
  account_id           uuid           NOT NULL REFERENCES ledger_accounts (account_id),
  direction            text           NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount_minor         bigint         NOT NULL CHECK (amount_minor > 0),
  balance_after_minor  numeric(39, 0) NOT NULL,
  PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX entry_lines_account_idx ON entry_lines (account_id, entry_id);

-- Entries and their lines are immutable: a correction is a reversing entry.
CREATE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change();
CREATE TRIGGER entry_lines_immutable BEFORE UPDATE OR DELETE ON entry_lines
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_change();
CREATE TRIGGER entry_lines_no_truncate BEFORE TRUNCATE ON entry_lines
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_change();

-- Double entry, checked by the database at commit (after all lines are in):
-- at least two lines, debits equal credits.
CREATE FUNCTION check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  line_count int;
  debit_sum numeric;
  credit_sum numeric;
BEGIN
  SELECT count(*),
         coalesce(sum(amount_minor) FILTER (WHERE direction = 'debit'), 0),
         coalesce(sum(amount_minor) FILTER (WHERE direction = 'credit'), 0)
    INTO line_count, debit_sum, credit_sum
    FROM entry_lines WHERE entry_id = NEW.entry_id;
  IF line_count < 2 OR debit_sum <> credit_sum THEN
    RAISE EXCEPTION 'entry % is not balanced: % lines, debits %, credits %', NEW.entry_id, line_count, debit_sum, credit_sum
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER entry_balanced AFTER INSERT ON entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_entry_balanced();

-- Two-phase transfers: a hold reserves an amount on the source (it counts in
-- pending), then is captured into an entry or voided (or expires).
-- A tombstone is a hold voided before it was ever reserved (a compensation
-- that overtook a slow reserve): it keeps that late reserve from succeeding.
CREATE TABLE holds (
  hold_id          uuid PRIMARY KEY,
  tombstone        boolean     NOT NULL DEFAULT false,
  transfer_id      uuid,
  from_account_id  uuid REFERENCES ledger_accounts (account_id),
  to_account_id    uuid REFERENCES ledger_accounts (account_id),
  amount_minor     bigint CHECK (amount_minor > 0),
  currency         char(3),
  status           text        NOT NULL CHECK (status IN ('reserved', 'captured', 'voided', 'expired')),
  entry_id         uuid REFERENCES entries (entry_id),
  expires_at       timestamptz,
  request_hash     text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT hold_complete CHECK (
    tombstone OR (transfer_id IS NOT NULL AND from_account_id IS NOT NULL AND to_account_id IS NOT NULL
                  AND amount_minor IS NOT NULL AND currency IS NOT NULL AND request_hash IS NOT NULL)),
  CONSTRAINT captured_has_entry CHECK ((status = 'captured') = (entry_id IS NOT NULL))
);
CREATE INDEX holds_expiry_idx ON holds (expires_at) WHERE status = 'reserved' AND expires_at IS NOT NULL;
