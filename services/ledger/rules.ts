/**
 * The double-entry rules, as pure functions: each refusal names its rule, so a
 * caller (and a test) sees which one was broken.
 */
import { assert } from '../../lib/assert';
import { ruleViolation } from '../../lib/errors';
import type { EntryLine } from './schemas';

export const MIN_LINES = 2;

/** Throws a 422 naming the rule when the lines do not make a valid entry in `currency`. */
export function assertValidEntry(currency: string, lines: EntryLine[]): void {
  if (lines.length < MIN_LINES) {
    throw ruleViolation('TOO_FEW_LINES', `an entry needs at least ${MIN_LINES} lines; got ${lines.length}`);
  }
  const foreign = lines.find((line) => line.currency !== undefined && line.currency !== currency);
  if (foreign) {
    throw ruleViolation('MIXED_CURRENCY', `every line must be in the entry's currency ${currency}; a line is in ${foreign.currency}`);
  }
  const { debitsMinor, creditsMinor } = totals(lines);
  if (debitsMinor !== creditsMinor) {
    throw ruleViolation('UNBALANCED_ENTRY', `debits (${debitsMinor}) must equal credits (${creditsMinor})`);
  }
}

export function totals(lines: Pick<EntryLine, 'direction' | 'amountMinor'>[]): { debitsMinor: bigint; creditsMinor: bigint } {
  let debitsMinor = 0n;
  let creditsMinor = 0n;
  for (const line of lines) {
    if (line.direction === 'debit') debitsMinor += line.amountMinor;
    else creditsMinor += line.amountMinor;
  }
  return { debitsMinor, creditsMinor };
}

/** Balance = credits − debits: a debit lowers it, a credit raises it. */
export function signedAmount(line: Pick<EntryLine, 'direction' | 'amountMinor'>): bigint {
  return line.direction === 'credit' ? line.amountMinor : -line.amountMinor;
}

/**
 * Moves an account's pending sum by `deltaMinor` (a reserve adds the hold's
 * amount, a capture, void or expiry takes it off) and asserts what every hold
 * move keeps: pending never below zero, since it is the sum of the account's
 * reserved holds. A release that took more than was reserved is a bug.
 */
export function movePending(balance: { accountId: string; pendingMinor: bigint }, deltaMinor: bigint): void {
  const pendingMinor = balance.pendingMinor + deltaMinor;
  assert(pendingMinor >= 0n, `pendingMinor >= 0 on account ${balance.accountId} after a hold move of ${deltaMinor} (got ${pendingMinor})`);
  balance.pendingMinor = pendingMinor;
}

/** Asserts the lines of a posting balance (debits = credits): the rules refused unbalanced input before, so this is a bug if it fails. */
export function assertBalanced(lines: Pick<EntryLine, 'direction' | 'amountMinor'>[], what: string): void {
  const { debitsMinor, creditsMinor } = totals(lines);
  assert(debitsMinor === creditsMinor, `the lines of ${what} balanced (debits ${debitsMinor} = credits ${creditsMinor})`);
}

/** null credit limit = unlimited. */
export function withinCreditLimit(availableMinor: bigint, creditLimitMinor: bigint | null): boolean {
  return creditLimitMinor === null || availableMinor >= -creditLimitMinor;
}
