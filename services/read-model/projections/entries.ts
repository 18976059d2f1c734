/**
 * entry.posted arrives once per account the entry touches; each event applies
 * only that account's lines. A line is stored once (its key is entry, account,
 * line number) and the posted sum moves only for lines actually stored, so a
 * line seen twice is counted once.
 */
import type { EntryLineDto } from '../../../lib/contracts/ledger';
import type { PoolClient } from '../../../lib/pg';
import type { EntryFacts } from '../events';
import type { BalanceChanges } from './balances';

/** Applies the entry's lines of `entry.accountId`; returns how many new lines were stored. */
export async function projectEntryPosted(client: PoolClient, entry: EntryFacts, balances: BalanceChanges): Promise<number> {
  let postedDeltaMinor = 0n;
  let linesStored = 0;
  const lines = entry.lines.map((line, index) => ({ line, lineNo: index + 1 })).filter(({ line }) => line.accountId === entry.accountId);
  for (const { line, lineNo } of lines) {
    if (!(await insertStatementLine(client, entry, line, lineNo))) continue;
    postedDeltaMinor += signedAmountMinor(line);
    linesStored += 1;
  }
  balances.add(entry.accountId, entry.currency, { postedMinor: postedDeltaMinor, pendingMinor: 0n });
  return linesStored;
}

/** Balance = credits - debits (the contract's sign convention). */
export function signedAmountMinor(line: Pick<EntryLineDto, 'direction' | 'amountMinor'>): bigint {
  const amountMinor = BigInt(line.amountMinor);
  return line.direction === 'credit' ? amountMinor : -amountMinor;
}

async function insertStatementLine(client: PoolClient, entry: EntryFacts, line: EntryLineDto, lineNo: number): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO statement_lines
       (entry_id, account_id, line_no, transfer_id, posted_at, direction, amount_minor, balance_after_minor, description)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (entry_id, account_id, line_no) DO NOTHING`,
    [entry.entryId, line.accountId, lineNo, entry.transferId, entry.postedAt, line.direction, line.amountMinor, line.balanceAfterMinor, entry.description],
  );
  return rowCount === 1;
}
