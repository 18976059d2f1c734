-- The read model's projections of the ledger's and the accounts' events.
-- Tables are created unqualified: the pool's search_path picks the schema, so
-- the same migration builds the live schema and the rebuild's shadow schema.
-- Ids are text (collation "C", so keyset order is plain byte order) because
-- the read model stores whatever ids the producers chose; single amounts are
-- bigint, running sums numeric so that no sum can overflow.

-- One row per event ever applied: a redelivered event hits the primary key and
-- changes nothing.
CREATE TABLE processed_events (
  event_id     text COLLATE "C" PRIMARY KEY,
  event_type   text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  kafka_offset bigint NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);

-- How far this schema has applied each topic partition; the rebuild compares
-- its own progress with it before swapping its tables in.
CREATE TABLE applied_positions (
  topic       text NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint NOT NULL CHECK (next_offset >= 0),
  PRIMARY KEY (topic, partition)
);

CREATE TABLE accounts (
  account_id    text COLLATE "C" PRIMARY KEY,
  code          text NOT NULL,
  currency      text NOT NULL,
  credit_limit  text NOT NULL,
  status        text NOT NULL CHECK (status IN ('active', 'frozen')),
  created_at    timestamptz NOT NULL,
  -- occurredAt of the newest account event applied: an older one arriving late is ignored.
  last_event_at timestamptz NOT NULL
);

-- A row exists for every account the read model has heard of, from any topic.
CREATE TABLE balances (
  account_id    text COLLATE "C" PRIMARY KEY,
  currency      text NOT NULL,
  -- Sum of the signed amounts of the statement lines applied (credits - debits).
  posted_minor  numeric(40, 0) NOT NULL DEFAULT 0,
  -- Sum of the amounts of the account's holds whose latest known status is reserved.
  pending_minor numeric(40, 0) NOT NULL DEFAULT 0 CHECK (pending_minor >= 0)
);

CREATE TABLE holds (
  hold_id       text COLLATE "C" PRIMARY KEY,
  account_id    text COLLATE "C" NOT NULL,
  transfer_id   text COLLATE "C" NOT NULL,
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      text NOT NULL,
  status        text NOT NULL CHECK (status IN ('reserved', 'captured', 'voided', 'expired')),
  entry_id      text COLLATE "C",
  expires_at    timestamptz,
  last_event_at timestamptz NOT NULL
);
CREATE INDEX holds_by_transfer ON holds (transfer_id);

CREATE TABLE statement_lines (
  entry_id            text COLLATE "C" NOT NULL,
  account_id          text COLLATE "C" NOT NULL,
  -- Position of the line in its entry (from 1), so a line is identified even
  -- when one entry touches the same account twice.
  line_no             integer NOT NULL CHECK (line_no >= 1),
  transfer_id         text COLLATE "C",
  posted_at           timestamptz NOT NULL,
  direction           text NOT NULL CHECK (direction IN ('debit', 'credit')),
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  -- Computed by the ledger when it posted the line: authoritative.
  balance_after_minor numeric(40, 0) NOT NULL,
  description         text NOT NULL,
  PRIMARY KEY (entry_id, account_id, line_no)
);
-- Serves statements (keyset pages) and point-in-time balances (backward scan).
CREATE INDEX statement_lines_by_account ON statement_lines (account_id, posted_at, entry_id, line_no);
CREATE INDEX statement_lines_by_transfer ON statement_lines (transfer_id) WHERE transfer_id IS NOT NULL;

-- Transfers as the events show them: the hold's latest status and the entries
-- posted for the transfer. A view, so it can never disagree with the tables.
CREATE VIEW transfers AS
SELECT ids.transfer_id,
       h.hold_id,
       h.status AS hold_status,
       (SELECT s.entry_id FROM statement_lines s
         WHERE s.transfer_id = ids.transfer_id
         ORDER BY s.posted_at DESC, s.entry_id DESC
         LIMIT 1) AS last_entry_id
  FROM (SELECT transfer_id FROM holds
        UNION
        SELECT transfer_id FROM statement_lines WHERE transfer_id IS NOT NULL) AS ids
  LEFT JOIN holds h ON h.transfer_id = ids.transfer_id;
