/**
 * The balances row of an account: created by the first event that names the
 * account, then moved by deltas. Adding deltas (rather than overwriting) is
 * what makes the sums independent of the order events arrive in.
 */
import type { PoolClient } from '../../../lib/pg';

export interface BalanceDelta {
  postedMinor: bigint;
  pendingMinor: bigint;
}

export const NO_CHANGE: BalanceDelta = { postedMinor: 0n, pendingMinor: 0n };

/** Adds `delta` to the account's sums, creating the row (in `currency`) if this is the account's first event. */
export async function addToBalance(client: PoolClient, accountId: string, currency: string, delta: BalanceDelta): Promise<void> {
  // Two statements rather than one upsert: PostgreSQL checks the CHECK
  // constraints on the row an upsert proposes to insert, so a negative delta
  // (a released hold) would fail even when the row exists and the sum stays >= 0.
  await client.query(
    `INSERT INTO balances (account_id, currency) VALUES ($1, $2) ON CONFLICT (account_id) DO NOTHING`,
    [accountId, currency],
  );
  if (delta.postedMinor === 0n && delta.pendingMinor === 0n) return;
  await client.query(
    `UPDATE balances SET posted_minor = posted_minor + $2, pending_minor = pending_minor + $3 WHERE account_id = $1`,
    [accountId, delta.postedMinor.toString(), delta.pendingMinor.toString()],
  );
}
