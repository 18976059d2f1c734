/**
 * Proves the activities' edges that the workflow tests do not reach: ids are
 * derived from the workflow id (same workflow, same ids), a void of a hold
 * that was captured is refused and not retried, a void of a released hold is
 * a no-op, refusals carry their code, a status recorded twice is counted
 * once, and a hold reserved for approval expires only after the approval
 * timeout and the margin. How: the real activity factory with in-memory fakes, run in
 * MockActivityEnvironment with a chosen workflow id.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '.';
import { entryIdFor, holdIdFor } from './ids';
import { createLogger } from '../lib/logger';
import { firstOf } from '../lib/assert';
import { FailureTypes, NON_RETRYABLE_ERROR_TYPES } from '../lib/workflow-contract';
import { account } from '../test/workflows/support/fakes';
import { DAY_MS, FROM_ACCOUNT_ID, TO_ACCOUNT_ID, metricValue, newFakes, type Fakes } from '../test/workflows/support/harness';

const TRANSFER_ID = '33333333-3333-4333-8333-333333333333';
const WORKFLOW_ID = `transfer-${TRANSFER_ID}`;
const ACCOUNTS = { transferId: TRANSFER_ID, fromAccountId: FROM_ACCOUNT_ID, toAccountId: TO_ACCOUNT_ID, currency: 'USD' };
const RESERVE = { ...ACCOUNTS, amountMinor: '5', approvalTimeoutMs: DAY_MS };

function setup(fakes: Fakes = newFakes()) {
  const activities = createActivities({ ...fakes, logger: createLogger('test', 'silent') });
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: WORKFLOW_ID, runId: 'run-1' } });
  return { fakes, activities, env };
}

describe('ids', () => {
  it('when a hold is reserved and captured twice in one workflow, then both attempts send the same ids and bodies', async () => {
    const { fakes, activities, env } = setup();

    const reserved = [await env.run(activities.reserveHold, RESERVE), await env.run(activities.reserveHold, RESERVE)];
    const captured = [
      await env.run(activities.captureHold, { transferId: TRANSFER_ID, description: 'd' }),
      await env.run(activities.captureHold, { transferId: TRANSFER_ID, description: 'd' }),
    ];

    expect(reserved).toEqual([{ holdId: holdIdFor(WORKFLOW_ID) }, { holdId: holdIdFor(WORKFLOW_ID) }]);
    expect(captured).toEqual([
      { holdId: holdIdFor(WORKFLOW_ID), entryId: entryIdFor(WORKFLOW_ID) },
      { holdId: holdIdFor(WORKFLOW_ID), entryId: entryIdFor(WORKFLOW_ID) },
    ]);
    expect(fakes.ledger.calls.map((c) => [c.op, c.id])).toEqual([
      ['reserveHold', holdIdFor(WORKFLOW_ID)],
      ['reserveHold', holdIdFor(WORKFLOW_ID)],
      ['captureHold', holdIdFor(WORKFLOW_ID)],
      ['captureHold', holdIdFor(WORKFLOW_ID)],
    ]);
    expect(new Set(fakes.ledger.calls.map((c) => JSON.stringify([c.op, c.id, c.body]))).size).toBe(2);
    expect(fakes.ledger.entries.size).toBe(1);
  });

  it('when two workflows derive ids, then they differ', () => {
    expect(holdIdFor('transfer-a')).not.toBe(holdIdFor('transfer-b'));
    expect(holdIdFor('transfer-a')).not.toBe(entryIdFor('transfer-a'));
    expect(holdIdFor('transfer-a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('reserveHold expiry', () => {
  const HOUR_MS = 3_600_000;

  it('when the workflow passes its approval timeout, then the hold expires after that timeout and the margin, never before', async () => {
    const fakes = newFakes();
    const activities = createActivities({ ...fakes, logger: createLogger('test', 'silent'), holdExpiryMarginMs: 24 * HOUR_MS });
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: WORKFLOW_ID, runId: 'run-1' } });
    const before = Date.now();

    await env.run(activities.reserveHold, { ...ACCOUNTS, amountMinor: '5', approvalTimeoutMs: 48 * HOUR_MS });

    const expiresAt = Date.parse((firstOf(fakes.ledger.callsOf('reserveHold'), 'the reserveHold calls').body as { expiresAt: string }).expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 72 * HOUR_MS);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 72 * HOUR_MS);
  });

  it('when the worker is given no expiry margin, then the hold gets no expiry', async () => {
    const { fakes, activities, env } = setup();

    await env.run(activities.reserveHold, RESERVE);

    expect(fakes.ledger.callsOf('reserveHold')[0]?.body).toMatchObject({ expiresAt: null });
  });
});

describe('reserveHold refusals', () => {
  it('when the ledger refuses the reserve (the source account frozen), then the refusal is a TransferRefusedError with code ACCOUNT_FROZEN, which is not retried', async () => {
    const fakes = newFakes();
    fakes.accounts.add(account(FROM_ACCOUNT_ID, { status: 'frozen' }));
    const { activities, env } = setup(fakes);

    const error = await env.run(activities.reserveHold, RESERVE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: FailureTypes.refused, details: [{ code: 'ACCOUNT_FROZEN' }] });
    expect(NON_RETRYABLE_ERROR_TYPES).toContain((error as ApplicationFailure).type);
  });

  it('when the ledger is down, then the error is transient (its type is retried)', async () => {
    const fakes = newFakes();
    fakes.ledger.failTransiently('reserveHold', 2);
    const { activities, env } = setup(fakes);

    const error = await env.run(activities.reserveHold, RESERVE).catch((e: unknown) => e);

    expect((error as Error).name).toBe('TransientServiceError');
    expect(NON_RETRYABLE_ERROR_TYPES).not.toContain((error as Error).name);
  });
});

describe('voidHold', () => {
  it('when the hold was captured, then the void is refused with HoldAlreadyCapturedError, which is not retried', async () => {
    const { activities, env } = setup();
    await env.run(activities.reserveHold, RESERVE);
    await env.run(activities.captureHold, { transferId: TRANSFER_ID, description: 'd' });

    const error = await env.run(activities.voidHold, { transferId: TRANSFER_ID, reason: 'r' }).catch((e: unknown) => e);

    expect(error).toMatchObject({ type: FailureTypes.holdAlreadyCaptured });
    expect(NON_RETRYABLE_ERROR_TYPES).toContain(FailureTypes.holdAlreadyCaptured);
  });

  it('when the ledger says the hold is no longer reserved because it expired, then the void succeeds as a no-op', async () => {
    const { fakes, activities, env } = setup();
    await env.run(activities.reserveHold, RESERVE);
    const holdId = holdIdFor(WORKFLOW_ID);
    fakes.ledger.holds.set(holdId, { ...fakes.ledger.holds.get(holdId)!, status: 'expired' });
    fakes.ledger.refuse('voidHold', 'HOLD_NOT_RESERVED');

    await expect(env.run(activities.voidHold, { transferId: TRANSFER_ID, reason: 'r' })).resolves.toBeUndefined();
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold', 'getHold']);
  });

  it('when no hold was ever reserved, then the void succeeds as a no-op', async () => {
    const { activities, env } = setup();

    await expect(env.run(activities.voidHold, { transferId: TRANSFER_ID, reason: 'r' })).resolves.toBeUndefined();
  });
});

describe('recordTransferStatus', () => {
  it('when the same terminal status is recorded twice (a retry), then the metrics count it once', async () => {
    const { fakes, activities, env } = setup();
    const record = { transferId: TRANSFER_ID, status: 'failed' as const, failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'm', compensated: true };

    await env.run(activities.recordTransferStatus, record);
    await env.run(activities.recordTransferStatus, record);

    expect(fakes.transfers.calls.map((c) => c.applied)).toEqual([true, false]);
    expect(await metricValue(fakes.registry, 'transfers_failed_total', { reason: 'INSUFFICIENT_FUNDS' })).toBe(1);
    expect(await metricValue(fakes.registry, 'transfers_compensated_total')).toBe(1);
  });
});
