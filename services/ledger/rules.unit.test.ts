/**
 * Property-based tests (fast-check) of the double-entry rules as pure
 * functions: any set of lines whose debits equal its credits (at least two,
 * one currency) is accepted; changing any one amount by any non-zero delta
 * makes it UNBALANCED_ENTRY; fewer than two lines is TOO_FEW_LINES; a line in
 * another currency is MIXED_CURRENCY; and the credit-limit check holds
 * exactly at the boundary. Beside them, the assertions of the posting path:
 * a hold move never takes pending below zero (exactly zero passes, one unit
 * more throws), and lines off balance by any amount never reach an insert.
 */
import fc from 'fast-check';
import { AppError } from '../../lib/errors';
import { AssertionError } from '../../lib/assert';
import { assertBalanced, assertValidEntry, movePending, signedAmount, withinCreditLimit } from './rules';
import type { EntryLine } from './schemas';

const accountId = fc.uuid();
const amount = fc.bigInt({ min: 1n, max: 10n ** 15n });

/** Balanced lines: some debits, then credits that split their total. */
const balancedLines: fc.Arbitrary<EntryLine[]> = fc
  .tuple(fc.array(fc.tuple(accountId, amount), { minLength: 1, maxLength: 5 }), fc.array(accountId, { minLength: 1, maxLength: 5 }))
  .map(([debits, creditors]) => {
    const total = debits.reduce((sum, [, a]) => sum + a, 0n);
    const share = total / BigInt(creditors.length);
    const lines: EntryLine[] = debits.map(([id, a]) => ({ accountId: id, direction: 'debit', amountMinor: a }));
    creditors.forEach((id, i) => {
      const last = i === creditors.length - 1;
      const amountMinor = last ? total - share * BigInt(creditors.length - 1) : share;
      if (amountMinor > 0n) lines.push({ accountId: id, direction: 'credit', amountMinor });
    });
    return lines;
  })
  .filter((lines) => lines.length >= 2);

function refusal(work: () => void): string | null {
  try {
    work();
    return null;
  } catch (error) {
    return error instanceof AppError ? (error.extensions.code ?? null) : 'THREW';
  }
}

it('when debits equal credits over at least two lines, then the entry is valid and its signed sum is zero', () => {
  fc.assert(
    fc.property(balancedLines, (lines) => {
      expect(refusal(() => assertValidEntry('USD', lines))).toBeNull();
      expect(lines.reduce((sum, line) => sum + signedAmount(line), 0n)).toBe(0n);
    }),
  );
});

it('when any one amount changes, then the entry is UNBALANCED_ENTRY', () => {
  fc.assert(
    fc.property(balancedLines, fc.nat(), fc.bigInt({ min: 1n, max: 1000n }), (lines, pick, delta) => {
      const changed = lines.map((line, i) => (i === pick % lines.length ? { ...line, amountMinor: line.amountMinor + delta } : line));
      expect(refusal(() => assertValidEntry('USD', changed))).toBe('UNBALANCED_ENTRY');
    }),
  );
});

it('when an entry has one line, then TOO_FEW_LINES; when a line is in another currency, then MIXED_CURRENCY', () => {
  fc.assert(
    fc.property(accountId, amount, (id, a) => {
      expect(refusal(() => assertValidEntry('USD', [{ accountId: id, direction: 'debit', amountMinor: a }]))).toBe('TOO_FEW_LINES');
    }),
  );
  fc.assert(
    fc.property(balancedLines, fc.nat(), fc.constantFrom('EUR', 'GBP', 'JPY'), (lines, pick, other) => {
      const mixed = lines.map((line, i) => (i === pick % lines.length ? { ...line, currency: other } : line));
      expect(refusal(() => assertValidEntry('USD', mixed))).toBe('MIXED_CURRENCY');
    }),
  );
});

it('when available lands exactly on −creditLimit, then it is within; one unit lower is not; unlimited always is', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (limit) => {
      expect(withinCreditLimit(-limit, limit)).toBe(true);
      expect(withinCreditLimit(-limit - 1n, limit)).toBe(false);
      expect(withinCreditLimit(-(10n ** 30n), null)).toBe(true);
    }),
  );
});

describe('hold moves keep pending at or above zero (movePending)', () => {
  it('when a release takes exactly what is reserved, then pending lands on zero', () => {
    const balance = { accountId: 'a-1', pendingMinor: 500n };
    movePending(balance, -500n);
    expect(balance.pendingMinor).toBe(0n);
  });

  it('when a release takes one minor unit more than is reserved, then it throws naming the account and leaves pending as it was', () => {
    const balance = { accountId: 'a-1', pendingMinor: 500n };
    expect(() => movePending(balance, -501n)).toThrow(AssertionError);
    expect(() => movePending(balance, -501n)).toThrow('pendingMinor >= 0 on account a-1');
    expect(balance.pendingMinor).toBe(500n);
  });

  it('when a reserve adds, then pending grows by the amount', () => {
    const balance = { accountId: 'a-1', pendingMinor: 0n };
    movePending(balance, 250n);
    expect(balance.pendingMinor).toBe(250n);
  });
});

describe('a posting is balanced before its insert (assertBalanced)', () => {
  it('when debits equal credits, then it passes', () => {
    fc.assert(fc.property(balancedLines, (lines) => expect(() => assertBalanced(lines, 'entry e-1')).not.toThrow()));
  });

  it('when a line is off by any amount, then it throws naming the entry', () => {
    fc.assert(
      fc.property(balancedLines, amount, (lines, delta) => {
        const [first, ...rest] = lines as [EntryLine, ...EntryLine[]];
        const skewed = [{ ...first, amountMinor: first.amountMinor + delta }, ...rest];
        expect(() => assertBalanced(skewed, 'entry e-1')).toThrow('the lines of entry e-1 balanced');
      }),
    );
  });
});
