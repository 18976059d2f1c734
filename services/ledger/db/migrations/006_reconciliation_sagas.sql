-- Reconciliation pages through the transfers that have a reversing entry and
-- through the holds still reserved, each in id order. Both are few next to
-- all entries and holds; partial indexes keep each page a short index range
-- instead of a scan of the whole table, and cost the other writes nothing.
CREATE INDEX entries_reversed_transfer_idx ON entries (transfer_id) WHERE reverses_entry_id IS NOT NULL;
CREATE INDEX holds_reserved_id_idx ON holds (hold_id) WHERE status = 'reserved';
