/**
 * Posting: turning validated lines into an immutable entry and the balance
 * changes it causes, inside the caller's transaction, after the caller has
 * locked every account the lines touch. Shared by direct entries, hold
 * captures and reversals, so the stamp, the limit check and the events are
 * written once.
 */
import type { PoolClient } from 'pg';
import { assert, required } from '../../lib/assert';
import type { EntryDto } from '../../lib/contracts/ledger';
import { ruleViolation } from '../../lib/errors';
import type { OutboxEvent } from '../../lib/outbox';
import { inOpenTransaction } from '../../lib/pg';
import { entryPostedEvents } from './events';
import { claimEntry, insertLines, saveBalance, type LockedBalance, type NewEntry, type NewLine } from './repository';
import { assertBalanced, signedAmount, withinCreditLimit } from './rules';
import type { EntryLine } from './schemas';

export interface PostedLines {
  entry: EntryDto;
  /** The entry's events; the caller writes them with the rest of its transaction's (transaction-events.ts). */
  events: OutboxEvent<EntryDto & { accountId: string }>[];
}

/**
 * Claims the entry's id, writes its lines, updates the locked balances,
 * refuses (INSUFFICIENT_FUNDS) any account whose available balance would fall
 * below −creditLimit, and returns the entry's events for the caller to write
 * with the rest of its transaction's (transaction-events.ts). Null when the id
 * is taken (a twin committed first; the caller replays it).
 *
 * The one place an entry is stamped, and only once every account of its lines
 * is locked: the header's insert sets posted_at, and an account's lock is held
 * from before that stamp to the commit, so on each account posted_at order is
 * lock order is commit order, the order the running balances (balanceAfter)
 * are computed in. A statement ordered by posted_at is then the ledger's own
 * sequence, and a balance as of any instant is one the account had.
 */
export async function postLines(
  client: PoolClient,
  entry: NewEntry,
  lines: Pick<EntryLine, 'accountId' | 'direction' | 'amountMinor'>[],
  locked: Map<string, LockedBalance>,
): Promise<PostedLines | null> {
  assertBalanced(lines, `entry ${entry.entryId} before its insert`);
  // Its events go to the outbox in this same transaction (transaction-events.ts): both commit or neither.
  assert(inOpenTransaction(client), `entry ${entry.entryId} posted inside a transaction (lib/pg inTransaction)`);
  for (const line of lines) lockedBalance(locked, line.accountId);
  const postedAt = await claimEntry(client, entry);
  if (!postedAt) return null;

  const newLines: NewLine[] = lines.map((line, i) => {
    const balance = lockedBalance(locked, line.accountId);
    balance.postedMinor += signedAmount(line);
    return { lineNo: i + 1, ...line, balanceAfterMinor: balance.postedMinor };
  });
  for (const accountId of new Set(lines.map((line) => line.accountId))) {
    const balance = lockedBalance(locked, accountId);
    const availableMinor = balance.postedMinor - balance.pendingMinor;
    const lowered = lines.some((line) => line.accountId === accountId && line.direction === 'debit');
    if (lowered && !withinCreditLimit(availableMinor, balance.creditLimitMinor)) {
      throw ruleViolation('INSUFFICIENT_FUNDS', `account ${accountId} would go to ${availableMinor}, below its credit limit`);
    }
    await saveBalance(client, balance);
  }
  const storedSigned = await insertLines(client, entry.entryId, newLines);
  assertStoredBalanced(entry.entryId, storedSigned, newLines.length);

  const posted = toEntryDto({ ...entry, postedAt }, newLines);
  return { entry: posted, events: entryPostedEvents(posted) };
}

function toEntryDto(entry: NewEntry & { postedAt: string }, lines: NewLine[]): EntryDto {
  return {
    entryId: entry.entryId,
    transferId: entry.transferId,
    holdId: entry.holdId,
    reversesEntryId: entry.reversesEntryId,
    currency: entry.currency,
    description: entry.description,
    postedAt: entry.postedAt,
    lines: lines.map((line) => ({
      accountId: line.accountId,
      direction: line.direction,
      amountMinor: line.amountMinor.toString(),
      balanceAfterMinor: line.balanceAfterMinor.toString(),
    })),
  };
}

function lockedBalance(locked: Map<string, LockedBalance>, accountId: string): LockedBalance {
  return required(locked.get(accountId), `account ${accountId} locked before posting`);
}

/** The pair of the check before the insert: what the database stored is complete and balanced. */
function assertStoredBalanced(entryId: string, storedSigned: bigint[], expectedLines: number): void {
  const sum = storedSigned.reduce((total, amount) => total + amount, 0n);
  assert(storedSigned.length === expectedLines && sum === 0n, `entry ${entryId} stored as ${expectedLines} lines summing to 0 (got ${storedSigned.length} summing to ${sum})`);
}
