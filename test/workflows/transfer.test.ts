/**
 * Proves the transfer saga's logic: every path (posted, each failure code,
 * approval, reject, cancel, approval timeout, capture refused, transient
 * failures, duplicate start) ends in the right status with the right ledger
 * calls, and reversal (posted, refused and recorded so, asked again). How: the real workflows and the real activity factory
 * run on the time-skipping test server (a day passes in milliseconds) with the
 * accounts service, the ledger and the transfers table replaced by in-memory
 * fakes; tests assert on the recorded status calls, the ledger calls, the
 * `transferState` query and the metrics.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { entryIdFor, holdIdFor, reversalEntryIdFor } from '../../activities/ids';
import { ConflictError } from '../../lib/clients';
import type { LedgerRefusalCode } from '../../lib/contracts/ledger';
import {
  REVERSE_WORKFLOW_ID_REUSE_POLICY,
  approveSignal,
  cancelSignal,
  rejectSignal,
  reverseTransferWorkflowId,
  transferStartSearchAttributes,
  transferStateQuery,
  transferWorkflowId,
  type TransferWorkflowInput,
} from '../../lib/workflow-contract';
import { reverseTransferWorkflow, transferWorkflow } from '../../workflows';
import { account } from './support/fakes';
import {
  APPROVAL_THRESHOLD_MINOR,
  APPROVER,
  DAY_MS,
  FROM_ACCOUNT_ID,
  TO_ACCOUNT_ID,
  bundleWorkflows,
  createTransferTestEnv,
  metricValue,
  newFakes,
  startTransfer,
  transferInput,
  waitForStatus,
  withWorker,
  type Fakes,
} from './support/harness';

const EventType = temporal.api.enums.v1.EventType;

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTransferTestEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

const run = <T>(fakes: Fakes, work: (taskQueue: string) => Promise<T>) => withWorker(env, workflowBundle, fakes, work);

describe('transfer workflow: straight through', () => {
  it('when both accounts are valid and funds suffice, then the hold is captured and the transfer is posted', async () => {
    const fakes = newFakes();
    const input = transferInput();
    const workflowId = transferWorkflowId(input.transferId);

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result).toEqual({ status: 'posted', failureCode: null, failureMessage: null, entryId: entryIdFor(workflowId), holdId: holdIdFor(workflowId) });
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['posted']);
    expect(fakes.transfers.calls[0]?.update).toMatchObject({ status: 'posted', entryId: entryIdFor(workflowId) });
    // Below the threshold, one ledger call reserves and captures.
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveAndCaptureHold']);
    expect(fakes.ledger.callsOf('reserveAndCaptureHold')[0]).toMatchObject({
      id: holdIdFor(workflowId),
      body: { amountMinor: '1250', currency: 'USD', fromAccountId: FROM_ACCOUNT_ID, toAccountId: TO_ACCOUNT_ID, entryId: entryIdFor(workflowId), description: 'rent' },
    });
    expect(fakes.ledger.holds.get(holdIdFor(workflowId))?.status).toBe('captured');
    expect(await metricValue(fakes.registry, 'transfers_completed_total')).toBe(1);
    expect(await metricValue(fakes.registry, 'transfer_latency_seconds', { status: 'posted' })).toBe(1);
  });

  it('when the amount is below the threshold, then the whole transfer takes one workflow task, two local steps and one search-attribute upsert', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const history = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await handle.result();
      return handle.fetchHistory();
    });

    const events = history.events ?? [];
    const types = events.map((e) => e.eventType);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(1);
    expect(types.filter((t) => t === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toHaveLength(0);
    // reserve-and-capture and the status record, each a local activity marker; no patch marker.
    const markers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).map((e) => e.markerRecordedEventAttributes?.markerName);
    expect(markers).toEqual(['core_local_activity', 'core_local_activity']);
    // Only the final status: the start request carried the rest.
    const upserts = events.filter((e) => e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    expect(upserts.map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}))).toEqual([['TransferStatus']]);
    const started = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
    expect(Object.keys(started).sort()).toEqual(['AmountMinor', 'FromAccountId', 'ToAccountId', 'TransferId', 'TransferStatus']);
  });

  it('when the workflow has closed, then the transferState query still answers its final state', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const state = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await handle.result();
      return handle.query(transferStateQuery);
    });

    expect(state).toMatchObject({ status: 'posted', entryId: entryIdFor(transferWorkflowId(input.transferId)) });
  });
});

describe('transfer workflow: refusals', () => {
  const accountCases: Array<[string, string, (f: Fakes) => void]> = [
    ['the source account does not exist', 'ACCOUNT_NOT_FOUND', (f) => f.accounts.accounts.delete(FROM_ACCOUNT_ID)],
    ['the destination account does not exist', 'ACCOUNT_NOT_FOUND', (f) => f.accounts.accounts.delete(TO_ACCOUNT_ID)],
    ['the source account is frozen', 'ACCOUNT_FROZEN', (f) => f.accounts.add(account(FROM_ACCOUNT_ID, { status: 'frozen' }))],
    ['the destination account is frozen', 'ACCOUNT_FROZEN', (f) => f.accounts.add(account(TO_ACCOUNT_ID, { status: 'frozen' }))],
    ['the source account holds another currency', 'CURRENCY_MISMATCH', (f) => f.accounts.add(account(FROM_ACCOUNT_ID, { currency: 'JPY' }))],
    ['the destination account holds another currency', 'CURRENCY_MISMATCH', (f) => f.accounts.add(account(TO_ACCOUNT_ID, { currency: 'EUR' }))],
  ];

  it.each(accountCases)('when %s, then the ledger refuses the hold and the transfer fails with %s, nothing reserved', async (_case, code, arrange) => {
    const fakes = newFakes();
    arrange(fakes);
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result).toMatchObject({ status: 'failed', failureCode: code, holdId: null, entryId: null });
    expect(fakes.transfers.calls.map((c) => c.update)).toEqual([expect.objectContaining({ status: 'failed', failureCode: code })]);
    // The accounts are the ledger's to check, at reserve: the saga asks nobody else.
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveAndCaptureHold', 'voidHold']);
    expect(fakes.ledger.holds.size).toBe(0);
    expect(fakes.accounts.calls).toEqual([FROM_ACCOUNT_ID, TO_ACCOUNT_ID]);
    expect(await metricValue(fakes.registry, 'transfers_failed_total', { reason: code })).toBe(1);
  });

  const reserveCases: LedgerRefusalCode[] = ['INSUFFICIENT_FUNDS', 'ACCOUNT_FROZEN', 'CURRENCY_MISMATCH'];

  it.each(reserveCases)('when the ledger refuses the hold with %s, then the transfer fails with that code and the (absent) hold is voided', async (code) => {
    const fakes = newFakes();
    fakes.ledger.refuse('reserveAndCaptureHold', code);
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result).toMatchObject({ status: 'failed', failureCode: code, entryId: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveAndCaptureHold', 'voidHold']);
    expect(fakes.ledger.holds.size).toBe(0);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['failed']);
  });

  it('when the ledger refuses the capture of an approved transfer (the hold expired meanwhile), then the hold is voided and the transfer fails, counted as compensated', async () => {
    const fakes = newFakes();
    fakes.ledger.refuse('captureHold', 'HOLD_NOT_RESERVED');
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });
    const holdId = holdIdFor(transferWorkflowId(input.transferId));

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(approveSignal, APPROVER);
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'failed', failureCode: 'HOLD_NOT_RESERVED', holdId, entryId: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'captureHold', 'voidHold']);
    expect(fakes.ledger.holds.get(holdId)?.status).toBe('voided');
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'failed']);
    expect(fakes.transfers.calls[1]?.update).toMatchObject({ status: 'failed', failureCode: 'HOLD_NOT_RESERVED' });
    expect(await metricValue(fakes.registry, 'transfers_compensated_total')).toBe(1);
  });

  it('when the ledger answers with a conflict (a bug, not retried), then the hold is voided and the transfer fails with INTERNAL_ERROR', async () => {
    const fakes = newFakes();
    const input = transferInput();
    fakes.ledger.reserveAndCaptureHold = async () => {
      throw new ConflictError('ledger', 'entry id reused with other content');
    };

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result).toMatchObject({ status: 'failed', failureCode: 'INTERNAL_ERROR' });
    expect(fakes.ledger.callsOf('voidHold')).toHaveLength(1);
    expect(fakes.ledger.holds.size).toBe(0);
  });
});

describe('transfer workflow: input', () => {
  // The gateway never starts one of these (lib/money's rule refuses them there too); another client could.
  const badAmounts: Array<[string, Partial<TransferWorkflowInput>]> = [
    ['an amount of "0"', { amountMinor: '0' }],
    ['an amount of 2^63', { amountMinor: '9223372036854775808' }],
    ['a threshold of 2^63', { approvalThresholdMinor: '9223372036854775808' }],
  ];

  it.each(badAmounts)('when it is started with %s, then the workflow fails with InvalidInput and touches no account', async (_case, overrides) => {
    const fakes = newFakes();
    const input = transferInput(overrides);

    const failure = await run(fakes, (taskQueue) =>
      env.client.workflow
        .execute(transferWorkflow, { taskQueue, workflowId: transferWorkflowId(input.transferId), args: [input], typedSearchAttributes: transferStartSearchAttributes(input.transferId) })
        .catch((error: unknown) => error),
    );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidInput' });
    expect(fakes.ledger.calls).toEqual([]);
  });

  it('when the threshold is "0", then every amount waits for approval', async () => {
    const fakes = newFakes();
    const input = transferInput({ approvalThresholdMinor: '0' });

    const state = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      const waiting = await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(cancelSignal, APPROVER);
      await handle.result();
      return waiting;
    });

    expect(state.status).toBe('awaiting_approval');
  });
});

describe('transfer workflow: approval', () => {
  const large = () => transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

  it('when the amount is at the threshold and it is approved, then it waits in awaiting_approval and is then posted', async () => {
    const fakes = newFakes();
    const input = large();

    const { waiting, result } = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      const waiting = await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(approveSignal, APPROVER);
      return { waiting, result: await handle.result() };
    });

    expect(waiting).toMatchObject({ status: 'awaiting_approval', holdId: holdIdFor(transferWorkflowId(input.transferId)), entryId: null });
    expect(result.status).toBe('posted');
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'posted']);
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'captureHold']);
  });

  it('when the amount is one below the threshold, then no approval is awaited', async () => {
    const fakes = newFakes();
    const input = transferInput({ amountMinor: (BigInt(APPROVAL_THRESHOLD_MINOR) - 1n).toString() });

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result.status).toBe('posted');
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['posted']);
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveAndCaptureHold']);
  });

  it('when it is rejected, then the hold is voided and the transfer is cancelled with failureCode REJECTED', async () => {
    const fakes = newFakes();
    const input = large();

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(rejectSignal, APPROVER);
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED', entryId: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'cancelled']);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
  });

  it('when it is cancelled while awaiting approval, then the hold is voided and the transfer is cancelled with no failure code', async () => {
    const fakes = newFakes();
    const input = large();

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(cancelSignal, APPROVER);
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'cancelled', failureCode: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
    expect(fakes.transfers.rows.get(input.transferId)?.failureCode).toBeNull();
  });

  it('when no decision comes for 24 hours, then the hold is voided and the transfer expires, a day later on the test clock', async () => {
    const fakes = newFakes();
    const input = large();
    const clockBeforeMs = await env.currentTimeMs();

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result).toMatchObject({ status: 'expired', entryId: null });
    expect((await env.currentTimeMs()) - clockBeforeMs).toBeGreaterThanOrEqual(DAY_MS);
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
    expect(fakes.ledger.holds.get(holdIdFor(transferWorkflowId(input.transferId)))?.status).toBe('voided');
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'expired']);
  });

  it('when the workflow is cancelled through Temporal while awaiting approval, then the hold is still voided and the transfer recorded cancelled', async () => {
    const fakes = newFakes();
    const input = large();

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      await handle.cancel();
      return handle.result();
    });

    expect(result.status).toBe('cancelled');
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'cancelled']);
  });

  it('when an approve comes after a reject, then the first decision stands', async () => {
    const fakes = newFakes();
    const input = large();

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      await handle.signal(rejectSignal, APPROVER);
      await handle.signal(approveSignal, APPROVER);
      return handle.result();
    });

    expect(result.status).toBe('cancelled');
    expect(fakes.ledger.callsOf('captureHold')).toHaveLength(0);
  });
});

describe('transfer workflow: cancel while pending', () => {
  it('when cancel arrives while the hold is being reserved and captured, then the transfer ends consistently: cancelled with no hold left, or posted with its entry', async () => {
    const fakes = newFakes();
    // The ledger fails the step once, so the transfer is still pending when the signal lands.
    fakes.ledger.failTransiently('reserveAndCaptureHold', 1);
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await handle.signal(cancelSignal, APPROVER);
      return handle.result();
    });

    // The signal may land before the reserve (cancelled) or only once the one
    // workflow task has run the capture (posted): either way the ledger agrees.
    const holds = [...fakes.ledger.holds.values()];
    if (result.status === 'cancelled') {
      expect(holds.filter((h) => h.status === 'reserved' || h.status === 'captured')).toEqual([]);
      expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['cancelled']);
    } else {
      expect(result).toMatchObject({ status: 'posted', entryId: entryIdFor(transferWorkflowId(input.transferId)) });
      expect(holds.map((h) => h.status)).toEqual(['captured']);
      expect(fakes.ledger.entries.size).toBe(1);
    }
  });

  it('when a release finds the hold already captured (a capture the workflow never saw), then the transfer is posted with that entry, not cancelled', async () => {
    const fakes = newFakes();
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });
    const workflowId = transferWorkflowId(input.transferId);

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval');
      // What an unrecorded local capture leaves behind: the ledger has the entry.
      await fakes.ledger.captureHold(holdIdFor(workflowId), { entryId: entryIdFor(workflowId), description: 'earlier run' });
      await handle.signal(rejectSignal, APPROVER);
      return handle.result();
    });

    expect(result).toMatchObject({ status: 'posted', entryId: entryIdFor(workflowId) });
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'posted']);
    expect(fakes.ledger.holds.get(holdIdFor(workflowId))?.status).toBe('captured');
  });

  const withStartSignal = (fakes: Fakes, input: ReturnType<typeof transferInput>, signal: typeof approveSignal) =>
    run(fakes, async (taskQueue) => {
      // Signal-with-start puts the signal in the very first workflow task, while the transfer is pending.
      const handle = await env.client.workflow.signalWithStart(transferWorkflow, {
        taskQueue,
        workflowId: transferWorkflowId(input.transferId),
        args: [input],
        signal,
        signalArgs: [APPROVER],
      });
      return handle.result();
    });

  it('when approve arrives while a transfer that needs approval is still pending (a retried workflow task), then it is kept and the transfer posts once it awaits approval', async () => {
    const fakes = newFakes();
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

    const result = await withStartSignal(fakes, input, approveSignal);

    expect(result.status).toBe('posted');
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'posted']);
  });

  it('when reject arrives while a transfer that needs approval is still pending, then it is kept and the transfer is cancelled once it awaits approval', async () => {
    const fakes = newFakes();
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

    const result = await withStartSignal(fakes, input, rejectSignal);

    expect(result.status).toBe('cancelled');
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
  });
});

describe('transfer workflow: transient failures and duplicates', () => {
  it('when the ledger fails transiently twice on each write of an approved transfer, then the steps are retried and the transfer posts exactly once', async () => {
    const fakes = newFakes();
    fakes.ledger.failTransiently('reserveHold', 2).failTransiently('captureHold', 2);
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

    const result = await run(fakes, async (taskQueue) => {
      const handle = await startTransfer(env, taskQueue, input);
      await waitForStatus(handle, 'awaiting_approval', 20_000);
      await handle.signal(approveSignal, APPROVER);
      return handle.result();
    });

    expect(result.status).toBe('posted');
    expect(fakes.ledger.callsOf('reserveHold')).toHaveLength(3);
    expect(fakes.ledger.callsOf('captureHold')).toHaveLength(3);
    // Every attempt sent the same ids, so the ledger saw one hold and one entry.
    expect(new Set(fakes.ledger.callsOf('reserveHold').map((c) => c.id)).size).toBe(1);
    expect(fakes.ledger.entries.size).toBe(1);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['awaiting_approval', 'posted']);
  });

  it('when the ledger fails the one-step post transiently twice, then it is retried with the same ids and the transfer posts exactly once', async () => {
    const fakes = newFakes();
    fakes.ledger.failTransiently('reserveAndCaptureHold', 2);
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => (await startTransfer(env, taskQueue, input)).result());

    expect(result.status).toBe('posted');
    const calls = fakes.ledger.callsOf('reserveAndCaptureHold');
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => JSON.stringify([c.id, c.body]))).size).toBe(1);
    expect(fakes.ledger.entries.size).toBe(1);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['posted']);
  });

  it('when the same transfer is started twice, then the second start is refused and the first result stands', async () => {
    const fakes = newFakes();
    const input = transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

    const outcome = await run(fakes, async (taskQueue) => {
      const first = await startTransfer(env, taskQueue, input);
      await waitForStatus(first, 'awaiting_approval');
      const whileRunning = await startTransfer(env, taskQueue, input).catch((e: unknown) => e);
      await first.signal(approveSignal, APPROVER);
      const result = await first.result();
      const afterClose = await startTransfer(env, taskQueue, input).catch((e: unknown) => e);
      return { whileRunning, afterClose, result, firstRunId: first.firstExecutionRunId };
    });

    expect(outcome.whileRunning).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(outcome.afterClose).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(outcome.result.status).toBe('posted');
    const described = await env.client.workflow.getHandle(transferWorkflowId(input.transferId)).describe();
    expect(described.runId).toBe(outcome.firstRunId);
    expect(fakes.ledger.callsOf('reserveHold')).toHaveLength(1);
    expect(fakes.ledger.entries.size).toBe(1);
  });
});

describe('reverse transfer workflow', () => {
  it('when a posted transfer is reversed, then the reversing entry is posted and the status recorded as reversed', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => {
      await (await startTransfer(env, taskQueue, input)).result();
      return env.client.workflow.execute(reverseTransferWorkflow, {
        taskQueue,
        workflowId: reverseTransferWorkflowId(input.transferId),
        args: [{ transferId: input.transferId, description: 'refund' }],
      });
    });

    const reversalEntryId = reversalEntryIdFor(reverseTransferWorkflowId(input.transferId));
    expect(result).toEqual({ status: 'reversed', reversalEntryId });
    expect(fakes.ledger.callsOf('reverseEntry')[0]).toMatchObject({ id: entryIdFor(transferWorkflowId(input.transferId)) });
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['posted', 'reversed']);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'reversed', reversalEntryId });
  });

  /** Runs the reversal as the gateway starts it, once the transfer is posted and its reversal claimed. */
  const reverseOnce = (taskQueue: string, transferId: string) =>
    env.client.workflow.start(reverseTransferWorkflow, {
      taskQueue,
      workflowId: reverseTransferWorkflowId(transferId),
      workflowIdReusePolicy: REVERSE_WORKFLOW_ID_REUSE_POLICY,
      args: [{ transferId }],
    });

  it('when the ledger refuses the reversal, then the refusal is recorded on the claimed reversal and the transfer stays posted', async () => {
    const fakes = newFakes();
    const input = transferInput();
    fakes.ledger.refuse('reverseEntry', 'INSUFFICIENT_FUNDS');

    const result = await run(fakes, async (taskQueue) => {
      await (await startTransfer(env, taskQueue, input)).result();
      fakes.transfers.claimReversal(input.transferId);
      return (await reverseOnce(taskQueue, input.transferId)).result();
    });

    expect(result).toEqual({ status: 'refused', failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'fake ledger refuses reverseEntry: INSUFFICIENT_FUNDS' });
    expect(fakes.transfers.reversalRefusals).toEqual([
      { transferId: input.transferId, refusal: { failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'fake ledger refuses reverseEntry: INSUFFICIENT_FUNDS' }, applied: true },
    ]);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'posted', reversalEntryId: null, reversal: { refusal: { code: 'INSUFFICIENT_FUNDS' } } });
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['posted']);
  });

  it('when a refused reversal is claimed again after the cause was fixed, then reverse-<id> runs again and posts the reversal once', async () => {
    const fakes = newFakes();
    const input = transferInput();
    fakes.ledger.refuse('reverseEntry', 'INSUFFICIENT_FUNDS');

    const results = await run(fakes, async (taskQueue) => {
      await (await startTransfer(env, taskQueue, input)).result();
      fakes.transfers.claimReversal(input.transferId, 'first');
      const refused = await (await reverseOnce(taskQueue, input.transferId)).result();
      fakes.ledger.accept('reverseEntry');
      fakes.transfers.claimReversal(input.transferId, 'second');
      const reversed = await (await reverseOnce(taskQueue, input.transferId)).result();
      return [refused.status, reversed.status];
    });

    const [refusedId, reversalEntryId] = ['first', 'second'].map((claim) => reversalEntryIdFor(reverseTransferWorkflowId(input.transferId), claim));
    expect(results).toEqual(['refused', 'reversed']);
    // Each claim asks under an id of its own: the ledger would answer the first id's refusal again.
    expect(fakes.ledger.callsOf('reverseEntry').map((c) => (c.body as { reversalEntryId: string }).reversalEntryId)).toEqual([refusedId, reversalEntryId]);
    expect(refusedId).not.toBe(reversalEntryId);
    expect([...fakes.ledger.entries.values()].filter((e) => e.reversesEntryId !== null)).toHaveLength(1);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'reversed', reversalEntryId, reversal: { id: 'second', refusal: null } });
  });

  it('when a run starts for a reversal already recorded refused (a late start), then it posts nothing and ends refused as recorded', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const result = await run(fakes, async (taskQueue) => {
      await (await startTransfer(env, taskQueue, input)).result();
      fakes.transfers.claimReversal(input.transferId);
      await fakes.transfers.recordReversalRefused(input.transferId, { failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'refused by an earlier run' });
      return (await reverseOnce(taskQueue, input.transferId)).result();
    });

    expect(result).toEqual({ status: 'refused', failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'refused by an earlier run' });
    expect(fakes.ledger.callsOf('reverseEntry')).toEqual([]);
    expect(fakes.transfers.reversalRefusals.map((c) => c.applied)).toEqual([true, false]);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'posted', reversal: { refusal: { message: 'refused by an earlier run' } } });
  });
});
