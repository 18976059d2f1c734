/**
 * The reversal of a posted transfer. Deterministic code.
 *
 * Posts the reversing entry, then records `reversed`; a reversal the ledger
 * refuses (INSUFFICIENT_FUNDS: the destination no longer holds the money) is
 * recorded as refused, the transfer staying `posted`. Started by the gateway
 * under id `reverse-<transferId>` (lib/workflow-contract/transfer.ts says why a workflow of its
 * own). PINNED, as the transfer workflow: a run finishes on the build that
 * started it.
 */
import { log, setWorkflowOptions, upsertSearchAttributes } from '@temporalio/workflow';
import { TransferStatusKey, type ReverseTransferInput, type ReverseTransferResult } from '../lib/workflow-contract/transfer';
import { failureOf, stepFailureCause } from './step-failures';
import { reversalSteps } from './steps';

export async function reverseTransferWorkflow(input: ReverseTransferInput): Promise<ReverseTransferResult> {
  let reversalEntryId: string | null = null;
  try {
    ({ reversalEntryId } = await reversalSteps.reverseEntry({ transferId: input.transferId, description: input.description }));
  } catch (error) {
    const cause = stepFailureCause(error);
    if (cause === null) throw error;
    const failure = failureOf(cause);
    // Reversed already under another id: the transfer is reversed all the same.
    if (failure.failureCode !== 'ENTRY_ALREADY_REVERSED') {
      log.info('reversal refused', { transfer_id: input.transferId, failure_code: failure.failureCode, failure_message: failure.failureMessage });
      await reversalSteps.recordReversalRefused({ transferId: input.transferId, ...failure });
      return { status: 'refused', failureCode: failure.failureCode, failureMessage: failure.failureMessage };
    }
  }
  upsertSearchAttributes([{ key: TransferStatusKey, value: 'reversed' }]);
  await reversalSteps.recordTransferStatus({ transferId: input.transferId, status: 'reversed', reversalEntryId });
  return { status: 'reversed', reversalEntryId };
}
setWorkflowOptions({ versioningBehavior: 'PINNED' }, reverseTransferWorkflow);
