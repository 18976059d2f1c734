/**
 * The idempotency purge, run by its Schedule: one activity that deletes the
 * keys past their retention batch by batch (activities/idempotency-purge.ts).
 * A workflow only because a Schedule starts workflows; it adds the retries
 * and the record of each run. The heartbeat timeout notices a dead worker
 * within a minute; the start-to-close timeout bounds a run with a huge
 * backlog (the next scheduled run goes on from there). AUTO_UPGRADE: a run
 * moves to the current worker build (it has one command, so any build
 * replays it).
 */
import { proxyActivities, setWorkflowOptions } from '@temporalio/workflow';
import type { IdempotencyPurgeActivities } from '../activities/idempotency-purge';
import type { PurgeCounts } from '../lib/transfers/idempotency-purge';
import type { IdempotencyPurgeInput } from '../lib/workflow-contract/idempotency-purge';

const { purgeIdempotencyKeys } = proxyActivities<IdempotencyPurgeActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumAttempts: 5 },
});

export async function idempotencyPurgeWorkflow(input: IdempotencyPurgeInput): Promise<PurgeCounts> {
  return purgeIdempotencyKeys({ retentionMs: input.retentionMs, batchSize: input.batchSize });
}
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, idempotencyPurgeWorkflow);
