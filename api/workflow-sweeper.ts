/**
 * Finds the transfers whose workflow closed without recording an outcome
 * (terminated or timed out by an operator in the Temporal UI or CLI, failed by
 * a bug) and finalizes them (closed-workflows.ts): `failed` with failureCode
 * WORKFLOW_TERMINATED and the hold released, within a pass of the close. It
 * asks Temporal's visibility for the transfer workflows closed that way since
 * the last pass (not every open row for its workflow: transfers awaiting
 * approval may be many, terminations are few), and finalizes those whose row
 * is still `pending` or `awaiting_approval`, in bounded batches, oldest close
 * first. A transfer that could not be finalized (the ledger down) keeps the
 * next pass's window open from its close time, so it is tried again each
 * pass; a pass that could not list anything is tried again whole.
 *
 * Reversals are not swept: a claimed reversal whose `reverse-<id>` run closed
 * without an outcome is started again by the resumer (resume-pending.ts; that
 * id may run again: REVERSE_WORKFLOW_ID_REUSE_POLICY), and the new run posts
 * the reversal or records the ledger's refusal.
 */
import type { Pool } from 'pg';
import { TRANSFER_WORKFLOW_TYPE } from '../lib/workflow-contract';
import { finalizeIfWorkflowClosed, type FinalizeDeps } from './closed-workflows';

const BATCH_SIZE_MAX = 100;
/** Visibility shows a close a moment after it happened: each window overlaps the last by this much. */
const VISIBILITY_LAG_MS = 60_000;
const TRANSFER_WORKFLOW_ID = /^transfer-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface SweepOptions {
  intervalMs: number;
  /** How far back the first pass looks (a gateway that was down misses no close younger than this). */
  lookbackMs: number;
}

export function startWorkflowSweeper(deps: FinalizeDeps, pool: Pool, options: SweepOptions): { stop(): void } {
  let running = false;
  let since = new Date(Date.now() - options.lookbackMs);
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const passStart = Date.now();
    sweepClosedTransfers(deps, pool, since)
      .then(({ finalized, retryFrom }) => {
        if (finalized > 0) deps.logger.info({ count: finalized }, 'transfers whose workflow closed without an outcome finalized');
        const next = new Date(passStart - VISIBILITY_LAG_MS);
        const oldest = new Date(passStart - options.lookbackMs);
        since = retryFrom && retryFrom < next ? (retryFrom > oldest ? retryFrom : oldest) : next;
      })
      .catch((error) => deps.logger.warn({ err: error }, 'sweeping closed transfer workflows failed; will try again'))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export interface SweepResult {
  /** Transfers this pass moved to a final status. */
  finalized: number;
  /** The close time of the oldest transfer left not final (not reached, or its finalization failed); null when none was. */
  retryFrom: Date | null;
}

/** One pass: the transfer workflows closed without an outcome since `since`, finalized where their row is not final. */
export async function sweepClosedTransfers(deps: FinalizeDeps, pool: Pool, since: Date): Promise<SweepResult> {
  const closed = await closedTransferWorkflows(deps, since);
  const open = await notFinal(pool, [...closed.keys()]);
  const due = [...closed].filter(([id]) => open.has(id)).sort(([, a], [, b]) => a.getTime() - b.getTime());
  let finalized = 0;
  // The first transfer past this pass's batch waits for the next pass, from its close time on.
  let retryFrom: Date | null = due[BATCH_SIZE_MAX]?.[1] ?? null;
  for (const [id, closeTime] of due.slice(0, BATCH_SIZE_MAX)) {
    // One transfer that cannot be finalized now must not keep the others of this pass from it.
    const transfer = await finalizeIfWorkflowClosed(deps, id).catch((error: unknown) => {
      deps.logger.warn({ err: error, transfer_id: id }, 'could not finalize a transfer whose workflow closed; will try again');
      return null;
    });
    if (transfer && transfer.status !== 'pending' && transfer.status !== 'awaiting_approval') finalized++;
    else if (!retryFrom || closeTime < retryFrom) retryFrom = closeTime;
  }
  return { finalized, retryFrom };
}

/** Transfer id → close time of each transfer workflow closed without an outcome since `since`. */
async function closedTransferWorkflows(deps: FinalizeDeps, since: Date): Promise<Map<string, Date>> {
  const query =
    `WorkflowType = '${TRANSFER_WORKFLOW_TYPE}'` +
    ` AND ExecutionStatus IN ('Terminated', 'TimedOut', 'Failed', 'Canceled')` +
    ` AND CloseTime > '${since.toISOString()}'`;
  const found = new Map<string, Date>();
  for await (const workflow of deps.temporal.workflow.list({ query })) {
    const id = TRANSFER_WORKFLOW_ID.exec(workflow.workflowId)?.[1];
    if (id) found.set(id, workflow.closeTime ?? since);
  }
  return found;
}

async function notFinal(pool: Pool, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM transfers WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'awaiting_approval')`,
    [ids],
  );
  return new Set(rows.map((row) => row.id));
}
