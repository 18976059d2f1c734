/**
 * The double-entry rules, as pure functions: each refusal names its rule, so a
 * caller (and a test) sees which one was broken.
 */
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

/** null credit limit = unlimited. */
export function withinCreditLimit(availableMinor: bigint, creditLimitMinor: bigint | null): boolean {
  return creditLimitMinor === null || availableMinor >= -creditLimitMinor;
}
