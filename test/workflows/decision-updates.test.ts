/**
 * Proves the decisions as Workflow Updates (workflows/transfer.ts): each
 * answers with the state it led to, once that state is recorded (approve →
 * posted, or failed with its code; reject → cancelled REJECTED; cancel →
 * cancelled), and the validator refuses what the state does not allow (another
 * decision after one was taken, a cancel once the capture began) with an
 * InvalidTransferState failure whose details say why, while the same decision
 * twice answers the same outcome. How: the real workflow on the time-skipping
 * test server with the services as fakes; a ledger step held by the fake keeps
 * the workflow busy while a second update arrives (delivered when the worker
 * renews the workflow task, every 80% of the 2 s task timeout set here).
 */
import { WorkflowUpdateFailedError, WorkflowUpdateStage, WithStartWorkflowOperation } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { entryIdFor, holdIdFor } from '../../activities/ids';
import {
  INVALID_STATE_FAILURE_TYPE,
  TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  approveUpdate,
  cancelUpdate,
  rejectUpdate,
  transferWorkflowStartSearchAttributes,
  transferWorkflowId,
  type InvalidStateDetails,
  type TransferWorkflowInput,
} from '../../lib/workflow-contract';
import { transferWorkflow } from '../../workflows';
import { APPROVAL_THRESHOLD_MINOR, APPROVER, bundleWorkflows, createTransferTestEnv, newFakes, transferInput, waitForStatus, withWorker, type Fakes } from './support/harness';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTransferTestEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

const run = <T>(fakes: Fakes, work: (taskQueue: string) => Promise<T>) => withWorker(env, workflowBundle, fakes, work);
const large = () => transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR });

/** As the gateway starts it, with a short workflow task timeout so a task held by a slow step is renewed (and new updates delivered) within seconds. */
const startOptions = (taskQueue: string, input: TransferWorkflowInput) => ({
  taskQueue,
  workflowId: transferWorkflowId(input.transferId),
  workflowIdReusePolicy: TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  args: [input] as [TransferWorkflowInput],
  typedSearchAttributes: transferWorkflowStartSearchAttributes(input),
  workflowTaskTimeout: 2_000,
});

async function startAwaiting(taskQueue: string, input: TransferWorkflowInput) {
  const handle = await env.client.workflow.start(transferWorkflow, startOptions(taskQueue, input));
  await waitForStatus(handle, 'awaiting_approval');
  return handle;
}

/** The validator's refusal carried by a failed update: its failure type and details. */
async function refusalOf(update: Promise<unknown>): Promise<{ type: string | undefined; details: InvalidStateDetails | undefined }> {
  const error = await update.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkflowUpdateFailedError)) throw new Error(`expected the update to be refused, got ${String(error)}`);
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(cause)}`);
  return { type: cause.type ?? undefined, details: cause.details?.[0] as InvalidStateDetails | undefined };
}

describe('decision updates: the answer is the state the decision led to', () => {
  it('when a transfer awaiting approval is approved, then the update answers posted with its entry, already recorded in the table', async () => {
    const fakes = newFakes();
    const input = large();
    const workflowId = transferWorkflowId(input.transferId);

    const { answer, recordedAtAnswer } = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const answer = await handle.executeUpdate(approveUpdate, { args: [APPROVER] });
      return { answer, recordedAtAnswer: fakes.transfers.statusesOf(input.transferId) };
    });

    expect(answer).toEqual({ status: 'posted', failureCode: null, failureMessage: null, entryId: entryIdFor(workflowId), holdId: holdIdFor(workflowId) });
    expect(recordedAtAnswer).toEqual(['awaiting_approval', 'posted']);
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'captureHold']);
  });

  it('when the capture of an approved transfer is refused, then the update answers failed with the refusal code', async () => {
    const fakes = newFakes();
    fakes.ledger.refuse('captureHold', 'ACCOUNT_FROZEN');
    const input = large();

    const answer = await run(fakes, async (taskQueue) => (await startAwaiting(taskQueue, input)).executeUpdate(approveUpdate, { args: [APPROVER] }));

    expect(answer).toMatchObject({ status: 'failed', failureCode: 'ACCOUNT_FROZEN', entryId: null });
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'failed', failureCode: 'ACCOUNT_FROZEN' });
  });

  it('when it is rejected, then the update answers cancelled with failureCode REJECTED and the hold is voided', async () => {
    const fakes = newFakes();
    const input = large();

    const answer = await run(fakes, async (taskQueue) => (await startAwaiting(taskQueue, input)).executeUpdate(rejectUpdate, { args: [APPROVER] }));

    expect(answer).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED', failureMessage: 'rejected by an approver', entryId: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
  });

  it('when it is cancelled while awaiting approval, then the update answers cancelled with no failure code', async () => {
    const fakes = newFakes();
    const input = large();

    const answer = await run(fakes, async (taskQueue) => (await startAwaiting(taskQueue, input)).executeUpdate(cancelUpdate, { args: [APPROVER] }));

    expect(answer).toMatchObject({ status: 'cancelled', failureCode: null, entryId: null });
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['reserveHold', 'voidHold']);
  });

  it('when a cancel arrives with the start of a transfer below the threshold (still pending), then it is taken before the ledger posts anything and answers cancelled', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const answer = await run(fakes, (taskQueue) =>
      env.client.workflow.executeUpdateWithStart(cancelUpdate, {
        args: [APPROVER],
        startWorkflowOperation: new WithStartWorkflowOperation(transferWorkflow, { ...startOptions(taskQueue, input), workflowIdConflictPolicy: 'FAIL' as const }),
      }),
    );

    expect(answer).toMatchObject({ status: 'cancelled', failureCode: null, entryId: null });
    // Taken before the one-step post: nothing was reserved, the void finds nothing.
    expect(fakes.ledger.calls.map((c) => c.op)).toEqual(['voidHold']);
    expect(fakes.ledger.holds.size).toBe(0);
    expect(fakes.transfers.statusesOf(input.transferId)).toEqual(['cancelled']);
  });
});

describe('decision updates: the validator', () => {
  it('when an approve arrives with the start of a transfer below the threshold, then it is refused (it is pending and needs no approval) and the transfer posts', async () => {
    const fakes = newFakes();
    const input = transferInput();

    const { refusal, result } = await run(fakes, async (taskQueue) => {
      const operation = new WithStartWorkflowOperation(transferWorkflow, { ...startOptions(taskQueue, input), workflowIdConflictPolicy: 'FAIL' as const });
      const refusal = await refusalOf(env.client.workflow.executeUpdateWithStart(approveUpdate, { args: [APPROVER], startWorkflowOperation: operation }));
      return { refusal, result: await (await operation.workflowHandle()).result() };
    });

    expect(refusal).toEqual({ type: INVALID_STATE_FAILURE_TYPE, details: { status: 'pending', decided: null, reason: 'it is pending' } });
    expect(result.status).toBe('posted');
  });

  it('when an approve comes while a reject is being carried out, then it is refused (rejected already) and the reject stands', async () => {
    const fakes = newFakes();
    const voiding = fakes.ledger.pause('voidHold');
    const input = large();

    const { refusal, answer } = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const reject = await handle.startUpdate(rejectUpdate, { args: [APPROVER], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await voiding.reached;
      const refusal = await refusalOf(handle.executeUpdate(approveUpdate, { args: [APPROVER] }));
      voiding.release();
      return { refusal, answer: await reject.result() };
    });

    expect(refusal).toEqual({ type: INVALID_STATE_FAILURE_TYPE, details: { status: 'awaiting_approval', decided: 'reject', reason: 'it was rejected already' } });
    expect(answer).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
    expect(fakes.ledger.callsOf('captureHold')).toHaveLength(0);
  });

  it('when the same approve comes twice (the second while the capture runs), then both are taken and answer the same posted state', async () => {
    const fakes = newFakes();
    const capturing = fakes.ledger.pause('captureHold');
    const input = large();

    const answers = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const first = await handle.startUpdate(approveUpdate, { args: [APPROVER], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await capturing.reached;
      const second = await handle.startUpdate(approveUpdate, { args: [APPROVER], waitForStage: WorkflowUpdateStage.ACCEPTED });
      capturing.release();
      return Promise.all([first.result(), second.result()]);
    });

    expect(answers[0]).toMatchObject({ status: 'posted', entryId: entryIdFor(transferWorkflowId(input.transferId)) });
    expect(answers[1]).toEqual(answers[0]);
    expect(fakes.ledger.entries.size).toBe(1);
  });

  it('when a cancel comes once the one-step post of a transfer below the threshold began, then it is refused (its outcome is being settled) and the transfer posts', async () => {
    const fakes = newFakes();
    const capturing = fakes.ledger.pause('reserveAndCaptureHold');
    const input = transferInput();

    const { refusal, result } = await run(fakes, async (taskQueue) => {
      const handle = await env.client.workflow.start(transferWorkflow, startOptions(taskQueue, input));
      await capturing.reached;
      const refusal = await refusalOf(handle.executeUpdate(cancelUpdate, { args: [APPROVER] }));
      capturing.release();
      return { refusal, result: await handle.result() };
    });

    expect(refusal).toEqual({ type: INVALID_STATE_FAILURE_TYPE, details: { status: 'pending', decided: null, reason: 'its outcome is being settled' } });
    expect(result.status).toBe('posted');
  });

  it('when a cancel comes while an approved transfer is being captured, then it is refused (approved already)', async () => {
    const fakes = newFakes();
    const capturing = fakes.ledger.pause('captureHold');
    const input = large();

    const { refusal, answer } = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const approve = await handle.startUpdate(approveUpdate, { args: [APPROVER], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await capturing.reached;
      const refusal = await refusalOf(handle.executeUpdate(cancelUpdate, { args: [APPROVER] }));
      capturing.release();
      return { refusal, answer: await approve.result() };
    });

    expect(refusal.details).toEqual({ status: 'awaiting_approval', decided: 'approve', reason: 'it was approved already' });
    expect(answer.status).toBe('posted');
  });
});
