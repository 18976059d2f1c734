-- A reversal the ledger refuses (INSUFFICIENT_FUNDS: the destination no
-- longer holds the money, or the reversal would break a credit limit) is an
-- outcome, recorded on the transfer's row beside its claim (migration 004):
-- the transfer stays `posted`, its reversal is `refused` with the ledger's
-- code and message. Before this, nothing was recorded and the reversal looked
-- pending for ever.
--
-- A refused reversal may be asked for again under a new Idempotency-Key: that
-- claim replaces the reversal columns (new id, refusal cleared). So that the
-- key of the refused request is not forgotten then (it must keep replaying,
-- and must never name another transfer's reversal), every key that claimed a
-- reversal is kept in reversal_idempotency_keys, whose primary key decides,
-- as idempotency_keys does for transfers.
--
-- The gateway's resumer (api/resume-pending.ts) starts the workflow of a
-- claimed reversal whose transfer is still `posted`. A refused one is finished
-- and is skipped; for the others, each attempt that reached Temporal doubles
-- the wait before the next (reversal_resume_attempts, reversal_resume_after,
-- as resume_attempts and resume_after of migration 006 for transfers).

ALTER TABLE transfers
  ADD COLUMN reversal_failure_code    text,
  ADD COLUMN reversal_failure_message text,
  ADD COLUMN reversal_refused_at      timestamptz,
  ADD COLUMN reversal_resume_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN reversal_resume_after    timestamptz,
  ADD CONSTRAINT transfers_reversal_refusal_whole CHECK ((reversal_refused_at IS NULL) = (reversal_failure_code IS NULL)),
  ADD CONSTRAINT transfers_reversal_refusal_of_claim CHECK (reversal_refused_at IS NULL OR reversal_id IS NOT NULL);

CREATE TABLE reversal_idempotency_keys (
  key         text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
  transfer_id uuid NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
  reversal_id uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO reversal_idempotency_keys (key, transfer_id, reversal_id, created_at)
SELECT reversal_idempotency_key, id, reversal_id, reversal_requested_at FROM transfers WHERE reversal_idempotency_key IS NOT NULL;

-- The resumer's reversal pass reads exactly these rows, oldest due first.
DROP INDEX transfers_reversal_unfinished_idx;
CREATE INDEX transfers_reversal_unfinished_idx ON transfers (coalesce(reversal_resume_after, reversal_requested_at))
  WHERE status = 'posted' AND reversal_id IS NOT NULL AND reversal_refused_at IS NULL;

-- The notification (migration 003) also says when the transfer's reversal is
-- refused, so a request waiting for the reversal wakes on it: a refusal moves
-- no status, and a waiter that heard nothing would sit out its 10 s cap.
CREATE OR REPLACE FUNCTION notify_transfer_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('transfer_status', json_build_object(
    'id', NEW.id,
    'status', NEW.status,
    'reversal', CASE WHEN NEW.reversal_refused_at IS NOT NULL THEN 'refused' END
  )::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER transfers_reversal_refused_notify
  AFTER UPDATE OF reversal_refused_at ON transfers
  FOR EACH ROW
  WHEN (NEW.reversal_refused_at IS NOT NULL AND OLD.reversal_refused_at IS DISTINCT FROM NEW.reversal_refused_at)
  EXECUTE FUNCTION notify_transfer_status();
