/**
 * A transfer is written before its workflow is started. If the start failed
 * (Temporal down) and the client never retried, the transfer would stay
 * `pending` with nothing to move it; this pass finds such transfers and starts
 * their workflows (a start of an existing workflow id is a no-op), so every
 * transfer reaches a terminal state. The same holds for a reversal, claimed on
 * the transfer's row before its workflow is started: a posted transfer with a
 * claimed reversal gets its reverse-<id> workflow.
 */
import type { Pool } from 'pg';
import { startReversalWorkflow, startTransferWorkflow, type StartDeps, type TransferDeps } from './transfers';

const BATCH_SIZE_MAX = 100;

export function startPendingResumer(deps: TransferDeps, pool: Pool, { intervalMs = 15_000, olderThanMs = 10_000 } = {}): { stop(): void } {
  let running = false;
  const pass = async () => {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM transfers WHERE status = 'pending' AND created_at < clock_timestamp() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [olderThanMs / 1000, BATCH_SIZE_MAX],
    );
    for (const { id } of rows) {
      const transfer = await deps.store.getTransfer(id);
      // One failed start must not keep the others of this pass from being resumed.
      if (transfer?.status === 'pending') await startTransferWorkflow(deps, transfer).catch(() => undefined);
    }
    await resumeClaimedReversals(deps, pool, olderThanMs);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pass()
      .catch((error) => deps.logger.warn({ err: error }, 'resuming pending transfers failed; will try again'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Starts the workflows of reversals claimed at least `olderThanMs` ago whose
 * transfer is still posted (migration 005 indexes exactly those rows); returns
 * how many it started or found started. A failed start is left for the next pass.
 */
export async function resumeClaimedReversals(deps: StartDeps, pool: Pool, olderThanMs: number): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM transfers WHERE status = 'posted' AND reversal_id IS NOT NULL
        AND reversal_requested_at < clock_timestamp() - make_interval(secs => $1)
      ORDER BY reversal_requested_at LIMIT $2`,
    [olderThanMs / 1000, BATCH_SIZE_MAX],
  );
  let started = 0;
  for (const { id } of rows) {
    const ok = await startReversalWorkflow(deps, id).then(() => true, () => false);
    if (ok) started++;
  }
  return started;
}
