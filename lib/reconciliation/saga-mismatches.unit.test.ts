/**
 * Proves how the checks of money and sagas outside their transfer name a
 * disagreement, case by case at their edges: which entries belong to no
 * transfer, when a reversal and its transfer disagree (both directions, the
 * id, the net per account), when an unfinished transfer's workflow can no
 * longer finish it, and when a reserved hold has nothing left to release it.
 * How: the pure functions with plain values; no I/O.
 */
import {
  entryTransferMismatch,
  reservedHoldMismatch,
  transferReversalMismatch,
  transferWorkflowMismatch,
  type ReservedHold,
  type ReversalSnapshot,
} from './saga-mismatches';

describe('entryTransferMismatch', () => {
  it.each([
    ['names a known transfer', 't-1', null, true, null],
    ['is a reversal whose reversed entry names a known transfer', 't-1', 'e-1', true, null],
    ['names no transfer', null, null, false, 'no_transfer'],
    ['is a reversal of an entry that names no transfer', null, 'e-orphan', false, 'no_transfer'],
    ['names a transfer the table lacks', 't-ghost', null, false, 'unknown_transfer'],
  ])('when the entry %s (transfer %s, reverses %s, transfer known: %s), then %s', (_what, transferId, reversesEntryId, known, kind) => {
    const mismatch = entryTransferMismatch({ entryId: 'e-9', transferId, reversesEntryId }, known);

    expect(mismatch?.kind ?? null).toBe(kind);
    if (mismatch) expect(mismatch).toEqual({ subjectId: 'e-9', kind, detail: { transferId, reversesEntryId } });
  });
});

describe('transferReversalMismatch', () => {
  const row = (status: ReversalSnapshot['status'], reversalEntryId: string | null = null, reversalFailureCode: string | null = null): ReversalSnapshot => ({
    status,
    reversalEntryId,
    reversalFailureCode,
  });
  const kindOf = (transfer: ReversalSnapshot | null, reversalEntryIds: string[] | null, unbalanced: Array<{ accountId: string; net: string }> = []) =>
    transferReversalMismatch('t-1', transfer, reversalEntryIds === null ? null : { reversalEntryIds, unbalancedAccounts: unbalanced })?.kind ?? null;

  it('when a reversed transfer has its reversing entry and nets to zero, then no mismatch', () => {
    expect(kindOf(row('reversed', 'r-1'), ['r-1'])).toBeNull();
  });

  it('when a reversed transfer names no reversing entry but the ledger holds one, then no mismatch (rows of before the id was kept)', () => {
    expect(kindOf(row('reversed', null), ['r-1'])).toBeNull();
  });

  it('when a posted transfer has no reversing entry, then no mismatch, whatever it nets to', () => {
    expect(kindOf(row('posted'), [], [{ accountId: 'a', net: '5' }])).toBeNull();
    expect(kindOf(row('posted'), null)).toBeNull();
  });

  it('when a reversed transfer has no reversing entry in the ledger, then reversal_entry_missing', () => {
    expect(kindOf(row('reversed', 'r-1'), [])).toBe('reversal_entry_missing');
    expect(kindOf(row('reversed', 'r-1'), null)).toBe('reversal_entry_missing');
  });

  it('when the ledger holds a reversing entry and the row says the reversal was refused, then reversal_not_recorded with the refusal', () => {
    const mismatch = transferReversalMismatch('t-1', row('posted', null, 'ACCOUNT_FROZEN'), { reversalEntryIds: ['r-1'], unbalancedAccounts: [] });

    expect(mismatch).toEqual({
      subjectId: 't-1',
      kind: 'reversal_not_recorded',
      detail: { status: 'posted', reversalEntryId: null, reversalFailureCode: 'ACCOUNT_FROZEN', ledgerReversalEntryIds: ['r-1'], unbalancedAccounts: [] },
    });
  });

  it('when a reversed transfer names another reversing entry than the ledger holds, then reversal_entry_id_differs', () => {
    expect(kindOf(row('reversed', 'r-2'), ['r-1'])).toBe('reversal_entry_id_differs');
  });

  it('when a reversed transfer\'s entries leave an account off zero, then not_net_zero listing each account', () => {
    const unbalanced = [
      { accountId: 'a', net: '1' },
      { accountId: 'b', net: '-1' },
    ];

    const mismatch = transferReversalMismatch('t-1', row('reversed', 'r-1'), { reversalEntryIds: ['r-1'], unbalancedAccounts: unbalanced });

    expect(mismatch?.kind).toBe('not_net_zero');
    expect(mismatch?.detail.unbalancedAccounts).toEqual(unbalanced);
  });

  it('when the transfers table lacks the transfer, then no mismatch here (the entry checks name its entries)', () => {
    expect(kindOf(null, ['r-1'])).toBeNull();
  });
});

describe('transferWorkflowMismatch', () => {
  it.each(['TERMINATED', 'TIMED_OUT', 'FAILED', 'COMPLETED', 'CANCELED'])('when an awaiting transfer\'s workflow is %s, then workflow_closed naming it', (state) => {
    expect(transferWorkflowMismatch('t-1', 'awaiting_approval', state)).toEqual({
      subjectId: 't-1',
      kind: 'workflow_closed',
      detail: { status: 'awaiting_approval', workflowStatus: state },
    });
  });

  it('when a pending transfer has no workflow in Temporal, then workflow_not_found', () => {
    expect(transferWorkflowMismatch('t-1', 'pending', 'NOT_FOUND')?.kind).toBe('workflow_not_found');
  });

  it('when the workflow runs, or the transfer is final or unknown, then no mismatch', () => {
    expect(transferWorkflowMismatch('t-1', 'pending', 'RUNNING')).toBeNull();
    expect(transferWorkflowMismatch('t-1', 'posted', 'COMPLETED')).toBeNull();
    expect(transferWorkflowMismatch('t-1', 'expired', 'NOT_FOUND')).toBeNull();
    expect(transferWorkflowMismatch('t-1', null, 'TERMINATED')).toBeNull();
  });
});

describe('reservedHoldMismatch', () => {
  const hold: ReservedHold = { holdId: 'h-1', transferId: 't-1', fromAccountId: 'a', amountMinor: '250', currency: 'EUR' };

  it.each([
    ['unfinished with its workflow running', 'awaiting_approval', 'RUNNING', null],
    ['pending with its workflow running', 'pending', 'RUNNING', null],
    ['posted', 'posted', null, 'transfer_final'],
    ['cancelled', 'cancelled', null, 'transfer_final'],
    ['unknown', null, null, 'unknown_transfer'],
    ['unfinished with its workflow terminated', 'awaiting_approval', 'TERMINATED', 'workflow_closed'],
    ['unfinished with no workflow', 'pending', 'NOT_FOUND', 'workflow_not_found'],
  ] as const)('when its transfer is %s (%s, workflow %s), then %s', (_what, status, workflow, kind) => {
    const mismatch = reservedHoldMismatch(hold, status, workflow);

    expect(mismatch?.kind ?? null).toBe(kind);
    if (mismatch) expect(mismatch.detail).toEqual({ transferId: 't-1', fromAccountId: 'a', amount: '250', currency: 'EUR', status, workflowStatus: workflow });
  });
});
