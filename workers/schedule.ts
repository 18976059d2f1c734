/**
 * Ensures a Temporal Schedule the worker keeps (reconciliation, the
 * idempotency purge): create it, or, when it exists already (a restart, or
 * another worker got there first), update its spec and action to this
 * configuration. Either way the result is the same Schedule, so starting any
 * number of workers of one deployment, in any order, is safe. A worker on a
 * task queue of its own (a benchmark's) must not take a Schedule to that
 * queue: it sets the Schedule's cron variable to off.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type Workflow } from '@temporalio/client';
import type { Logger } from 'pino';

export interface ScheduleOptions<W extends Workflow> {
  scheduleId: string;
  /** Cron expression, UTC. */
  cron: string;
  action: ScheduleOptionsStartWorkflowAction<W>;
  /** What the log lines call it. */
  name: string;
}

/** A run the Schedule would start while the previous one still runs is skipped; one missed while Temporal was down is caught up within an hour. */
const POLICIES = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } as const;

export async function ensureSchedule<W extends Workflow>(client: Client, options: ScheduleOptions<W>, logger: Logger): Promise<'created' | 'updated'> {
  const { scheduleId, action, name } = options;
  const spec = { cronExpressions: [options.cron] };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: POLICIES });
    logger.info({ schedule_id: scheduleId, cron: options.cron }, `${name} schedule created`);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  let previousTaskQueue: string | undefined;
  await client.schedule.getHandle(scheduleId).update((previous) => {
    previousTaskQueue = previous.action.taskQueue;
    return { ...previous, spec, action, policies: { ...previous.policies, ...POLICIES } };
  });
  if (previousTaskQueue !== action.taskQueue) {
    // One Schedule serves one task queue: a worker on another queue that does not set its cron to off takes it over.
    logger.warn({ schedule_id: scheduleId, task_queue: action.taskQueue, previous_task_queue: previousTaskQueue }, `${name} schedule moved to this worker's task queue`);
  }
  logger.info({ schedule_id: scheduleId, cron: options.cron, task_queue: action.taskQueue }, `${name} schedule updated`);
  return 'updated';
}
