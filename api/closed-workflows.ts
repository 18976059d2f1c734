/**
 * A transfer whose workflow closed without recording an outcome: terminated
 * or timed out by an operator (Temporal UI or CLI), or failed by a bug. No run
 * will ever move its row again (a transfer's workflow id is never run twice:
 * TRANSFER_WORKFLOW_ID_REUSE_POLICY), so the gateway finalizes it itself, as
 * the workflow's own compensation would have: it releases the hold in the
 * ledger with the saga's call (lib/transfers/hold-release.ts), and records
 * `failed` with failureCode WORKFLOW_TERMINATED; or `posted` with its entry
 * when the ledger says the hold was captured (money moved, and the ledger is
 * the truth). The row moves through the store's ordinary transition rules, so
 * an outcome recorded meanwhile wins and a repeat changes nothing.
 *
 * The sweeper (workflow-sweeper.ts), the resumer (resume-pending.ts) and a
 * decision on such a transfer (transfers.ts) all come through here.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Logger } from 'pino';
import { holdIdFor } from '../activities/ids';
import type { LedgerApi } from '../lib/clients';
import { releaseTransferHold } from '../lib/transfers/hold-release';
import { WORKFLOW_TERMINATED_FAILURE_CODE } from '../lib/transfers/refusal-codes';
import { isTerminalStatus } from '../lib/transfers/status';
import type { StatusUpdate, TransferRecord, TransferStore } from '../lib/transfers/store';
import { transferWorkflowId } from '../lib/workflow-contract';

/** How a workflow can close without running to its end, as the Temporal client names them. */
export const CLOSED_WITHOUT_OUTCOME = ['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELLED'] as const;
export type ClosedWithoutOutcome = (typeof CLOSED_WITHOUT_OUTCOME)[number];

export interface FinalizeDeps {
  store: Pick<TransferStore, 'getTransfer' | 'recordStatus'>;
  temporal: Pick<Client, 'workflow'>;
  ledger: Pick<LedgerApi, 'voidHold' | 'getHold'>;
  logger: Logger;
}

/**
 * How the workflow `workflowId` closed, when it closed without running to
 * its end; null while it runs, once it completed (a completed transfer
 * workflow recorded its outcome before it did), or when Temporal has no such
 * workflow (never started: the resumer starts it).
 */
export async function closedWithoutOutcome(temporal: FinalizeDeps['temporal'], workflowId: string): Promise<ClosedWithoutOutcome | null> {
  try {
    const { status } = await temporal.workflow.getHandle(workflowId).describe();
    return (CLOSED_WITHOUT_OUTCOME as readonly string[]).includes(status.name) ? (status.name as ClosedWithoutOutcome) : null;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/**
 * Finalizes the transfer when its workflow closed without an outcome, and
 * returns it as it then stands; null when its workflow runs, completed, or is
 * not found (the transfer is left to it, or to the resumer). A row found final
 * already is returned as it is. Throws when Temporal, the ledger or the
 * database cannot be reached: nothing is recorded then, and the caller tries
 * again later.
 */
export async function finalizeIfWorkflowClosed(deps: FinalizeDeps, transferId: string): Promise<TransferRecord | null> {
  const workflowId = transferWorkflowId(transferId);
  const closed = await closedWithoutOutcome(deps.temporal, workflowId);
  if (closed === null) return null;
  // Read after the describe: an outcome the workflow recorded before it closed shows now.
  const transfer = await deps.store.getTransfer(transferId);
  if (!transfer || isTerminalStatus(transfer.status)) return transfer;
  const reason = `workflow ${workflowId} closed as ${closed}`;
  const release = await releaseTransferHold(deps.ledger, { holdId: holdIdFor(workflowId), reason });
  const update: StatusUpdate = release.captured
    ? { status: 'posted', entryId: release.entryId }
    : { status: 'failed', failureCode: WORKFLOW_TERMINATED_FAILURE_CODE, failureMessage: `${reason} without recording an outcome; its hold was released` };
  const { applied, transfer: recorded } = await deps.store.recordStatus(transferId, update);
  const fields = { transfer_id: transferId, workflow_status: closed, status: recorded?.status, entry_id: release.captured ? release.entryId : undefined };
  if (applied) deps.logger.warn(fields, 'transfer workflow closed without an outcome; transfer finalized');
  else deps.logger.info(fields, 'transfer workflow closed without an outcome; its outcome was recorded already');
  return recorded;
}
