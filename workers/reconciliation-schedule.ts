/**
 * The Temporal Schedule that runs reconciliation (nightly by default). The
 * worker ensures it at start: create it, or, when it exists already (a
 * restart, or another worker got there first), update its spec and action to
 * this configuration. Either way the result is the same Schedule, so starting
 * any number of workers of one deployment, in any order, is safe. A worker on
 * a task queue of its own (a benchmark's) must not take the Schedule to that
 * queue: it sets RECONCILIATION_CRON=off.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Logger } from 'pino';
import type { reconciliationWorkflow } from '../workflows/reconciliation';
import {
  RECONCILIATION_SCHEDULE_ID,
  RECONCILIATION_WORKFLOW_TYPE,
  SCHEDULED_RECONCILIATION_WORKFLOW_ID,
} from '../workflows/reconciliation-definitions';

export interface ReconciliationScheduleOptions {
  /** Cron expression, UTC. */
  cron: string;
  taskQueue: string;
  scheduleId?: string;
}

/** A run the Schedule would start while the previous one still runs is skipped; one missed while Temporal was down is caught up within an hour. */
const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } as const;

export async function ensureReconciliationSchedule(client: Client, options: ReconciliationScheduleOptions, logger: Logger): Promise<'created' | 'updated'> {
  const scheduleId = options.scheduleId ?? RECONCILIATION_SCHEDULE_ID;
  const spec = { cronExpressions: [options.cron] };
  const action: ScheduleOptionsStartWorkflowAction<typeof reconciliationWorkflow> = {
    type: 'startWorkflow',
    workflowType: RECONCILIATION_WORKFLOW_TYPE,
    workflowId: SCHEDULED_RECONCILIATION_WORKFLOW_ID,
    taskQueue: options.taskQueue,
    args: [{ trigger: 'schedule' }],
  };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: POLICIES });
    logger.info({ schedule_id: scheduleId, cron: options.cron }, 'reconciliation schedule created');
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  let previousTaskQueue: string | undefined;
  await client.schedule.getHandle(scheduleId).update((previous) => {
    previousTaskQueue = previous.action.taskQueue;
    return { ...previous, spec, action, policies: { ...previous.policies, ...POLICIES } };
  });
  if (previousTaskQueue !== options.taskQueue) {
    // One Schedule serves one task queue: a worker on another queue that does not set RECONCILIATION_CRON=off takes it over.
    logger.warn({ schedule_id: scheduleId, task_queue: options.taskQueue, previous_task_queue: previousTaskQueue }, 'reconciliation schedule moved to this worker\'s task queue');
  }
  logger.info({ schedule_id: scheduleId, cron: options.cron, task_queue: options.taskQueue }, 'reconciliation schedule updated');
  return 'updated';
}
