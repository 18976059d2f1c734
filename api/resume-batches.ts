/**
 * A batch is written before its workflow is started. If the start failed
 * (Temporal down) and the client never retried, or an operator terminated
 * its run, the batch would stay `pending` with nothing to move it (its items
 * have no workflows of their own). This pass starts the workflow of each batch
 * pending for longer than `olderThanMs`: a no-op while a run is open; after a
 * run closed without recording the outcome, a new run (the id may run again:
 * TRANSFER_BATCH_WORKFLOW_ID_REUSE_POLICY), which repeats the same idempotent
 * steps, posts nothing twice and finishes the batch.
 */
import type { BatchDeps } from './transfer-batches';
import { startBatchWorkflow } from './transfer-batches';

const BATCHES_PER_PASS_MAX = 100;

/** Returns how many pending batches the pass found; a start that fails is logged and tried at the next pass. */
export async function resumePendingBatches(deps: Pick<BatchDeps, 'batches' | 'temporal' | 'taskQueue' | 'logger' | 'batchChunkSize'>, olderThanMs: number): Promise<number> {
  const pending = await deps.batches.pendingBatches(olderThanMs, BATCHES_PER_PASS_MAX);
  for (const batch of pending) {
    const started = await startBatchWorkflow(deps, batch).catch(() => false);
    if (started) deps.logger.warn({ batch_id: batch.id, created_at: batch.createdAt.toISOString() }, 'batch left pending without a running workflow: started a new run');
  }
  return pending.length;
}
