/**
 * The history's batch checks and the Go checker's view of batches, on
 * synthetic histories: a clean atomic and independent batch pass every
 * check; an atomic batch half posted, a failed one whose refused item does
 * not match, an item posted twice (its lines twice in the statements), a key
 * answered with two batches and an item told posted that ended failed each
 * make their check fail and name the culprit. The Go checker's history turns
 * each item into a transfer op of the batch's window, gives a failed atomic
 * batch's items as BATCH_ABORTED, leaves out an item to an account outside
 * the group, and keeps every other event's references. A failed atomic batch
 * whose items have statement lines fails "batches all or none" by name. How: events written as
 * the recorder would, a final snapshot to match.
 */
import { runChecks, type Check } from './checks';
import { goCheckerHistory } from './go-history';
import type { FinalBatch, FinalSnapshot, FinalTransfer, HistoryEvent, StatementItem } from './history';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const FA = 'fa000000-0000-4000-8000-000000000001';
const FB = 'fb000000-0000-4000-8000-000000000002';
const MISSING = '00000000-0000-4000-8000-00000000dead';
const [I0, I1, J0, J1] = ['10000000-0000-4000-8000-000000000000', '10000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000000', '20000000-0000-4000-8000-000000000001'];
const [BA, BI] = ['ba000000-0000-4000-8000-000000000001', 'b1000000-0000-4000-8000-000000000002'];

class Builder {
  events: HistoryEvent[] = [];
  constructor() {
    this.add('setup', 'setup', undefined, { approvalThresholdMinor: '1000000', groups: { g1: { accounts: { [A]: account(FA), [B]: account(FB) } } } });
  }
  add(type: HistoryEvent['type'], process: HistoryEvent['process'], f: HistoryEvent['f'], value: any, key?: string): number {
    const index = this.events.length;
    this.events.push({ index, time: index * 1000, type, process, ...(f ? { f } : {}), ...(key ? { key } : {}), value });
    return index;
  }
  op(process: number, f: HistoryEvent['f'], invoke: any, type: 'ok' | 'fail' | 'info', result: any, key?: string): number {
    const at = this.add('invoke', process, f, invoke, key);
    this.add(type, process, f, result, key);
    return at;
  }
}

const account = (fundingTransferId: string) => ({ creditLimitMinor: '0', openingPostedMinor: '1000', fundingTransferId });
const line = (entryId: string, transferId: string, direction: 'debit' | 'credit', amountMinor: string, balanceAfterMinor: string): StatementItem => ({
  entryId,
  transferId,
  postedAt: '2026-12-05T00:00:00.000Z',
  direction,
  amountMinor,
  balanceAfterMinor,
});
const transfer = (id: string, status: string, amountMinor: string, to = B, failureCode: string | null = null): FinalTransfer => ({
  id,
  fromAccountId: A,
  toAccountId: to,
  amountMinor,
  status,
  failureCode,
  reversalStatus: null,
});
const itemOf = (transferId: string, batchIndex: number, status: string, failureCode: string | null = null) => ({ transferId, batchIndex, status, failureCode });
const answer = (b: FinalBatch) => ({ batchId: b.id, mode: b.mode, status: b.status, postedCount: b.postedCount, failedCount: b.failedCount, failureCode: b.failureCode, failureIndex: b.failureIndex, items: b.items.map((i) => ({ ...i })) });

/** An atomic batch of two items (100 and 200 from A to B) posted; an independent one of two, the second to a missing account, refused. */
function clean(): { b: Builder; snapshot: FinalSnapshot; atomic: FinalBatch; independent: FinalBatch } {
  const b = new Builder();
  const atomic: FinalBatch = { id: BA, mode: 'atomic', status: 'completed', itemCount: 2, postedCount: 2, failedCount: 0, failureCode: null, failureIndex: null, items: [itemOf(I0, 0, 'posted'), itemOf(I1, 1, 'posted')] };
  const independent: FinalBatch = {
    id: BI, mode: 'independent', status: 'completed', itemCount: 2, postedCount: 1, failedCount: 1, failureCode: null, failureIndex: null,
    items: [itemOf(J0, 0, 'posted'), itemOf(J1, 1, 'failed', 'ACCOUNT_NOT_FOUND')],
  };
  b.op(0, 'batch', { group: 'g1', mode: 'atomic', items: [{ from: A, to: B, amountMinor: '100' }, { from: A, to: B, amountMinor: '200' }] }, 'ok', answer(atomic), 'kb1');
  b.op(1, 'batch', { group: 'g1', mode: 'independent', items: [{ from: A, to: B, amountMinor: '50' }, { from: A, to: MISSING, amountMinor: '5' }] }, 'ok', answer(independent), 'kb2');
  const snapshot: FinalSnapshot = {
    statements: {
      [A]: [line('eA0', FA, 'credit', '1000', '1000'), line('e0', I0, 'debit', '100', '900'), line('e1', I1, 'debit', '200', '700'), line('e2', J0, 'debit', '50', '650')],
      [B]: [line('eB0', FB, 'credit', '1000', '1000'), line('e0', I0, 'credit', '100', '1100'), line('e1', I1, 'credit', '200', '1300'), line('e2', J0, 'credit', '50', '1350')],
    },
    transfers: { [I0]: transfer(I0, 'posted', '100'), [I1]: transfer(I1, 'posted', '200'), [J0]: transfer(J0, 'posted', '50'), [J1]: transfer(J1, 'failed', '5', MISSING, 'ACCOUNT_NOT_FOUND') },
    balances: { [A]: { postedMinor: '650', pendingMinor: '0', availableMinor: '650' }, [B]: { postedMinor: '1350', pendingMinor: '0', availableMinor: '1350' } },
    reconciliation: { id: 'r1', status: 'completed', mismatches: 0, detail: '' },
    batches: { [BA]: atomic, [BI]: independent },
  };
  return { b, snapshot, atomic, independent };
}

const failing = (checks: Check[]) => Object.fromEntries(checks.filter((c) => c.violations.length > 0).map((c) => [c.name, c.violations]));

it('passes a clean history with an atomic and an independent batch', () => {
  const { b, snapshot } = clean();
  expect(failing(runChecks(b.events, snapshot))).toEqual({});
});

it('finds an atomic batch half posted, and its counts off its items', () => {
  const { b, snapshot, atomic } = clean();
  atomic.items[1] = itemOf(I1, 1, 'failed', 'INSUFFICIENT_FUNDS');
  snapshot.transfers[I1] = transfer(I1, 'failed', '200', B, 'INSUFFICIENT_FUNDS');
  const found = failing(runChecks(b.events, snapshot));
  expect(found['batches all or none, exactly once']).toEqual([
    `batch ${BA} (op 1, atomic): counts posted 2/failed 0, its items posted 1/failed 1`,
    `batch ${BA} (op 1, atomic): 1 of 2 items posted`,
    `batch ${BA} (op 1, atomic) completed with 1 of 2 items posted`,
  ]);
});

it('finds a failed atomic batch whose refused item does not match, or whose other items did not end BATCH_ABORTED', () => {
  const { b, snapshot, atomic } = clean();
  Object.assign(atomic, { status: 'failed', postedCount: 0, failedCount: 2, failureCode: 'INSUFFICIENT_FUNDS', failureIndex: 1, items: [itemOf(I0, 0, 'failed', 'ACCOUNT_FROZEN'), itemOf(I1, 1, 'failed', 'BATCH_ABORTED')] });
  const found = failing(runChecks(b.events, snapshot));
  expect(found['batches all or none, exactly once']).toEqual([
    `batch ${BA} (op 1, atomic) failed INSUFFICIENT_FUNDS at 1, but that item is failed BATCH_ABORTED`,
    `batch ${BA} (op 1, atomic) failed, but 1 other items did not end BATCH_ABORTED (e.g. #0 failed)`,
    // The snapshot still has the items' lines of the clean history: money moved for a batch that failed.
    `batch ${BA} (op 1, atomic) failed: 2 of 2 items have statement lines (e.g. #0 failed)`,
  ]);
  expect(found['answers stick']).toEqual([expect.stringContaining(`was told batch ${BA} completed @-, which ended failed INSUFFICIENT_FUNDS@1`)]);
});

it('finds a failed atomic batch whose items moved money anyway (statement lines of items recorded BATCH_ABORTED)', () => {
  const { b, snapshot, atomic } = clean();
  Object.assign(atomic, { status: 'failed', postedCount: 0, failedCount: 2, failureCode: 'ACCOUNT_NOT_FOUND', failureIndex: 0, items: [itemOf(I0, 0, 'failed', 'ACCOUNT_NOT_FOUND'), itemOf(I1, 1, 'failed', 'BATCH_ABORTED')] });
  b.events[2]!.value = answer(atomic);
  snapshot.transfers[I0] = transfer(I0, 'failed', '100', B, 'ACCOUNT_NOT_FOUND');
  snapshot.transfers[I1] = transfer(I1, 'failed', '200', B, 'BATCH_ABORTED');
  snapshot.statements[A]!.splice(1, 1);
  snapshot.statements[B]!.splice(1, 1);
  const found = failing(runChecks(b.events, snapshot));
  expect(found['batches all or none, exactly once']).toEqual([`batch ${BA} (op 1, atomic) failed: 1 of 2 items have statement lines (e.g. #1 failed)`]);
  expect(found['statements consistent']).toEqual(expect.arrayContaining([`transfer ${I1} (failed): 1 statement lines "${A} debit 200", expected 0`]));
});

it('finds a batch item posted twice', () => {
  const { b, snapshot } = clean();
  snapshot.statements[A]!.push(line('e3', J0, 'debit', '50', '600'));
  snapshot.statements[B]!.push(line('e3', J0, 'credit', '50', '1400'));
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([
    `transfer ${J0} (posted): 2 statement lines "${A} debit 50", expected 1`,
    `transfer ${J0} (posted): 2 statement lines "${B} credit 50", expected 1`,
  ]);
});

it('finds a batch key answered with two batches, an item told posted that ended failed, and an item to a missing account posted', () => {
  const { b, snapshot, independent } = clean();
  const other = 'b2000000-0000-4000-8000-000000000003';
  b.op(2, 'batch', { group: 'g1', mode: 'independent', items: [] }, 'ok', { ...answer(independent), batchId: other, items: [] }, 'kb2');
  snapshot.batches![other] = { ...independent, id: other, items: [], itemCount: 0, postedCount: 0, failedCount: 0 };
  snapshot.transfers[J1] = transfer(J1, 'posted', '5', MISSING);
  independent.items[1] = itemOf(J1, 1, 'posted');
  const found = failing(runChecks(b.events, snapshot));
  expect(found['one batch per key']).toEqual([`batch key kb2 was answered with batches ${BI} and ${other}`]);
  expect(found['batches all or none, exactly once']).toEqual(expect.arrayContaining([`batch ${BI} (op 3, independent) item #1 to the missing account ${MISSING} posted`]));
  expect(found['answers stick']).toEqual([expect.stringContaining(`was told failed ACCOUNT_NOT_FOUND for item ${J1}, which ended posted`)]);
});

it('gives the Go checker each item of a batch as a transfer op in the batch window, a failed atomic batch as BATCH_ABORTED items', () => {
  const { b, atomic } = clean();
  Object.assign(atomic, { status: 'failed', postedCount: 0, failedCount: 2, failureCode: 'INSUFFICIENT_FUNDS', failureIndex: 1, items: [itemOf(I0, 0, 'failed', 'BATCH_ABORTED'), itemOf(I1, 1, 'failed', 'INSUFFICIENT_FUNDS')] });
  b.events[2]!.value = answer(atomic);
  const info = b.op(2, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '7' }, 'info', { error: 'timeout' }, 'kt');
  b.add('resolve', 2, 'transfer', { transferId: J1, status: 'posted', failureCode: null, ref: info });
  const go = goCheckerHistory(b.events);
  const items = go.filter((e) => e.f === 'transfer' && String(e.process).includes('/b'));
  // Two atomic items, invoke and ok each; one independent item (the one to the missing account left out).
  expect(items.map((e) => [e.type, e.process, e.time, e.key])).toEqual([
    ['invoke', '0/b1/0', 1000, 'kb1#0'],
    ['invoke', '0/b1/1', 1000, 'kb1#1'],
    ['ok', '0/b1/0', 2000, 'kb1#0'],
    ['ok', '0/b1/1', 2000, 'kb1#1'],
    ['invoke', '1/b3/0', 3000, 'kb2#0'],
    ['ok', '1/b3/0', 4000, 'kb2#0'],
  ]);
  expect(items.filter((e) => e.type === 'ok').map((e) => e.value.failureCode)).toEqual(['BATCH_ABORTED', 'BATCH_ABORTED', null]);
  expect(new Set(go.filter((e) => e.type === 'invoke').map((e) => e.index)).size).toBe(go.filter((e) => e.type === 'invoke').length);
  const resolve = go.find((e) => e.type === 'resolve');
  expect(go.find((e) => e.index === resolve!.value.ref)).toMatchObject({ type: 'invoke', f: 'transfer', key: 'kt' });
});
