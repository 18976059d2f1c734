/**
 * The Temporal Schedule that runs reconciliation (nightly by default,
 * RECONCILIATION_CRON; `off` leaves it alone). Created or updated at the
 * worker's start (workers/schedule.ts).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { reconciliationWorkflow } from '../workflows/reconciliation';
import {
  RECONCILIATION_SCHEDULE_ID,
  RECONCILIATION_WORKFLOW_TYPE,
  SCHEDULED_RECONCILIATION_WORKFLOW_ID,
} from '../lib/workflow-contract';
import { ensureSchedule } from './schedule';

export interface ReconciliationScheduleOptions {
  /** Cron expression, UTC. */
  cron: string;
  taskQueue: string;
  scheduleId?: string;
}

export function ensureReconciliationSchedule(client: Client, options: ReconciliationScheduleOptions, logger: Logger): Promise<'created' | 'updated'> {
  return ensureSchedule<typeof reconciliationWorkflow>(
    client,
    {
      scheduleId: options.scheduleId ?? RECONCILIATION_SCHEDULE_ID,
      cron: options.cron,
      name: 'reconciliation',
      action: {
        type: 'startWorkflow',
        workflowType: RECONCILIATION_WORKFLOW_TYPE,
        workflowId: SCHEDULED_RECONCILIATION_WORKFLOW_ID,
        taskQueue: options.taskQueue,
        args: [{ trigger: 'schedule' }],
      },
    },
    logger,
  );
}
