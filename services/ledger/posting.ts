/**
 * Posting: turning validated lines into an immutable entry and the balance
 * changes it causes, inside the caller's transaction, after the caller has
 * locked every account the lines touch. Shared by direct entries, hold
 * captures and reversals, so the limit check and the events are written once.
 */
import type { PoolClient } from 'pg';
import type { EntryDto } from '../../lib/contracts/ledger';
import { ruleViolation } from '../../lib/errors';
import { appendToOutbox } from '../../lib/outbox';
import { entryPostedEvents } from './events';
import { getEntry, insertLines, saveBalance, type AccountBalance, type NewEntry, type NewLine } from './repository';
import { signedAmount, totals, withinCreditLimit } from './rules';
import type { EntryLine } from './schemas';

/**
 * Writes the lines of an entry whose header is already claimed, updates the
 * locked balances, refuses (INSUFFICIENT_FUNDS) any account whose available
 * balance would fall below −creditLimit, and queues the entry's events.
 */
export async function postLines(
  client: PoolClient,
  entry: NewEntry,
  lines: Pick<EntryLine, 'accountId' | 'direction' | 'amountMinor'>[],
  locked: Map<string, AccountBalance>,
): Promise<EntryDto> {
  const { debitsMinor, creditsMinor } = totals(lines);
  if (debitsMinor !== creditsMinor) throw new Error(`assertion: unbalanced lines reached posting (${debitsMinor} vs ${creditsMinor})`);

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
  await insertLines(client, entry.entryId, newLines);

  const stored = await getEntry(client, entry.entryId);
  if (!stored) throw new Error(`assertion: entry ${entry.entryId} not readable after insert`);
  assertMatches(stored.entry, newLines);
  await appendToOutbox(client, entryPostedEvents(stored.entry));
  return stored.entry;
}

function lockedBalance(locked: Map<string, AccountBalance>, accountId: string): AccountBalance {
  const balance = locked.get(accountId);
  if (!balance) throw new Error(`assertion: account ${accountId} was not locked before posting`);
  return balance;
}

/** The pair of the check before the insert: what was read back is what was meant to be written. */
function assertMatches(entry: EntryDto, lines: NewLine[]): void {
  const readBack = totals(entry.lines.map((l) => ({ direction: l.direction, amountMinor: BigInt(l.amountMinor) })));
  if (entry.lines.length !== lines.length || readBack.debitsMinor !== readBack.creditsMinor) {
    throw new Error(`assertion: entry ${entry.entryId} read back unbalanced or incomplete`);
  }
}
