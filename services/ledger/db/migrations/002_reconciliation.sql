-- Reconciliation sums each account's reserved holds (pending must equal it).
-- Without this index that is a scan of every hold per account; partial, so it
-- holds only the few holds in flight and costs writes almost nothing.
CREATE INDEX holds_reserved_by_source_idx ON holds (from_account_id) INCLUDE (amount_minor) WHERE status = 'reserved';
