/**
 * The statuses of a transfer and the moves between them. Pure code with no
 * imports: the workflow bundle, the activities, the store and the gateway all
 * share it. The store's UPDATE guards on STATUS_MOVES (the same rule as a list
 * of pairs), so the database enforces it even when two writers race
 * (lib/transfers/status-moves.test.ts checks every pair).
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

/** Every move canMoveStatus allows, as (from, to) pairs: the store's SQL guard is built from it. */
export const STATUS_MOVES: readonly (readonly [TransferStatus, TransferStatus])[] = TRANSFER_STATUSES.flatMap((from) =>
  TRANSFER_STATUSES.filter((to) => canMoveStatus(from, to)).map((to) => [from, to] as const),
);
