-- Ledger transactions applied whole and in each account's commit order
-- (services/read-model/ledger-tx). `version` is the ledger's version of the
-- account the balance row last took over; rows that only ever saw events
-- written before the ledger versioned its rows stay at 0, as the ledger's did.
ALTER TABLE balances ADD COLUMN version bigint NOT NULL DEFAULT 0 CHECK (version >= 0);

-- The events of ledger transactions that cannot be applied yet: not all of the
-- transaction's events have arrived, or an account it changes is not yet at
-- the version right before. Kept here, in the transaction that records them
-- as processed, so the consumer may commit past them; applied (and deleted)
-- by the transaction that brings what they wait for.
CREATE TABLE parked_events (
  event_id     text COLLATE "C" PRIMARY KEY,
  tx_id        text COLLATE "C" NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  kafka_offset bigint NOT NULL,
  envelope     text NOT NULL,
  -- When it was parked: the age of the oldest is a gauge (a transaction that waits long is missing an event).
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX parked_events_by_tx ON parked_events (tx_id);

-- The versions the parked transactions take their accounts to: once an
-- account reaches version v, the transaction taking it to v + 1 is found here.
CREATE TABLE parked_steps (
  account_id text COLLATE "C" NOT NULL,
  version    bigint NOT NULL CHECK (version >= 1),
  tx_id      text COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, version, tx_id)
);
CREATE INDEX parked_steps_by_tx ON parked_steps (tx_id);
