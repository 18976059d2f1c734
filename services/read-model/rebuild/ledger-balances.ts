/**
 * The rebuild's proof that its projection accounts for every event: the
 * ledger's own balance rows (kept with its journal, in its database) must
 * equal the rebuilt balances, account by account. A log that lost events, a
 * topic deleted and created again, or events the relay never published all
 * show up here as an account whose balance differs.
 *
 * Only the ledger's accounts are compared: an account that never moved money
 * has no ledger row, and its rebuilt balance is zero anyway.
 */
import type { LedgerReconciliationApi } from '../../../lib/clients/ledger';
import { RECONCILIATION_IDS_MAX, RECONCILIATION_PAGE_LIMIT_MAX, type BalanceRowDto } from '../../../lib/contracts/ledger';
import type { Pool } from '../../../lib/pg';

/** What the rebuild reads from the ledger; the CLI passes the ledger's client, tests a fake. */
export type LedgerBalances = Pick<LedgerReconciliationApi, 'listBalances'>;

export interface BalanceDifference {
  accountId: string;
  ledger: { posted: string; pending: string };
  /** Null when the rebuilt projection has no balance row for the account. */
  rebuilt: { posted: string; pending: string } | null;
}

export interface BalanceComparison {
  /** Ledger accounts compared. */
  compared: number;
  differences: BalanceDifference[];
}

/**
 * The accounts whose rebuilt balance (in the schema `pool` is bound to)
 * differs from the ledger's: all of the ledger's accounts, or only `ids`.
 */
export async function differingBalances(ledger: LedgerBalances, pool: Pool, ids?: readonly string[]): Promise<BalanceComparison> {
  const result: BalanceComparison = { compared: 0, differences: [] };
  for await (const rows of ledgerPages(ledger, ids)) {
    result.compared += rows.length;
    result.differences.push(...(await compare(pool, rows)));
  }
  return result;
}

async function* ledgerPages(ledger: LedgerBalances, ids: readonly string[] | undefined): AsyncGenerator<BalanceRowDto[]> {
  if (ids) {
    for (let from = 0; from < ids.length; from += RECONCILIATION_IDS_MAX) {
      yield (await ledger.listBalances({ ids: ids.slice(from, from + RECONCILIATION_IDS_MAX) })).items;
    }
    return;
  }
  let cursor: string | null = null;
  do {
    const page = await ledger.listBalances({ cursor, limit: RECONCILIATION_PAGE_LIMIT_MAX });
    yield page.items;
    cursor = page.nextCursor;
  } while (cursor !== null);
}

async function compare(pool: Pool, rows: BalanceRowDto[]): Promise<BalanceDifference[]> {
  if (rows.length === 0) return [];
  const { rows: rebuiltRows } = await pool.query<{ account_id: string; posted_minor: string; pending_minor: string }>(
    'SELECT account_id, posted_minor::text AS posted_minor, pending_minor::text AS pending_minor FROM balances WHERE account_id = ANY($1::text[])',
    [rows.map((row) => row.accountId)],
  );
  const rebuilt = new Map(rebuiltRows.map((row) => [row.account_id, { posted: row.posted_minor, pending: row.pending_minor }]));
  return rows
    .map((row) => ({ accountId: row.accountId, ledger: { posted: row.postedMinor, pending: row.pendingMinor }, rebuilt: rebuilt.get(row.accountId) ?? null }))
    .filter(({ ledger, rebuilt: mine }) => BigInt(ledger.posted) !== BigInt(mine?.posted ?? 0) || BigInt(ledger.pending) !== BigInt(mine?.pending ?? 0));
}

/** Thrown instead of swapping in a projection whose balances disagree with the ledger's. */
export class LedgerMismatchError extends Error {
  constructor(
    readonly differences: readonly BalanceDifference[],
    consequence: string,
  ) {
    const shown = differences.slice(0, 5).map(describe).join('; ');
    const more = differences.length > 5 ? `; and ${differences.length - 5} more` : '';
    super(`the rebuilt balances of ${differences.length} account(s) differ from the ledger's (${shown}${more}); events are missing from the topics: ${consequence}`);
    this.name = 'LedgerMismatchError';
  }
}

function describe({ accountId, ledger, rebuilt }: BalanceDifference): string {
  const mine = rebuilt ? `posted ${rebuilt.posted} pending ${rebuilt.pending}` : 'no balance';
  return `${accountId} ledger posted ${ledger.posted} pending ${ledger.pending}, rebuilt ${mine}`;
}
