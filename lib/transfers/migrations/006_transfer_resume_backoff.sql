-- The gateway's resumer (api/resume-pending.ts) starts the workflow of a
-- transfer left `pending` (its start failed and the client never retried).
-- Most transfers it finds pending already have their workflow, held up by a
-- service that is down; starting those again is a no-op that still costs
-- Temporal a request. Each attempt is recorded here, and the next waits twice
-- as long (resume_after), so a transfer stuck for hours costs a few requests,
-- not one every 15 s, and the oldest pending rows no longer keep the pass from
-- reaching newer ones.
ALTER TABLE transfers
  ADD COLUMN resume_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN resume_after    timestamptz;
