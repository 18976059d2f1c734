-- One reconciliation on demand at a time: a run reads every account and
-- transfer, so POST /v1/reconciliations must not start one per call. The
-- database decides, not a read before the write: a report opened by the
-- gateway (trigger 'api') while another one is `running` violates this index,
-- and the gateway answers 409 RECONCILIATION_RUNNING with the running one's
-- Location. Scheduled runs are not counted: their Schedule already skips a
-- run while the previous one goes on, so at most one of each runs at once.
--
-- Reports left running by earlier, concurrent runs on demand would keep the
-- index from being built: all but the newest are marked failed (a run that
-- still goes on then finds its report finished, and changes nothing).
UPDATE reconciliation_reports
   SET status = 'failed', finished_at = now(), failure_message = 'superseded: only one reconciliation on demand runs at a time'
 WHERE trigger = 'api' AND status = 'running'
   AND id <> (SELECT id FROM reconciliation_reports WHERE trigger = 'api' AND status = 'running' ORDER BY started_at DESC, id DESC LIMIT 1);

CREATE UNIQUE INDEX reconciliation_reports_one_api_running_idx ON reconciliation_reports ((true))
  WHERE trigger = 'api' AND status = 'running';
