-- A refused reserve is remembered under its hold id, as a tombstone that
-- carries the refusal. A repeat of the same reserve (a workflow task retried
-- after its local step ran: a worker restart, a timeout) then gets the same
-- refusal, instead of HOLD_NOT_RESERVED from the void the saga sent after the
-- first refusal, so a transfer fails with its real reason however often its
-- steps run.
ALTER TABLE holds
  ADD COLUMN refusal_code    text,
  ADD COLUMN refusal_message text,
  ADD CONSTRAINT refusal_is_tombstone CHECK (refusal_code IS NULL OR tombstone);
