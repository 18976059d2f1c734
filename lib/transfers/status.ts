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
