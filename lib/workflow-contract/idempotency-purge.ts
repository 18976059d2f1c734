/** What the worker's Schedule and the idempotency purge workflow share: names and input. */
export const IDEMPOTENCY_PURGE_WORKFLOW_TYPE = 'idempotencyPurgeWorkflow';
/** The Temporal Schedule the worker keeps (hourly by default, IDEMPOTENCY_PURGE_CRON). */
export const IDEMPOTENCY_PURGE_SCHEDULE_ID = 'idempotency-purge';
/** Temporal appends the scheduled time to it, so each run has its own id. */
export const SCHEDULED_IDEMPOTENCY_PURGE_WORKFLOW_ID = 'idempotency-purge-scheduled';

export interface IdempotencyPurgeInput {
  /** IDEMPOTENCY_RETENTION in ms (at least 24 h; the activity raises a shorter one). */
  retentionMs: number;
  /** Keys per delete (default 1000). */
  batchSize?: number;
}
