/**
 * A stand-in for the ledger's balance pages (GET /balances), answering from
 * the rows a test says the ledger holds: keyset pages in account id order, or
 * exactly the ids asked for, as the ledger service does.
 */
import type { PageRequest } from '../../../lib/clients/ledger';
import type { BalancePageDto, BalanceRowDto } from '../../../lib/contracts/ledger';
import { keyAfterFullPage } from '../../../lib/pages';
import type { LedgerBalances } from '../../../services/read-model/rebuild/ledger-balances';

export function ledgerBalanceRow(accountId: string, posted: bigint, pending = 0n): BalanceRowDto {
  return { accountId, currency: 'USD', postedMinor: posted.toString(), pendingMinor: pending.toString() };
}

export function fakeLedgerBalances(rows: readonly BalanceRowDto[]): LedgerBalances {
  const sorted = [...rows].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  return {
    async listBalances(page: PageRequest): Promise<BalancePageDto> {
      if ('ids' in page) return { items: sorted.filter((row) => page.ids.includes(row.accountId)), nextCursor: null };
      const items = sorted.filter((row) => page.cursor === null || row.accountId > page.cursor).slice(0, page.limit);
      return { items, nextCursor: keyAfterFullPage(items.map((row) => row.accountId), page.limit) };
    },
  };
}
