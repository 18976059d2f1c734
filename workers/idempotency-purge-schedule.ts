/**
 * The Temporal Schedule that purges Idempotency-Keys past their retention
 * (IDEMPOTENCY_PURGE_CRON, hourly by default; `off` leaves it alone). Its
 * action carries IDEMPOTENCY_RETENTION, so a worker started with another
 * retention updates it. Created or updated at the worker's start
 * (workers/schedule.ts).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { idempotencyPurgeWorkflow } from '../workflows/idempotency-purge';
import {
  IDEMPOTENCY_PURGE_SCHEDULE_ID,
  IDEMPOTENCY_PURGE_WORKFLOW_TYPE,
  SCHEDULED_IDEMPOTENCY_PURGE_WORKFLOW_ID,
} from '../lib/workflow-contract';
import { ensureSchedule } from './schedule';

export interface IdempotencyPurgeScheduleOptions {
  cron: string;
  taskQueue: string;
  retentionMs: number;
}

export function ensureIdempotencyPurgeSchedule(client: Client, options: IdempotencyPurgeScheduleOptions, logger: Logger): Promise<'created' | 'updated'> {
  return ensureSchedule<typeof idempotencyPurgeWorkflow>(
    client,
    {
      scheduleId: IDEMPOTENCY_PURGE_SCHEDULE_ID,
      cron: options.cron,
      name: 'idempotency purge',
      action: {
        type: 'startWorkflow',
        workflowType: IDEMPOTENCY_PURGE_WORKFLOW_TYPE,
        workflowId: SCHEDULED_IDEMPOTENCY_PURGE_WORKFLOW_ID,
        taskQueue: options.taskQueue,
        args: [{ retentionMs: options.retentionMs }],
      },
    },
    logger,
  );
}
