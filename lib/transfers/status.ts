/**
 * The statuses of a transfer and the moves between them. Pure code with no
 * imports: the workflow bundle, the activities, the store and the gateway all
 * share it. The store's UPDATE mirrors `canMoveStatus` in SQL, so the database
 * enforces the rule even when two writers race.
 */

export const TRANSFER_STATUSES = ['pending', 'awaiting_approval', 'posted', 'failed', 'cancelled', 'expired', 'reversed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

/** A transfer in one of these has finished its saga; only `posted` may still move (to `reversed`). */
export const TERMINAL_STATUSES: readonly TransferStatus[] = ['posted', 'failed', 'cancelled', 'expired', 'reversed'];

export function isTerminalStatus(status: TransferStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Whether a transfer in `from` may be recorded as `to`. Statuses only move
 * forward: pending → awaiting_approval → a terminal status; posted → reversed;
 * nothing leaves failed, cancelled, expired or reversed.
 */
export function canMoveStatus(from: TransferStatus, to: TransferStatus): boolean {
  if (from === 'pending') return to !== 'pending';
  if (from === 'awaiting_approval') return to !== 'pending' && to !== 'awaiting_approval' && to !== 'reversed';
  if (from === 'posted') return to === 'reversed';
  return false;
}

/** The failure code of a rejected transfer (status `cancelled`), so a rejection is told apart from a cancel. */
export const REJECTED_FAILURE_CODE = 'REJECTED';

/**
 * The failure code of a transfer whose workflow closed without recording an
 * outcome (terminated or timed out in the Temporal UI or CLI): the gateway
 * records it `failed` and releases its hold (api/closed-workflows.ts).
 */
export const WORKFLOW_TERMINATED_FAILURE_CODE = 'WORKFLOW_TERMINATED';

/**
 * Failure codes a transfer may end with. The first four are the public
 * contract's, and so is WORKFLOW_TERMINATED; the ledger may also refuse a
 * capture (HOLD_NOT_RESERVED when the hold expired); INTERNAL_ERROR marks a
 * transfer that a bug or a contract mismatch between services stopped (its
 * hold is released all the same); REJECTED goes with `cancelled`, not `failed`.
 */
export const TRANSFER_FAILURE_CODES = [
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_FROZEN',
  'CURRENCY_MISMATCH',
  'INSUFFICIENT_FUNDS',
  'HOLD_NOT_RESERVED',
  'INTERNAL_ERROR',
  WORKFLOW_TERMINATED_FAILURE_CODE,
  REJECTED_FAILURE_CODE,
] as const;
export type TransferFailureCode = (typeof TRANSFER_FAILURE_CODES)[number] | (string & {});
