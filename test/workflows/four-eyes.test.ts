/**
 * Proves four-eyes approval inside the transfer workflow (workflows/transfer.ts),
 * where no client of Temporal can go around the gateway's check: with
 * `fourEyes` in its input, an approve or reject from the principal that
 * created the transfer, or naming none, is refused by the update validator
 * (SelfApprovalForbidden, nothing taken) and ignored as a signal, while
 * another principal's decision is taken, recorded as `decidedBy` and
 * upserted as the `decidedBy` memo. A cancel is the creator's to take; a
 * run without four-eyes (development mode, or started before principals)
 * takes its creator's approval, and one naming no principal, as before.
 * How: the real workflow on the time-skipping test server, services as fakes.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  DECIDED_BY_MEMO,
  SELF_APPROVAL_FAILURE_TYPE,
  approveSignal,
  approveUpdate,
  cancelUpdate,
  rejectUpdate,
  type DecisionInput,
  type FourEyesDetails,
  type TransferWorkflowInput,
} from '../../lib/workflow-contract';
import {
  APPROVAL_THRESHOLD_MINOR,
  APPROVER,
  SUBMITTER_ID,
  bundleWorkflows,
  createTransferTestEnv,
  newFakes,
  startTransfer,
  transferInput,
  waitForStatus,
  withWorker,
  type Fakes,
} from './support/harness';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([createTransferTestEnv(), bundleWorkflows()]);
});

afterAll(async () => {
  await env?.teardown();
});

const run = <T>(fakes: Fakes, work: (taskQueue: string) => Promise<T>) => withWorker(env, workflowBundle, fakes, work);
const large = (overrides: Partial<TransferWorkflowInput> = {}) => transferInput({ amountMinor: APPROVAL_THRESHOLD_MINOR, ...overrides });
const CREATOR: DecisionInput = { principalId: SUBMITTER_ID };

async function startAwaiting(taskQueue: string, input: TransferWorkflowInput) {
  const handle = await startTransfer(env, taskQueue, input);
  await waitForStatus(handle, 'awaiting_approval');
  return handle;
}

/** The four-eyes refusal of a failed update: its type and details; anything else fails the test. */
async function refusalOf(update: Promise<unknown>): Promise<{ type: string | undefined; details: FourEyesDetails | undefined }> {
  const error = await update.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) throw new Error(`expected a refused update, got ${String(error)}`);
  return { type: error.cause.type ?? undefined, details: error.cause.details?.[0] as FourEyesDetails | undefined };
}

describe('four-eyes in the workflow', () => {
  it('when the creator approves its own transfer, then the validator refuses it, and another principal approval posts it, recorded as decidedBy and in the memo', async () => {
    const fakes = newFakes();
    const input = large();

    const { refusal, answer, memo } = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const refusal = await refusalOf(handle.executeUpdate(approveUpdate, { args: [CREATOR] }));
      const answer = await handle.executeUpdate(approveUpdate, { args: [APPROVER] });
      return { refusal, answer, memo: (await handle.describe()).memo };
    });

    expect(refusal).toEqual({ type: SELF_APPROVAL_FAILURE_TYPE, details: { createdBy: SUBMITTER_ID, principalId: SUBMITTER_ID } });
    expect(answer.status).toBe('posted');
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ status: 'posted', decidedBy: APPROVER.principalId });
    expect(memo).toEqual({ [DECIDED_BY_MEMO]: APPROVER.principalId });
  });

  it('when the creator rejects its own transfer, or an approve names no principal, then each is refused', async () => {
    const fakes = newFakes();
    const input = large();

    const refusals = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const refusals = [
        await refusalOf(handle.executeUpdate(rejectUpdate, { args: [CREATOR] })),
        // A client of Temporal that leaves the principal out (the gateway never does).
        await refusalOf(handle.executeUpdate('approve')),
      ];
      await handle.executeUpdate(cancelUpdate, { args: [CREATOR] });
      return refusals;
    });

    expect(refusals).toEqual([
      { type: SELF_APPROVAL_FAILURE_TYPE, details: { createdBy: SUBMITTER_ID, principalId: SUBMITTER_ID } },
      { type: SELF_APPROVAL_FAILURE_TYPE, details: { createdBy: SUBMITTER_ID, principalId: null } },
    ]);
  });

  it('when the creator sends its approval as a signal, then it is ignored, and a reject by another principal is taken after it', async () => {
    const fakes = newFakes();
    const input = large();

    const answer = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      await handle.signal(approveSignal, CREATOR);
      // Had the signal been taken, this reject would be refused: "it was approved already".
      return handle.executeUpdate(rejectUpdate, { args: [APPROVER] });
    });

    expect(answer).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ decidedBy: APPROVER.principalId });
  });

  it('when the creator cancels its own transfer, then it is taken (four-eyes is for approve and reject) and recorded as decidedBy', async () => {
    const fakes = newFakes();
    const input = large();

    const answer = await run(fakes, async (taskQueue) => (await startAwaiting(taskQueue, input)).executeUpdate(cancelUpdate, { args: [CREATOR] }));

    expect(answer).toMatchObject({ status: 'cancelled', failureCode: null });
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ decidedBy: SUBMITTER_ID });
  });

  it('when four-eyes is off (development mode), then the creator approval posts the transfer', async () => {
    const fakes = newFakes();
    const input = large({ createdBy: 'development', fourEyes: false });

    const answer = await run(fakes, async (taskQueue) => (await startAwaiting(taskQueue, input)).executeUpdate(approveUpdate, { args: [{ principalId: 'development' }] }));

    expect(answer.status).toBe('posted');
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ decidedBy: 'development' });
  });

  it('when a run started before principals (no createdBy, no fourEyes) gets an approval naming no principal, then it posts, with no decidedBy and no memo', async () => {
    const fakes = newFakes();
    const input = large({ createdBy: undefined, fourEyes: undefined });

    const { answer, memo } = await run(fakes, async (taskQueue) => {
      const handle = await startAwaiting(taskQueue, input);
      const answer = await handle.executeUpdate('approve');
      return { answer, memo: (await handle.describe()).memo };
    });

    expect(answer).toMatchObject({ status: 'posted' });
    expect(fakes.transfers.rows.get(input.transferId)).toMatchObject({ decidedBy: null });
    expect(memo ?? {}).toEqual({});
  });
});
