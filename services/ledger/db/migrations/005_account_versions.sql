-- Each balance row's version: one more per transaction that changes the row,
-- set under the row's lock, so an account's versions are the order in which
-- the ledger committed its changes. Every event a transaction writes carries
-- the versions it produced (services/ledger/events.ts), which is how the read
-- model applies each transaction whole and in that order. Rows that exist
-- already start at 0: their history so far was published without versions.
ALTER TABLE ledger_accounts ADD COLUMN version bigint NOT NULL DEFAULT 0 CHECK (version >= 0);
