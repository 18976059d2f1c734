/**
 * An account's statement: its lines oldest first, in keyset pages over
 * (posted_at, entry_id, line_no), which the statement_lines_by_account index
 * serves in order.
 */
import type { Direction } from '../../../lib/contracts/ledger';
import { fromDbAmount } from '../../../lib/money';
import { lookaheadPage } from '../../../lib/pages';
import type { Pool } from '../../../lib/pg';
import type { StatementCursor } from './cursor';

export interface StatementQuery {
  accountId: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
  after?: StatementCursor;
}

export interface StatementLineView {
  entryId: string;
  transferId: string | null;
  postedAt: Date;
  direction: Direction;
  amountMinor: bigint;
  balanceAfterMinor: bigint;
  description: string;
}

export interface StatementPage {
  items: StatementLineView[];
  /** Keyset of the last item when more lines follow, else null. */
  next: StatementCursor | null;
}

interface StatementRow {
  entry_id: string;
  transfer_id: string | null;
  posted_at: Date;
  posted_at_key: string;
  line_no: number;
  direction: Direction;
  amount_minor: string;
  balance_after_minor: string;
  description: string;
}

/** null when the read model has never heard of the account. */
export async function readStatement(pool: Pool, query: StatementQuery): Promise<StatementPage | null> {
  const rows = await selectLines(pool, query);
  if (rows.length === 0 && !(await isKnownAccount(pool, query.accountId))) return null;
  // One row more than asked tells whether another page exists.
  const { items: page, continueAfter: last } = lookaheadPage(rows, query.limit);
  const next = last ? { postedAtKey: last.posted_at_key, entryId: last.entry_id, lineNo: last.line_no } : null;
  return { items: page.map(toLineView), next };
}

async function selectLines(pool: Pool, query: StatementQuery): Promise<StatementRow[]> {
  const { rows } = await pool.query<StatementRow>(
    `SELECT entry_id, transfer_id, posted_at, line_no, direction, amount_minor, balance_after_minor, description,
            to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS posted_at_key
       FROM statement_lines
      WHERE account_id = $1
        AND ($2::timestamptz IS NULL OR posted_at >= $2::timestamptz)
        AND ($3::timestamptz IS NULL OR posted_at < $3::timestamptz)
        AND ($4::timestamptz IS NULL OR (posted_at, entry_id, line_no) > ($4::timestamptz, $5::text, $6::integer))
      ORDER BY posted_at, entry_id, line_no
      LIMIT $7`,
    [
      query.accountId,
      query.from?.toISOString() ?? null,
      query.to?.toISOString() ?? null,
      query.after?.postedAtKey ?? null,
      query.after?.entryId ?? null,
      query.after?.lineNo ?? null,
      query.limit + 1,
    ],
  );
  return rows;
}

async function isKnownAccount(pool: Pool, accountId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM balances WHERE account_id = $1', [accountId]);
  return rowCount === 1;
}

function toLineView(row: StatementRow): StatementLineView {
  return {
    entryId: row.entry_id,
    transferId: row.transfer_id,
    postedAt: row.posted_at,
    direction: row.direction,
    amountMinor: fromDbAmount(row.amount_minor),
    balanceAfterMinor: fromDbAmount(row.balance_after_minor),
    description: row.description,
  };
}
