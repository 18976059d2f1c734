/**
 * A transfer is written before its workflow is started. If the start failed
 * (Temporal down) and the client never retried, the transfer would stay
 * `pending` with nothing to move it; this pass finds such transfers and starts
 * their workflows (a start of an existing workflow id is a no-op), so every
 * transfer reaches a terminal state. A start that finds the workflow closed
 * without an outcome (terminated: its id never runs again) is no success:
 * that transfer is finalized (closed-workflows.ts). The same holds for a
 * reversal, claimed on the transfer's row before its workflow is started: a
 * posted transfer with a claimed reversal gets its reverse-<id> workflow (not
 * one whose reversal the ledger refused: that one is finished); one whose run
 * closed without an outcome (terminated) gets a new run, as that id may run
 * again. Both passes back off per row: each attempt that reached Temporal
 * doubles the wait before the next. A batch left pending gets its workflow
 * too (resume-batches.ts); its items are never started alone.
 */
import type { Pool } from 'pg';
import type { TransferRecord } from '../lib/transfers';
import { finalizeIfWorkflowClosed } from './closed-workflows';
import { resumePendingBatches } from './resume-batches';
import type { BatchDeps } from './transfer-batches';
import { startReversalWorkflow, startTransferWorkflow, type StartDeps, type TransferDeps } from './transfers';

const BATCH_SIZE_MAX = 100;

export interface ResumeOptions {
  /** A transfer younger than this is left to the request that created it. */
  olderThanMs: number;
  /** The wait after the first attempt that found or started the workflow; it doubles with each one after. */
  firstBackoffMs: number;
  maxBackoffMs: number;
}

export const RESUME_DEFAULTS: ResumeOptions & { intervalMs: number } = {
  intervalMs: 15_000,
  olderThanMs: 10_000,
  firstBackoffMs: 15_000,
  maxBackoffMs: 60 * 60_000,
};

export function startPendingResumer(deps: TransferDeps & BatchDeps, pool: Pool, options = RESUME_DEFAULTS): { stop(): void } {
  let running = false;
  const pass = async () => {
    await resumePendingTransfers(deps, pool, options);
    await resumeClaimedReversals(deps, pool, options);
    await resumePendingBatches(deps, options.olderThanMs);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    pass()
      .catch((error) => deps.logger.warn({ err: error }, 'resuming pending transfers failed; will try again'))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * One pass over the transfers pending for longer than `olderThanMs` whose next
 * attempt is due: starts each one's workflow (a no-op when it exists). When
 * the start succeeded or found the workflow, the next attempt waits twice as
 * long as the last (resume_attempts, resume_after: migration 006); when
 * Temporal could not be reached, the transfer is tried again at the next pass.
 * Returns how many transfers were attempted.
 */
export async function resumePendingTransfers(deps: TransferDeps, pool: Pool, options: ResumeOptions): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM transfers
      WHERE status = 'pending' AND created_at < clock_timestamp() - make_interval(secs => $1)
        AND batch_id IS NULL
        AND (resume_after IS NULL OR resume_after <= clock_timestamp())
      ORDER BY coalesce(resume_after, created_at) LIMIT $2`,
    [options.olderThanMs / 1000, BATCH_SIZE_MAX],
  );
  for (const { id } of rows) {
    const transfer = await deps.store.getTransfer(id);
    // A batch's item is never started alone: a transfer workflow would post it under another entry id than its batch's.
    if (transfer?.status !== 'pending' || transfer.batchId !== null) continue;
    // One failed start must not keep the others of this pass from being resumed.
    const reached = await resumeTransfer(deps, transfer).then(
      () => true,
      () => false,
    );
    if (reached) await backOff(pool, id, options);
  }
  return rows.length;
}

/** Starts the transfer's workflow; one that exists already may have closed without an outcome, and is then finalized. */
async function resumeTransfer(deps: TransferDeps, transfer: TransferRecord): Promise<void> {
  if (await startTransferWorkflow(deps, transfer)) return;
  await finalizeIfWorkflowClosed(deps, transfer.id);
}

function backOff(pool: Pool, id: string, { firstBackoffMs, maxBackoffMs }: ResumeOptions) {
  // The right-hand resume_attempts is the value before this update: waits of 1, 2, 4... times the first.
  return pool.query(
    `UPDATE transfers
        SET resume_attempts = resume_attempts + 1,
            resume_after = clock_timestamp() + make_interval(secs => least($2 * 2 ^ least(resume_attempts, 30), $3))
      WHERE id = $1 AND status = 'pending'`,
    [id, firstBackoffMs / 1000, maxBackoffMs / 1000],
  );
}

/**
 * Starts the workflows of reversals claimed at least `olderThanMs` ago whose
 * transfer is still posted, not refused, and whose next attempt is due
 * (migration 007 indexes exactly those rows); returns how many starts reached
 * Temporal (started, or found running). Those push the reversal's next attempt
 * out as the transfer pass does (reversal_resume_attempts, reversal_resume_after:
 * most of the reversals found have their workflow, held up by a service that
 * is down); a start that could not reach Temporal is left for the next pass.
 */
export async function resumeClaimedReversals(deps: StartDeps, pool: Pool, options: ResumeOptions): Promise<number> {
  const { rows } = await pool.query<{ id: string; reversal_id: string }>(
    `SELECT id, reversal_id FROM transfers
      WHERE status = 'posted' AND reversal_id IS NOT NULL AND reversal_refused_at IS NULL
        AND reversal_requested_at < clock_timestamp() - make_interval(secs => $1)
        AND (reversal_resume_after IS NULL OR reversal_resume_after <= clock_timestamp())
      ORDER BY coalesce(reversal_resume_after, reversal_requested_at) LIMIT $2`,
    [options.olderThanMs / 1000, BATCH_SIZE_MAX],
  );
  let reached = 0;
  for (const { id, reversal_id: reversalId } of rows) {
    const ok = await startReversalWorkflow(deps, id).then(() => true, () => false);
    if (!ok) continue;
    reached++;
    await backOffReversal(pool, id, reversalId, options);
  }
  return reached;
}

function backOffReversal(pool: Pool, id: string, reversalId: string, { firstBackoffMs, maxBackoffMs }: ResumeOptions) {
  // As backOff, for the reversal that was read: one refused or claimed anew meanwhile is left as it is (a new claim starts from 0).
  return pool.query(
    `UPDATE transfers
        SET reversal_resume_attempts = reversal_resume_attempts + 1,
            reversal_resume_after = clock_timestamp() + make_interval(secs => least($2 * 2 ^ least(reversal_resume_attempts, 30), $3))
      WHERE id = $1 AND reversal_id = $4 AND status = 'posted' AND reversal_refused_at IS NULL`,
    [id, firstBackoffMs / 1000, maxBackoffMs / 1000, reversalId],
  );
}
