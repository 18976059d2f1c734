/**
 * The stack's reconciliation Schedule belongs to the stack's worker: a
 * bench that starts its own worker checks, after the start, that the
 * Schedule still points at the task queue it pointed at before.
 */
import type { Client as TemporalClient } from '@temporalio/client';
import { RECONCILIATION_SCHEDULE_ID } from '../../lib/workflow-contract';
import { settings } from './settings';

/** The task queue the reconciliation Schedule starts its workflow on; null when there is no Schedule (or no answer). */
export async function scheduleTaskQueue(temporal: TemporalClient): Promise<string | null> {
  try {
    return (await temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe()).action.taskQueue;
  } catch {
    return null;
  }
}

/**
 * After the bench's worker started: the Schedule must still point where it
 * did. Should a worker have moved it to the bench's queue (RECONCILIATION_CRON
 * not honoured), it is put back, and the run says so.
 */
export async function checkSchedule(temporal: TemporalClient, before: string | null): Promise<void> {
  const now = await scheduleTaskQueue(temporal);
  if (before === null || now !== settings.taskQueue || before === settings.taskQueue) return;
  await temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).update((previous) => ({ ...previous, action: { ...previous.action, taskQueue: before } }));
  console.warn(`  WARNING: the bench's worker moved the reconciliation Schedule to ${now}; put back on ${before}`);
}
