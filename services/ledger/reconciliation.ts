/**
 * The ledger's side of reconciliation: read-only keyset pages over its balance
 * rows and entries, in id order. The balance check recomputes each balance
 * from the journal in the same statement that reads the row, so the two are
 * one snapshot and any difference is real, not a write in flight.
 */
import type { Pool } from 'pg';
import type {
  AccountNetDto,
  BalanceCheckPageDto,
  BalanceCheckRowDto,
  BalancePageDto,
  BalanceRowDto,
  EntryLinksPageDto,
  ReservedHoldsPageDto,
  TransferEntriesDto,
  TransferEntriesPageDto,
  TransferReversalsPageDto,
} from '../../lib/contracts/ledger';
import { keyAfterFullPage } from '../../lib/pages';
import type { PageSelection } from '../../lib/reconciliation/page-query';

/** Either a page after `cursor`, or exactly the rows of `ids` (ids that are not UUIDs name nothing here). */
type Selection = PageSelection;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Where {
  sql: string;
  /** `LIMIT $2` for a page, empty for ids. */
  limitSql: string;
  params: unknown[];
  limit: number | null;
}

/** The WHERE clause and parameters that pick the rows of `selection` by `column` (a uuid column). */
function where(column: string, selection: Selection): Where {
  if (selection.ids) return { sql: `${column} = ANY($1::uuid[])`, limitSql: '', params: [selection.ids.filter((id) => UUID.test(id))], limit: null };
  return { sql: `($1::uuid IS NULL OR ${column} > $1::uuid)`, limitSql: 'LIMIT $2', params: [selection.cursor ?? null, selection.limit], limit: selection.limit };
}

export async function balancePage(pool: Pool, selection: Selection): Promise<BalancePageDto> {
  const { sql, limitSql, params, limit } = where('account_id', selection);
  const { rows } = await pool.query<BalanceRow>(
    `SELECT account_id::text AS account_id, currency, posted_minor::text AS posted_minor, pending_minor::text AS pending_minor
       FROM ledger_accounts WHERE ${sql} ORDER BY account_id ${limitSql}`,
    params,
  );
  const items = rows.map(balanceRow);
  return { items, nextCursor: keyAfterFullPage(items.map((i) => i.accountId), limit) };
}

/** Each balance row beside its recomputation: posted = Σ credits − Σ debits of its lines, pending = Σ its reserved holds. */
export async function balanceCheckPage(pool: Pool, selection: Selection): Promise<BalanceCheckPageDto> {
  const { sql, limitSql, params, limit } = where('account_id', selection);
  const { rows } = await pool.query<BalanceRow & { posted_from_lines_minor: string; pending_from_holds_minor: string }>(
    `SELECT a.account_id::text AS account_id, a.currency, a.posted_minor::text AS posted_minor, a.pending_minor::text AS pending_minor,
            COALESCE((SELECT sum(CASE l.direction WHEN 'credit' THEN l.amount_minor ELSE -l.amount_minor END)
                        FROM entry_lines l WHERE l.account_id = a.account_id), 0)::text AS posted_from_lines_minor,
            COALESCE((SELECT sum(h.amount_minor) FROM holds h
                       WHERE h.from_account_id = a.account_id AND h.status = 'reserved'), 0)::text AS pending_from_holds_minor
       FROM (SELECT * FROM ledger_accounts WHERE ${sql} ORDER BY account_id ${limitSql}) a
      ORDER BY a.account_id`,
    params,
  );
  const checked: BalanceCheckRowDto[] = rows.map((row) => ({
    ...balanceRow(row),
    postedFromLinesMinor: row.posted_from_lines_minor,
    pendingFromHoldsMinor: row.pending_from_holds_minor,
  }));
  return {
    checked: checked.length,
    items: checked.filter((r) => BigInt(r.postedMinor) !== BigInt(r.postedFromLinesMinor) || BigInt(r.pendingMinor) !== BigInt(r.pendingFromHoldsMinor)),
    nextCursor: keyAfterFullPage(checked.map((r) => r.accountId), limit),
  };
}

/** Transfer ids that have entries, each with its non-reversal entries (a reversal names the transfer too). */
export async function transferEntriesPage(pool: Pool, selection: Selection): Promise<TransferEntriesPageDto> {
  const { sql, limitSql, params, limit } = where('transfer_id', selection);
  const { rows } = await pool.query<{ transfer_id: string; entry_ids: string[] }>(
    `SELECT transfer_id::text AS transfer_id, array_agg(entry_id::text ORDER BY posted_at, entry_id) AS entry_ids
       FROM entries
      WHERE transfer_id IS NOT NULL AND reverses_entry_id IS NULL AND ${sql}
      GROUP BY transfer_id ORDER BY transfer_id ${limitSql}`,
    params,
  );
  const items: TransferEntriesDto[] = rows.map((r) => ({ transferId: r.transfer_id, entryIds: r.entry_ids }));
  return { items, nextCursor: keyAfterFullPage(items.map((i) => i.transferId), limit) };
}

/** Every entry with the transfer it belongs to: its own, or for a reversal that names none, that of the entry it reverses. */
export async function entryLinksPage(pool: Pool, selection: Selection): Promise<EntryLinksPageDto> {
  const { sql, limitSql, params, limit } = where('e.entry_id', selection);
  const { rows } = await pool.query<{ entry_id: string; transfer_id: string | null; reverses_entry_id: string | null }>(
    `SELECT e.entry_id::text AS entry_id, COALESCE(e.transfer_id, r.transfer_id)::text AS transfer_id, e.reverses_entry_id::text AS reverses_entry_id
       FROM entries e LEFT JOIN entries r ON r.entry_id = e.reverses_entry_id
      WHERE ${sql} ORDER BY e.entry_id ${limitSql}`,
    params,
  );
  const items = rows.map((r) => ({ entryId: r.entry_id, transferId: r.transfer_id, reversesEntryId: r.reverses_entry_id }));
  return { items, nextCursor: keyAfterFullPage(items.map((i) => i.entryId), limit) };
}

/**
 * Per transfer, its reversing entries and the accounts its entries (a
 * reversal names its transfer too) do not net to zero on. A page walks the
 * transfers that have a reversing entry; ids pick the given transfers that
 * have entries at all, reversed or not.
 */
export async function transferReversalsPage(pool: Pool, selection: Selection): Promise<TransferReversalsPageDto> {
  const { sql, limitSql, params, limit } = where('transfer_id', selection);
  const candidates = selection.ids
    ? `SELECT DISTINCT transfer_id FROM entries WHERE ${sql}`
    : `SELECT DISTINCT transfer_id FROM entries WHERE reverses_entry_id IS NOT NULL AND transfer_id IS NOT NULL AND ${sql} ORDER BY transfer_id ${limitSql}`;
  const { rows } = await pool.query<{ transfer_id: string; reversal_entry_ids: string[]; unbalanced: AccountNetDto[] }>(
    `WITH t AS (${candidates})
     SELECT t.transfer_id::text AS transfer_id,
            ARRAY(SELECT r.entry_id::text FROM entries o JOIN entries r ON r.reverses_entry_id = o.entry_id
                   WHERE o.transfer_id = t.transfer_id ORDER BY r.posted_at, r.entry_id) AS reversal_entry_ids,
            COALESCE((SELECT json_agg(json_build_object('accountId', n.account_id::text, 'net', n.net::text) ORDER BY n.account_id)
                        FROM (SELECT l.account_id, sum(CASE l.direction WHEN 'credit' THEN l.amount_minor ELSE -l.amount_minor END) AS net
                                FROM entries e JOIN entry_lines l ON l.entry_id = e.entry_id
                               WHERE e.transfer_id = t.transfer_id
                               GROUP BY l.account_id) n
                       WHERE n.net <> 0), '[]'::json) AS unbalanced
       FROM t ORDER BY t.transfer_id`,
    params,
  );
  const items = rows.map((r) => ({ transferId: r.transfer_id, reversalEntryIds: r.reversal_entry_ids, unbalancedAccounts: r.unbalanced }));
  return { items, nextCursor: keyAfterFullPage(items.map((i) => i.transferId), limit) };
}

/** Holds still reserved; ids pick those of the given holds that still are. */
export async function reservedHoldsPage(pool: Pool, selection: Selection): Promise<ReservedHoldsPageDto> {
  const { sql, limitSql, params, limit } = where('hold_id', selection);
  const { rows } = await pool.query<{ hold_id: string; transfer_id: string; from_account_id: string; amount_minor: string; currency: string }>(
    `SELECT hold_id::text AS hold_id, transfer_id::text AS transfer_id, from_account_id::text AS from_account_id,
            amount_minor::text AS amount_minor, currency
       FROM holds WHERE status = 'reserved' AND NOT tombstone AND ${sql} ORDER BY hold_id ${limitSql}`,
    params,
  );
  const items = rows.map((r) => ({ holdId: r.hold_id, transferId: r.transfer_id, fromAccountId: r.from_account_id, amountMinor: r.amount_minor, currency: r.currency.trim() }));
  return { items, nextCursor: keyAfterFullPage(items.map((i) => i.holdId), limit) };
}

/** A balance as the queries above select it: ids and amounts as text. */
interface BalanceRow {
  account_id: string;
  currency: string;
  posted_minor: string;
  pending_minor: string;
}

function balanceRow(row: BalanceRow): BalanceRowDto {
  return { accountId: row.account_id, currency: row.currency.trim(), postedMinor: row.posted_minor, pendingMinor: row.pending_minor };
}
