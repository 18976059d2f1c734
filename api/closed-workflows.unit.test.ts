/**
 * Proves how a transfer whose workflow closed without an outcome is finalized
 * (closed-workflows.ts): a hold still reserved is voided with the saga's own
 * call and the transfer ends `failed` WORKFLOW_TERMINATED naming the close
 * status; a hold the ledger captured makes it `posted` with that entry; a
 * workflow that runs, completed or is unknown leaves everything alone, and so
 * does a row already final; a ledger that cannot be reached records nothing.
 * How: the real function with the in-memory ledger and transfers table of the
 * workflow tests and a Temporal client whose describe answers a chosen status.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { holdIdFor } from '../activities/ids';
import { createLogger } from '../lib/logger';
import { transferWorkflowId } from '../lib/workflow-contract';
import { FROM_ACCOUNT_ID, TO_ACCOUNT_ID, newFakes, type Fakes } from '../test/workflows/support/harness';
import { finalizeIfWorkflowClosed } from './closed-workflows';

const TRANSFER_ID = '44444444-4444-4444-8444-444444444444';
const WORKFLOW_ID = transferWorkflowId(TRANSFER_ID);
const HOLD_ID = holdIdFor(WORKFLOW_ID);

/** A Temporal client whose one workflow has `status` (or is not found, for null). */
function temporalWith(status: string | null): Pick<Client, 'workflow'> {
  const describe = async () => {
    if (status === null) throw new WorkflowNotFoundError('not found', WORKFLOW_ID, undefined);
    return { status: { name: status } };
  };
  return { workflow: { getHandle: () => ({ describe }) } } as unknown as Pick<Client, 'workflow'>;
}

/** A transfer awaiting approval with its hold reserved, as a run leaves it before its decision. */
async function awaitingWithHold(): Promise<Fakes> {
  const fakes = newFakes();
  await fakes.ledger.reserveHold({ holdId: HOLD_ID, transferId: TRANSFER_ID, fromAccountId: FROM_ACCOUNT_ID, toAccountId: TO_ACCOUNT_ID, amountMinor: '1000000', currency: 'USD' });
  await fakes.transfers.recordStatus(TRANSFER_ID, { status: 'awaiting_approval' });
  fakes.ledger.calls.length = 0;
  return fakes;
}

function finalize(fakes: Fakes, status: string | null) {
  return finalizeIfWorkflowClosed({ store: fakes.transfers, ledger: fakes.ledger, temporal: temporalWith(status), logger: createLogger('test', 'silent') }, TRANSFER_ID);
}

describe('a transfer whose workflow closed without an outcome', () => {
  it.each(['TERMINATED', 'TIMED_OUT', 'FAILED', 'CANCELLED'])('when it closed as %s, then its hold is voided with the saga\'s call and it ends failed WORKFLOW_TERMINATED', async (status) => {
    const fakes = await awaitingWithHold();

    const transfer = await finalize(fakes, status);

    expect(transfer).toMatchObject({ id: TRANSFER_ID, status: 'failed', failureCode: 'WORKFLOW_TERMINATED', entryId: null });
    expect(transfer?.failureMessage).toContain(`closed as ${status}`);
    expect(fakes.ledger.holds.get(HOLD_ID)?.status).toBe('voided');
    expect(fakes.ledger.callsOf('voidHold')).toEqual([expect.objectContaining({ id: HOLD_ID })]);
  });

  it('when the ledger captured its hold, then it is posted with that entry: the ledger is the truth', async () => {
    const fakes = await awaitingWithHold();
    await fakes.ledger.captureHold(HOLD_ID, { entryId: 'entry-1' });

    const transfer = await finalize(fakes, 'TERMINATED');

    expect(transfer).toMatchObject({ status: 'posted', entryId: 'entry-1', failureCode: null });
  });

  it('when finalized twice, then the second changes nothing', async () => {
    const fakes = await awaitingWithHold();

    const first = await finalize(fakes, 'TERMINATED');
    const second = await finalize(fakes, 'TERMINATED');

    expect(second).toEqual(first);
    expect(fakes.transfers.calls.filter((c) => c.applied).map((c) => c.update.status)).toEqual(['awaiting_approval', 'failed']);
  });

  it('when the ledger cannot be reached, then it throws and nothing is recorded', async () => {
    const fakes = await awaitingWithHold();
    fakes.ledger.failTransiently('voidHold', 1);

    await expect(finalize(fakes, 'TERMINATED')).rejects.toThrow();

    expect((await fakes.transfers.getTransfer(TRANSFER_ID))?.status).toBe('awaiting_approval');
  });
});

describe('a transfer whose workflow did not close without an outcome', () => {
  it.each([['RUNNING'], ['COMPLETED'], [null]])('when it is %s, then nothing is asked of the ledger and the row stays', async (status) => {
    const fakes = await awaitingWithHold();

    expect(await finalize(fakes, status)).toBeNull();

    expect(fakes.ledger.calls).toEqual([]);
    expect(fakes.ledger.holds.get(HOLD_ID)?.status).toBe('reserved');
    expect((await fakes.transfers.getTransfer(TRANSFER_ID))?.status).toBe('awaiting_approval');
  });

  it('when its outcome was recorded before it was terminated, then that outcome stands and the ledger is left alone', async () => {
    const fakes = await awaitingWithHold();
    await fakes.transfers.recordStatus(TRANSFER_ID, { status: 'cancelled' });

    expect(await finalize(fakes, 'TERMINATED')).toMatchObject({ status: 'cancelled', failureCode: null });
    expect(fakes.ledger.calls).toEqual([]);
  });
});
