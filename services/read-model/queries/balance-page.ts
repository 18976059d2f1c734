/**
 * Every balance row in account-id order, for reconciliation with the ledger:
 * keyset pages (ids are text with collation "C", so the order is byte order
 * and matches the ledger's UUID order), or the rows of given ids.
 */
import type { ReadModelBalancePageDto, ReadModelBalanceRowDto } from '../../../lib/contracts/read-model';
import type { Pool } from '../../../lib/pg';
import { keyAfterFullPage } from '../../../lib/pages';
import type { PageSelection } from '../../../lib/reconciliation/page-query';

export async function readBalancePage(pool: Pool, selection: PageSelection): Promise<ReadModelBalancePageDto> {
  const { rows } = selection.ids
    ? await pool.query<BalanceRow>(`${SELECT} WHERE account_id = ANY($1::text[]) ORDER BY account_id`, [selection.ids])
    : await pool.query<BalanceRow>(`${SELECT} WHERE ($1::text IS NULL OR account_id > $1::text) ORDER BY account_id LIMIT $2`, [
        selection.cursor ?? null,
        selection.limit,
      ]);
  const items = rows.map(toDto);
  return { items, nextCursor: selection.ids ? null : keyAfterFullPage(items.map((item) => item.accountId), selection.limit) };
}

const SELECT = 'SELECT account_id, currency, posted_minor::text AS posted_minor, pending_minor::text AS pending_minor FROM balances';

interface BalanceRow {
  account_id: string;
  currency: string;
  posted_minor: string;
  pending_minor: string;
}

function toDto(row: BalanceRow): ReadModelBalanceRowDto {
  return { accountId: row.account_id, currency: row.currency, postedMinor: row.posted_minor, pendingMinor: row.pending_minor };
}
