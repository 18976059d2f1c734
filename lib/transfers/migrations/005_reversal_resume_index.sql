-- The gateway's resumer (api/resume-pending.ts) looks every few seconds for
-- reversals claimed but not yet recorded (the transfer still `posted`), to
-- start a workflow whose start failed. Only those rows are indexed, so the
-- pass costs nothing however many transfers are posted.
CREATE INDEX transfers_reversal_unfinished_idx ON transfers (reversal_requested_at)
  WHERE status = 'posted' AND reversal_id IS NOT NULL;
