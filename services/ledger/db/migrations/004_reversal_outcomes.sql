-- The one outcome of each reversal request, by the id of its reversing entry
-- (the identity its client sends): posted, or refused with the refusal. The
-- posting and the refusal both insert this row, under the locks of the
-- accounts, in the transaction that decides; the primary key lets only one of
-- them win, and every later attempt of the same id answers that outcome. So a
-- reversal answered refused cannot post later from an attempt still in
-- flight, even once the money is there; a client asks again with a new id.
CREATE TABLE reversal_outcomes (
  reversal_entry_id  uuid        PRIMARY KEY,
  reverses_entry_id  uuid        NOT NULL REFERENCES entries (entry_id),
  outcome            text        NOT NULL CHECK (outcome IN ('posted', 'refused')),
  refusal_code       text,
  refusal_message    text,
  decided_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT refused_has_code CHECK ((outcome = 'refused') = (refusal_code IS NOT NULL))
);

-- Reversals posted before this table: their entries are their outcome.
INSERT INTO reversal_outcomes (reversal_entry_id, reverses_entry_id, outcome, decided_at)
SELECT entry_id, reverses_entry_id, 'posted', posted_at FROM entries WHERE reverses_entry_id IS NOT NULL
ON CONFLICT (reversal_entry_id) DO NOTHING;
