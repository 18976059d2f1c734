/**
 * Proves the rule for applying ledger transactions: complete and every
 * account at the version before, or wait; found applied when an account is
 * already at or past its version; and that a set arriving in any order is
 * applied in each account's version order. Pure functions, no infrastructure.
 */
import { settle, verdictOf, type LedgerTx, type Versions } from './ordering';

/** A transaction taking each `account: version` pair, with `parts` of `eventCount` events in hand. */
function tx(txId: string, steps: Record<string, number>, parts = 1, eventCount = 1): LedgerTx<string> {
  return {
    txId,
    eventCount,
    steps: Object.entries(steps).map(([accountId, version]) => ({ accountId, version: BigInt(version), postedDeltaMinor: 0n, pendingDeltaMinor: 0n })),
    parts: Array.from({ length: parts }, (_, i) => `${txId}-${i}`),
  };
}

const at = (versions: Record<string, number>): Versions => new Map(Object.entries(versions).map(([id, v]) => [id, BigInt(v)]));

describe('verdictOf', () => {
  it('when all events are in hand and every account is at the version before, then the transaction is applied', () => {
    expect(verdictOf(tx('t', { a: 3, b: 1 }, 3, 3), at({ a: 2 }))).toBe('apply');
  });

  it('when one of its events is missing, then it waits', () => {
    expect(verdictOf(tx('t', { a: 3, b: 1 }, 2, 3), at({ a: 2 }))).toBe('wait');
  });

  it('when one account is further behind than the version before, then it waits', () => {
    expect(verdictOf(tx('t', { a: 3, b: 2 }), at({ a: 2 }))).toBe('wait');
  });

  it('when an account is already at its version, then it was applied before, even with events missing', () => {
    expect(verdictOf(tx('t', { a: 3, b: 1 }, 1, 3), at({ a: 3 }))).toBe('applied-before');
    expect(verdictOf(tx('t', { a: 3 }), at({ a: 7 }))).toBe('applied-before');
  });
});

describe('settle', () => {
  it('when an account\'s transactions arrive in reverse order, then all are applied in version order', () => {
    const versions = at({});
    const result = settle([tx('t3', { a: 3 }), tx('t2', { a: 2, b: 1 }), tx('t1', { a: 1 })], versions);
    expect(result.apply.map((t) => t.txId)).toEqual(['t1', 't2', 't3']);
    expect(result.waiting).toEqual([]);
    expect(versions).toEqual(at({ a: 3, b: 1 }));
  });

  it('when a transaction in the middle is missing, then the ones before it are applied and the ones after it wait', () => {
    const versions = at({ a: 4 });
    const result = settle([tx('t7', { a: 7 }), tx('t5', { a: 5 }), tx('t4', { a: 4 })], versions);
    expect(result.apply.map((t) => t.txId)).toEqual(['t5']);
    expect(result.stale.map((t) => t.txId)).toEqual(['t4']);
    expect(result.waiting.map((t) => t.txId)).toEqual(['t7']);
    expect(versions).toEqual(at({ a: 5 }));
  });

  it('when a transaction waits for one event, then it and what depends on it through any account wait', () => {
    const versions = at({ a: 1, b: 1 });
    const result = settle([tx('capture', { a: 2, b: 2 }, 2, 3), tx('next-on-b', { b: 3, c: 1 })], versions);
    expect(result.apply).toEqual([]);
    expect(result.waiting.map((t) => t.txId)).toEqual(['capture', 'next-on-b']);
    expect(versions).toEqual(at({ a: 1, b: 1 }));
  });
});
