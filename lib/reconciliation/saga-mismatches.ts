/**
 * The checks that follow money and sagas outside the transfer that should own
 * them (report.ts lists all checks): an entry of no transfer, a reversal the
 * transfer does not record (or the other way round), a transfer left unfinished
 * by a workflow that has closed, and a hold that nothing will ever release.
 * Pure code: the activities read both sides and these name what disagrees.
 */
import { isTerminalStatus, type TransferStatus } from '../transfers/status';
import type { AccountNet, Mismatch } from './report';

/** What Temporal says of a transfer's workflow: an execution status name (`RUNNING`, `TERMINATED`…) or NOT_FOUND. */
export type WorkflowState = string;
export const WORKFLOW_RUNNING: WorkflowState = 'RUNNING';
export const WORKFLOW_NOT_FOUND: WorkflowState = 'NOT_FOUND';

// ------------------------------------------------------------ entries vs transfers

export interface EntryLink {
  entryId: string;
  /** The entry's transfer, or for a reversal that names none, the transfer of the entry it reverses. */
  transferId: string | null;
  reversesEntryId: string | null;
}

/** `transferKnown`: a transfers row with `transferId` exists (ignored when the entry names none). */
export function entryTransferMismatch(entry: EntryLink, transferKnown: boolean): Mismatch | null {
  const detail = { transferId: entry.transferId, reversesEntryId: entry.reversesEntryId };
  if (entry.transferId === null) return { subjectId: entry.entryId, kind: 'no_transfer', detail };
  if (!transferKnown) return { subjectId: entry.entryId, kind: 'unknown_transfer', detail };
  return null;
}

// ------------------------------------------------------------ reversals vs transfers

export interface ReversalSnapshot {
  status: TransferStatus;
  reversalEntryId: string | null;
  /** The code the reversal was refused with, if it was. */
  reversalFailureCode: string | null;
}

/** What the ledger holds for a transfer: its reversing entries, and the accounts its entries do not net to zero on. */
export interface LedgerReversals {
  reversalEntryIds: string[];
  unbalancedAccounts: AccountNet[];
}

/**
 * A transfer is `reversed` exactly when a reversing entry of its entry exists,
 * and then its entries net to zero on every account. A transfer the transfers
 * table does not know is left to the entry checks, which name its entries.
 */
export function transferReversalMismatch(transferId: string, transfer: ReversalSnapshot | null, ledger: LedgerReversals | null): Mismatch | null {
  if (transfer === null) return null;
  const reversals = ledger?.reversalEntryIds ?? [];
  const detail = {
    status: transfer.status,
    reversalEntryId: transfer.reversalEntryId,
    reversalFailureCode: transfer.reversalFailureCode,
    ledgerReversalEntryIds: [...reversals],
    unbalancedAccounts: [...(ledger?.unbalancedAccounts ?? [])],
  };
  const mismatch = (kind: string): Mismatch => ({ subjectId: transferId, kind, detail });
  if (transfer.status !== 'reversed') return reversals.length === 0 ? null : mismatch('reversal_not_recorded');
  if (reversals.length === 0) return mismatch('reversal_entry_missing');
  if (transfer.reversalEntryId !== null && !reversals.includes(transfer.reversalEntryId)) return mismatch('reversal_entry_id_differs');
  if (detail.unbalancedAccounts.length > 0) return mismatch('not_net_zero');
  return null;
}

// ------------------------------------------------------------ unfinished transfers vs their workflows

/** A transfer that is not final needs a running workflow; one that has closed (or is gone) will never finish it. */
export function transferWorkflowMismatch(transferId: string, status: TransferStatus | null, workflow: WorkflowState): Mismatch | null {
  if (status === null || isTerminalStatus(status) || workflow === WORKFLOW_RUNNING) return null;
  return { subjectId: transferId, kind: workflowGoneKind(workflow), detail: { status, workflowStatus: workflow } };
}

function workflowGoneKind(workflow: WorkflowState): string {
  return workflow === WORKFLOW_NOT_FOUND ? 'workflow_not_found' : 'workflow_closed';
}

// ------------------------------------------------------------ reserved holds vs their transfers

export interface ReservedHold {
  holdId: string;
  transferId: string;
  fromAccountId: string;
  amountMinor: string;
  currency: string;
}

/**
 * A reserved hold is only legitimate while its transfer's saga runs: the
 * transfer not final and its workflow running (`workflow` is null when it was
 * not asked, the row deciding already). Otherwise the amount stays reserved on
 * the source account until someone releases it by hand.
 */
export function reservedHoldMismatch(hold: ReservedHold, status: TransferStatus | null, workflow: WorkflowState | null): Mismatch | null {
  const detail = {
    transferId: hold.transferId,
    fromAccountId: hold.fromAccountId,
    amount: hold.amountMinor,
    currency: hold.currency,
    status,
    workflowStatus: workflow,
  };
  const mismatch = (kind: string): Mismatch => ({ subjectId: hold.holdId, kind, detail });
  if (status === null) return mismatch('unknown_transfer');
  if (isTerminalStatus(status)) return mismatch('transfer_final');
  if (workflow === null || workflow === WORKFLOW_RUNNING) return null;
  return mismatch(workflowGoneKind(workflow));
}
