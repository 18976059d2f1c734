/**
 * hold.reserved / captured / voided / expired. The hold row remembers the
 * latest status; the account's pending sum holds exactly the amounts of its
 * holds whose latest status is reserved, whatever order the events come in
 * (see hold-status.ts for the rule).
 */
import type { HoldStatus } from '../../../lib/contracts/ledger';
import type { PoolClient } from '../../../lib/pg';
import type { HoldFacts } from '../events';
import type { BalanceChanges } from './balances';
import { holdTransition, type HoldTransition } from './hold-status';

export async function projectHold(
  client: PoolClient,
  hold: HoldFacts,
  status: HoldStatus,
  occurredAt: string,
  balances: BalanceChanges,
): Promise<HoldTransition> {
  // The row lock serialises events of one hold, should two ever be applied at once.
  const { rows } = await client.query<{ status: HoldStatus }>('SELECT status FROM holds WHERE hold_id = $1 FOR UPDATE', [hold.holdId]);
  const known = rows[0]?.status ?? null;
  const transition = holdTransition(known, status);
  if (transition.write && known === null) await insertHold(client, hold, status, occurredAt);
  else if (transition.write) await updateHoldStatus(client, hold, status, occurredAt);
  balances.add(hold.fromAccountId, hold.currency, { postedMinor: 0n, pendingMinor: pendingDeltaMinor(transition, BigInt(hold.amountMinor)) });
  return transition;
}

function pendingDeltaMinor(transition: HoldTransition, amountMinor: bigint): bigint {
  if (transition.pending === 'add') return amountMinor;
  if (transition.pending === 'remove') return -amountMinor;
  return 0n;
}

async function insertHold(client: PoolClient, hold: HoldFacts, status: HoldStatus, occurredAt: string): Promise<void> {
  await client.query(
    `INSERT INTO holds (hold_id, account_id, transfer_id, amount_minor, currency, status, entry_id, expires_at, last_event_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [hold.holdId, hold.fromAccountId, hold.transferId, hold.amountMinor, hold.currency, status, hold.entryId, hold.expiresAt, occurredAt],
  );
}

async function updateHoldStatus(client: PoolClient, hold: HoldFacts, status: HoldStatus, occurredAt: string): Promise<void> {
  await client.query(
    `UPDATE holds SET status = $2, entry_id = COALESCE($3, entry_id), last_event_at = $4 WHERE hold_id = $1`,
    [hold.holdId, status, hold.entryId, occurredAt],
  );
}
