/**
 * Proves the rebuild's progress arithmetic: a partition counts as caught up
 * exactly when its consumed offset reaches the target, positions never move
 * back, and merged targets keep the further offset. Pure, no infrastructure.
 */
import { ConsumedOffsets, mergeTargets, partitionKey } from './positions';

describe('rebuild positions', () => {
  const key = partitionKey('ledger.entry.v1', 0);

  it('when the consumed offset is one short of the target, then the partition is behind; when it reaches it, then it is not', () => {
    const consumed = new ConsumedOffsets();
    consumed.advance('ledger.entry.v1', 0, 9n);
    expect(consumed.behind(new Map([[key, 10n]]))).toEqual(new Map([[key, 10n]]));
    consumed.advance('ledger.entry.v1', 0, 10n);
    expect(consumed.behind(new Map([[key, 10n]])).size).toBe(0);
  });

  it('when an older position is reported after a newer one, then the newer one stands', () => {
    const consumed = new ConsumedOffsets();
    consumed.advance('ledger.entry.v1', 0, 10n);
    consumed.advance('ledger.entry.v1', 0, 3n);
    expect(consumed.behind(new Map([[key, 10n]])).size).toBe(0);
    expect(consumed.total()).toBe(10n);
  });

  it('when a partition was never consumed, then any positive target is behind', () => {
    expect(new ConsumedOffsets().behind(new Map([[key, 1n]])).size).toBe(1);
  });

  it('when targets are merged, then each partition keeps the further offset', () => {
    const other = partitionKey('ledger.hold.v1', 2);
    const merged = mergeTargets(new Map([[key, 5n]]), new Map([[key, 7n], [other, 1n]]));
    expect(merged).toEqual(new Map([[key, 7n], [other, 1n]]));
  });
});
