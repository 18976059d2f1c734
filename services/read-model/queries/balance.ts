/**
 * Balances as the read model knows them. Now: the running sums. At an instant
 * in the past: the ledger's own balanceAfter of the account's last line posted
 * at or before it. Holds are not kept as history, so a past balance has no
 * pending part (reported as 0, available = posted).
 */
import { fromDbAmount } from '../../../lib/money';
import type { Pool } from '../../../lib/pg';

export interface BalanceView {
  accountId: string;
  currency: string;
  postedMinor: bigint;
  pendingMinor: bigint;
  availableMinor: bigint;
  asOf: Date;
}

/** null when the read model has never heard of the account. */
export async function readCurrentBalance(pool: Pool, accountId: string, now: Date): Promise<BalanceView | null> {
  const { rows: [row] } = await pool.query<{ currency: string; posted_minor: string; pending_minor: string }>(
    'SELECT currency, posted_minor, pending_minor FROM balances WHERE account_id = $1',
    [accountId],
  );
  if (!row) return null;
  return balanceView(accountId, row.currency, fromDbAmount(row.posted_minor), fromDbAmount(row.pending_minor), now);
}

/**
 * The posted balance after the last entry posted at or before `asOf`, as
 * clients see posting times: to the millisecond. The ledger stamps entries to
 * the microsecond (a batch posts many within one millisecond, and they must
 * keep their order), so an entry counts as posted at `asOf` when its time is
 * anywhere within that millisecond.
 */
export async function readBalanceAsOf(pool: Pool, accountId: string, asOf: Date): Promise<BalanceView | null> {
  const { rows: [row] } = await pool.query<{ currency: string; posted_minor: string | null }>(
    `SELECT b.currency,
            (SELECT s.balance_after_minor
               FROM statement_lines s
              WHERE s.account_id = b.account_id AND s.posted_at < $2::timestamptz + interval '1 millisecond'
              ORDER BY s.posted_at DESC, s.entry_id DESC, s.line_no DESC
              LIMIT 1) AS posted_minor
       FROM balances b
      WHERE b.account_id = $1`,
    [accountId, asOf.toISOString()],
  );
  if (!row) return null;
  const postedMinor = row.posted_minor === null ? 0n : fromDbAmount(row.posted_minor);
  return balanceView(accountId, row.currency, postedMinor, 0n, asOf);
}

function balanceView(accountId: string, currency: string, postedMinor: bigint, pendingMinor: bigint, asOf: Date): BalanceView {
  return { accountId, currency, postedMinor, pendingMinor, availableMinor: postedMinor - pendingMinor, asOf };
}
