/**
 * The history checks on synthetic histories: a clean history of one group
 * passes every check, and each kind of anomaly the checks exist for (a key
 * answered twice, a lost or duplicated entry, a balance chain out of order, a
 * read of a balance that never was or that went back, an answer contradicted
 * later, an op left indeterminate, a reconciliation mismatch) makes its check
 * fail and name the culprit. How: a small builder writes events as the
 * recorder would and a final snapshot to match.
 */
import { required } from '../../lib/assert';
import { runChecks, type Check } from './checks';
import type { FinalSnapshot, FinalTransfer, HistoryEvent, StatementItem } from './history';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const FA = 'fa000000-0000-4000-8000-000000000001';
const FB = 'fb000000-0000-4000-8000-000000000002';
const T1 = '11111111-0000-4000-8000-000000000001';
const T2 = '22222222-0000-4000-8000-000000000002';

class Builder {
  events: HistoryEvent[] = [];
  constructor() {
    this.add('setup', 'setup', undefined, {
      approvalThresholdMinor: '1000000',
      groups: { g1: { accounts: { [A]: account(FA), [B]: account(FB) } } },
    });
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
const item = (entryId: string, transferId: string, direction: 'debit' | 'credit', amountMinor: string, balanceAfterMinor: string): StatementItem => ({
  entryId,
  transferId,
  postedAt: '2026-12-04T00:00:00.000Z',
  direction,
  amountMinor,
  balanceAfterMinor,
});
const transfer = (id: string, status: string, amountMinor = '100', failureCode: string | null = null): FinalTransfer => ({
  id,
  fromAccountId: A,
  toAccountId: B,
  amountMinor,
  status,
  failureCode,
  reversalStatus: null,
});

/** One posted transfer of 100 from A to B, one refused of 5000, a balance read and a statement read of B. */
const statementOf = (snapshot: FinalSnapshot, account: string): StatementItem[] => required(snapshot.statements[account], `the statement of ${account}`);

function clean(): { b: Builder; snapshot: FinalSnapshot } {
  const b = new Builder();
  b.op(0, 'balance', { group: 'g1', account: B }, 'ok', { postedMinor: '1000', pendingMinor: '0', availableMinor: '1000' });
  b.op(0, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '100' }, 'ok', { transferId: T1, status: 'posted', failureCode: null }, 'k1');
  b.op(1, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '5000' }, 'ok', { transferId: T2, status: 'failed', failureCode: 'INSUFFICIENT_FUNDS' }, 'k2');
  b.op(0, 'balance', { group: 'g1', account: B }, 'ok', { postedMinor: '1100', pendingMinor: '0', availableMinor: '1100' });
  b.op(1, 'statement', { group: 'g1', account: B }, 'ok', { items: [item('eB0', FB, 'credit', '1000', '1000')] });
  const snapshot: FinalSnapshot = {
    statements: {
      [A]: [item('eA0', FA, 'credit', '1000', '1000'), item('e1', T1, 'debit', '100', '900')],
      [B]: [item('eB0', FB, 'credit', '1000', '1000'), item('e1', T1, 'credit', '100', '1100')],
    },
    transfers: { [T1]: transfer(T1, 'posted'), [T2]: transfer(T2, 'failed', '5000', 'INSUFFICIENT_FUNDS') },
    balances: {
      [A]: { postedMinor: '900', pendingMinor: '0', availableMinor: '900' },
      [B]: { postedMinor: '1100', pendingMinor: '0', availableMinor: '1100' },
    },
    reconciliation: { id: 'r1', status: 'completed', mismatches: 0, detail: '' },
  };
  return { b, snapshot };
}

const failing = (checks: Check[]) => Object.fromEntries(checks.filter((c) => c.violations.length > 0).map((c) => [c.name, c.violations]));

it('passes a clean history', () => {
  const { b, snapshot } = clean();
  expect(failing(runChecks(b.events, snapshot))).toEqual({});
});

it('finds a key answered with two transfers, and the extra transfer named by no op', () => {
  const { b, snapshot } = clean();
  const T3 = '33333333-0000-4000-8000-000000000003';
  b.op(2, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '100' }, 'ok', { transferId: T3, status: 'failed', failureCode: 'INSUFFICIENT_FUNDS' }, 'k1');
  snapshot.transfers[T3] = transfer(T3, 'failed', '100', 'INSUFFICIENT_FUNDS');
  const found = failing(runChecks(b.events, snapshot));
  expect(found['one transfer per key']).toEqual([expect.stringContaining(`key k1 was answered with ${T1}`)]);
});

it('finds a transfer created by no op (a duplicate a client never heard of) and one left pending', () => {
  const { b, snapshot } = clean();
  const T3 = '33333333-0000-4000-8000-000000000003';
  snapshot.transfers[T3] = transfer(T3, 'pending');
  const found = failing(runChecks(b.events, snapshot));
  expect(found['every transfer final and accounted for']).toEqual([`transfer ${T3} is still pending after settling`, expect.stringContaining(`transfer ${T3} (100 from`)]);
});

it('finds an indeterminate op never resolved, and accepts it once resolved', () => {
  const { b, snapshot } = clean();
  const at = b.op(3, 'cancel', { group: 'g1', transferId: T2 }, 'info', { error: 'timeout' });
  expect(failing(runChecks(b.events, snapshot))['every transfer final and accounted for']).toEqual([`op ${at} (cancel) stayed indeterminate: never resolved`]);
  b.add('resolve', 3, 'cancel', { status: 'failed', failureCode: 'INSUFFICIENT_FUNDS', ref: at });
  expect(failing(runChecks(b.events, snapshot))).toEqual({});
});

it('finds an answer contradicted later: told posted, ended failed', () => {
  const { b, snapshot } = clean();
  snapshot.transfers[T1] = transfer(T1, 'failed', '100', 'WORKFLOW_TERMINATED');
  statementOf(snapshot, A).pop();
  statementOf(snapshot, B).pop();
  b.events.pop();
  b.events.pop();
  b.events.pop();
  b.events.pop();
  const found = failing(runChecks(b.events, snapshot));
  expect(found['answers stick']).toEqual([expect.stringContaining(`was told posted for transfer ${T1}, which ended failed WORKFLOW_TERMINATED`)]);
});

it('finds a lost entry and a duplicated entry of a posted transfer', () => {
  const { b, snapshot } = clean();
  statementOf(snapshot, A).pop();
  statementOf(snapshot, B).push(item('e1b', T1, 'credit', '100', '1200'));
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([
    `transfer ${T1} (posted): 0 statement lines "${A} debit 100", expected 1`,
    `transfer ${T1} (posted): 2 statement lines "${B} credit 100", expected 1`,
  ]);
});

it('finds entries of an unknown transfer and entries of a transfer that failed', () => {
  const { b, snapshot } = clean();
  statementOf(snapshot, A).push(item('e9', 'ffffffff-0000-4000-8000-00000000000f', 'debit', '50', '850'));
  statementOf(snapshot, B).push(item('e2', T2, 'credit', '5000', '6100'));
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([
    `transfer ${T2} (failed): 1 statement lines "${B} credit 5000", expected 0`,
    `statement lines of unknown transfer ffffffff-0000-4000-8000-00000000000f: ${A} debit 50`,
  ]);
});

it('finds a reversed transfer that does not net to zero', () => {
  const { b, snapshot } = clean();
  snapshot.transfers[T1] = transfer(T1, 'reversed');
  statementOf(snapshot, A).push(item('r1', T1, 'credit', '100', '1000'));
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([`transfer ${T1} (reversed): 0 statement lines "${B} debit 100", expected 1`]);
});

it('finds a statement out of order: a balanceAfter that is not the previous one plus or minus the entry', () => {
  const { b, snapshot } = clean();
  snapshot.statements[A] = [item('eA0', FA, 'credit', '1000', '1000'), item('e5', T1, 'debit', '100', '1000')];
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([`account ${A} line 1 (entry e5, transfer ${T1}): balanceAfter 1000, but 1000 - 100 = 900`]);
});

it('finds a balance below the credit limit and a statement that does not open at the opening balance', () => {
  const { b, snapshot } = clean();
  snapshot.statements[A] = [item('eA0', FA, 'credit', '50', '50'), item('e1', T1, 'debit', '100', '-50')];
  const found = failing(runChecks(b.events, snapshot));
  expect(found['statements consistent']).toEqual([
    `account ${A}: the statement does not open with its funding entry at 1000 (first: ${FA} at 50)`,
    `account ${A} line 1 (entry e1): balanceAfter -50 below the credit limit -0`,
  ]);
});

it('finds a balance read the account never had', () => {
  const { b, snapshot } = clean();
  const at = b.op(4, 'balance', { group: 'g1', account: A }, 'ok', { postedMinor: '950', pendingMinor: '0', availableMinor: '950' });
  expect(failing(runChecks(b.events, snapshot))['balance reads real and monotonic']).toEqual([`op ${at} (process 4): account ${A} read posted 950, a balance it never had`]);
});

it('finds one reader going back in time', () => {
  const { b, snapshot } = clean();
  const at = b.op(0, 'balance', { group: 'g1', account: B }, 'ok', { postedMinor: '1000', pendingMinor: '0', availableMinor: '1000' });
  expect(failing(runChecks(b.events, snapshot))['balance reads real and monotonic']).toEqual([
    `op ${at} (process 0): account ${B} read posted 1000 (statement line 0) after a read at line 1: it went back`,
  ]);
});

it('lets two readers see different moments, and one reader see a value that repeats later', () => {
  const { b, snapshot } = clean();
  b.op(5, 'balance', { group: 'g1', account: B }, 'ok', { postedMinor: '1000', pendingMinor: '0', availableMinor: '1000' });
  expect(failing(runChecks(b.events, snapshot))).toEqual({});
});

it('finds a statement read that is not a prefix of the final statement', () => {
  const { b, snapshot } = clean();
  const at = b.op(1, 'statement', { group: 'g1', account: A }, 'ok', { items: [item('eA0', FA, 'credit', '1000', '1000'), item('e1', T1, 'debit', '100', '950')] });
  expect(failing(runChecks(b.events, snapshot))['statement reads are prefixes of the final statement']).toEqual([
    `op ${at}: account ${A} statement line 1 read as entry e1 at 950, finally entry e1 at 900`,
  ]);
});

it('fails on reconciliation mismatches', () => {
  const { b, snapshot } = clean();
  snapshot.reconciliation = { id: 'r2', status: 'completed', mismatches: 2, detail: 'readModelBalances 2' };
  expect(failing(runChecks(b.events, snapshot))['reconciliation reports no mismatch']).toEqual(['reconciliation r2 completed with 2 mismatches: readModelBalances 2']);
});

it('finds funds left held by a transfer that is no longer awaiting approval, and a posted balance off its statement', () => {
  const { b, snapshot } = clean();
  snapshot.balances[A] = { postedMinor: '900', pendingMinor: '5000', availableMinor: '-4100' };
  snapshot.balances[B] = { postedMinor: '1000', pendingMinor: '0', availableMinor: '1000' };
  expect(failing(runChecks(b.events, snapshot))['no money stays locked']).toEqual([
    `account ${A}: pending 5000 once settled, but its transfers awaiting approval hold 0`,
    `account ${B}: posted 1000 once settled, but its statement ends at 1100`,
  ]);
});

it('accepts funds held by a transfer still awaiting approval', () => {
  const { b, snapshot } = clean();
  const T3 = '33333333-0000-4000-8000-000000000003';
  b.op(2, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '300' }, 'ok', { transferId: T3, status: 'awaiting_approval', failureCode: null }, 'k3');
  snapshot.transfers[T3] = transfer(T3, 'awaiting_approval', '300');
  snapshot.balances[A] = { postedMinor: '900', pendingMinor: '300', availableMinor: '600' };
  expect(failing(runChecks(b.events, snapshot))).toEqual({});
});

it('finds a cancel of a terminated transfer refused with a 409', () => {
  const { b, snapshot } = clean();
  const T3 = '33333333-0000-4000-8000-000000000003';
  b.op(2, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '300' }, 'ok', { transferId: T3, status: 'awaiting_approval', failureCode: null }, 'k3');
  const terminate = b.add('invoke', 'nemesis', 'terminate', { group: 'g1', transferId: T3 });
  b.add('info', 'nemesis', 'terminate', { terminated: true });
  const cancel = b.op(3, 'cancel', { group: 'g1', transferId: T3 }, 'fail', { error: '409 INVALID_STATE' });
  b.add('resolve', 'nemesis', 'terminate', { status: 'failed', failureCode: 'WORKFLOW_TERMINATED', ref: terminate });
  snapshot.transfers[T3] = transfer(T3, 'failed', '300', 'WORKFLOW_TERMINATED');
  expect(failing(runChecks(b.events, snapshot))).toEqual({
    'terminated transfers answer their final state': [`op ${cancel} (cancel of terminated transfer ${T3}) was refused: 409 INVALID_STATE`],
  });
});

it('finds a terminated transfer that never ended failed', () => {
  const { b, snapshot } = clean();
  const T3 = '33333333-0000-4000-8000-000000000003';
  b.op(2, 'transfer', { group: 'g1', from: A, to: B, amountMinor: '300' }, 'ok', { transferId: T3, status: 'awaiting_approval', failureCode: null }, 'k3');
  const terminate = b.add('invoke', 'nemesis', 'terminate', { group: 'g1', transferId: T3 });
  b.add('info', 'nemesis', 'terminate', { terminated: true });
  b.add('resolve', 'nemesis', 'terminate', { status: 'awaiting_approval', failureCode: null, ref: terminate });
  snapshot.transfers[T3] = transfer(T3, 'awaiting_approval', '300');
  snapshot.balances[A] = { postedMinor: '900', pendingMinor: '300', availableMinor: '600' };
  expect(failing(runChecks(b.events, snapshot))['every transfer final and accounted for']).toEqual([
    `transfer ${T3}, terminated by the nemesis, ended awaiting_approval, not failed WORKFLOW_TERMINATED`,
  ]);
});
