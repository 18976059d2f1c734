-- Reconciliation runs (workflows/reconciliation.ts) and what they found. A
-- report is written `running` when a run starts (by the gateway for a run on
-- demand, by the workflow for a scheduled one) and completed with its counts
-- at the end. Mismatches are rows of their own, keyed by what they are about,
-- so a retried activity records each at most once; a run records at most
-- 1000 per check (it still counts the rest).

CREATE TABLE reconciliation_reports (
  id              uuid PRIMARY KEY,
  trigger         text NOT NULL CHECK (trigger IN ('api', 'schedule')),
  status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  finished_at     timestamptz,
  -- Per check: { "checked": n, "mismatches": n, "recorded": n }; null until the run ends.
  counts          jsonb,
  failure_message text,
  CHECK ((status = 'running') = (finished_at IS NULL)),
  CHECK (status <> 'completed' OR counts IS NOT NULL)
);
CREATE INDEX reconciliation_reports_completed_idx ON reconciliation_reports (finished_at DESC) WHERE status = 'completed';

CREATE TABLE reconciliation_mismatches (
  report_id   uuid NOT NULL REFERENCES reconciliation_reports (id) ON DELETE CASCADE,
  check_name  text NOT NULL CHECK (check_name IN ('ledgerBalances', 'readModelBalances', 'transferEntries')),
  -- The account or transfer id (text: read-model ids are whatever producers chose).
  subject_id  text NOT NULL,
  kind        text NOT NULL,
  detail      jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (report_id, check_name, subject_id)
);
