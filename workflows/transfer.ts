/**
 * The transfer saga and the reversal workflow. Deterministic code: no I/O, no
 * Node APIs, no clock but the workflow's; every effect is an activity.
 *
 * transferWorkflow: validate accounts → reserve a hold (its void registered
 * first) → wait for approval when the amount is at or above the threshold →
 * capture the hold into an entry → posted. A refusal at any step releases the
 * hold and ends `failed` with the refusal's code; reject and cancel end
 * `cancelled`, no decision in time ends `expired`. Each status change is
 * upserted as a search attribute and recorded in the transfers table.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { RecordTransferStatusInput, TransferActivities } from '../activities';
import {
  AmountMinorKey,
  FailureTypes,
  FromAccountIdKey,
  NON_RETRYABLE_ERROR_TYPES,
  ToAccountIdKey,
  TransferStatusKey,
  approveSignal,
  cancelSignal,
  rejectSignal,
  transferStateQuery,
  type RefusalDetails,
  type ReverseTransferInput,
  type ReverseTransferResult,
  type TransferState,
  type TransferStatus,
  type TransferWorkflowInput,
  type TransferWorkflowResult,
} from './definitions';

/**
 * Transport failures and 5xx are retried with backoff and no attempt limit: a
 * service that is down delays a transfer, it never loses or duplicates one
 * (every step is idempotent). Business refusals and bugs are not retried.
 */
const RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  // maximumAttempts left unset: unlimited.
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

/** One HTTP call (5 s client deadline) or one SQL update per attempt. */
const ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '10 seconds', retry: RETRY_POLICY };

const activities = proxyActivities<TransferActivities>(ACTIVITY_OPTIONS);

/** A failure code for what is not a business refusal (a bug, a contract mismatch); the hold is released all the same. */
const INTERNAL_ERROR = 'INTERNAL_ERROR';

type Decision = 'approve' | 'reject' | 'cancel';

export async function transferWorkflow(input: TransferWorkflowInput): Promise<TransferWorkflowResult> {
  const amountMinor = parseMinor(input.amountMinor, 'amountMinor');
  const thresholdMinor = parseMinor(input.approvalThresholdMinor, 'approvalThresholdMinor');
  const state: TransferState = { status: 'pending', failureCode: null, failureMessage: null, entryId: null, holdId: null };
  let decision: Decision | null = null;

  setHandler(transferStateQuery, () => ({ ...state }));
  setHandler(approveSignal, () => {
    if (decision === null && state.status === 'awaiting_approval') decision = 'approve';
  });
  setHandler(rejectSignal, () => {
    if (decision === null && state.status === 'awaiting_approval') decision = 'reject';
  });
  setHandler(cancelSignal, () => {
    if (decision === null && (state.status === 'pending' || state.status === 'awaiting_approval')) decision = 'cancel';
  });
  upsertSearchAttributes(initialSearchAttributes(input, amountMinor));

  const saga = new Saga();
  // Recording a status always completes, even in a workflow being cancelled: the table must not be left behind.
  const moveTo = async (status: TransferStatus, fields: Partial<TransferState> = {}, compensated = false): Promise<TransferState> => {
    Object.assign(state, fields, { status });
    upsertSearchAttributes([{ key: TransferStatusKey, value: status }]);
    await CancellationScope.nonCancellable(() => activities.recordTransferStatus(recordOf(input.transferId, state, compensated)));
    return { ...state };
  };
  const release = async (status: 'cancelled' | 'expired', reason: string): Promise<TransferState> => {
    await saga.compensate(reason);
    return moveTo(status);
  };

  let entryId: string;
  try {
    const accounts = { transferId: input.transferId, fromAccountId: input.fromAccountId, toAccountId: input.toAccountId, currency: input.currency };
    await activities.validateAccounts(accounts);
    if (decision === 'cancel') return await release('cancelled', 'cancelled');

    // Registered before the reserve: a reserve that took effect and then timed out is voided all the same.
    saga.add((reason) => activities.voidHold({ transferId: input.transferId, reason }));
    ({ holdId: state.holdId } = await activities.reserveHold({ ...accounts, amountMinor: input.amountMinor }));
    if (decision === 'cancel') return await release('cancelled', 'cancelled');

    if (amountMinor >= thresholdMinor) {
      await moveTo('awaiting_approval');
      const decided = await condition(() => decision !== null, input.approvalTimeoutMs);
      if (!decided) return await release('expired', 'approval timed out');
      if (decision === 'reject') return await release('cancelled', 'rejected');
      if (decision === 'cancel') return await release('cancelled', 'cancelled');
    }

    // The point of no return: a cancel from here on is too late and ignored.
    ({ entryId } = await activities.captureHold({ transferId: input.transferId, description: input.description }));
  } catch (error) {
    // Cancelled through Temporal itself (not the cancel signal): release the hold and record it.
    if (isCancellation(error)) return await release('cancelled', 'workflow cancelled');
    if (!(error instanceof ActivityFailure)) throw error;
    const failure = failureOf(error);
    log.warn('transfer step failed; compensating', { transferId: input.transferId, ...failure });
    const compensated = await saga.compensate(failure.failureMessage);
    return await moveTo('failed', failure, compensated);
  }
  // Outside the try: once the hold is captured, nothing may compensate it.
  return await moveTo('posted', { entryId });
}

/**
 * Reverses a posted transfer: posts the reversing entry, then records
 * `reversed`. Started by the gateway under id `reverse-<transferId>`.
 */
export async function reverseTransferWorkflow(input: ReverseTransferInput): Promise<ReverseTransferResult> {
  let reversalEntryId: string | null = null;
  try {
    ({ reversalEntryId } = await activities.reverseEntry({ transferId: input.transferId, description: input.description }));
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const failure = failureOf(error);
    // Reversed already under another id: the transfer is reversed all the same.
    if (failure.failureCode !== 'ENTRY_ALREADY_REVERSED') {
      log.warn('reversal refused', { transferId: input.transferId, ...failure });
      return { status: 'refused', failureCode: failure.failureCode, failureMessage: failure.failureMessage };
    }
  }
  upsertSearchAttributes([{ key: TransferStatusKey, value: 'reversed' }]);
  await activities.recordTransferStatus({ transferId: input.transferId, status: 'reversed', reversalEntryId });
  return { status: 'reversed', reversalEntryId };
}

/** Undo steps, run newest first. Each must be idempotent: it may run for a step that never took effect. */
class Saga {
  private readonly compensations: Array<(reason: string) => Promise<void>> = [];

  add(compensation: (reason: string) => Promise<void>): void {
    this.compensations.unshift(compensation);
  }

  /**
   * Runs every compensation once, newest first, shielded from workflow
   * cancellation; one that fails is logged and the rest still run. Reports
   * whether any ran.
   */
  async compensate(reason: string): Promise<boolean> {
    const pending = this.compensations.splice(0);
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of pending) {
        try {
          await compensation(reason);
        } catch (error) {
          log.error('compensation failed', { reason, error: (error as Error).message });
        }
      }
    });
    return pending.length > 0;
  }
}

function failureOf(error: ActivityFailure): { failureCode: string; failureMessage: string } {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === FailureTypes.refused) {
    const details = cause.details?.[0] as RefusalDetails | undefined;
    return { failureCode: details?.code ?? INTERNAL_ERROR, failureMessage: cause.message };
  }
  return { failureCode: INTERNAL_ERROR, failureMessage: cause?.message ?? error.message };
}

function recordOf(transferId: string, state: TransferState, compensated: boolean): RecordTransferStatusInput {
  return {
    transferId,
    status: state.status,
    failureCode: state.failureCode,
    failureMessage: state.failureMessage,
    entryId: state.entryId,
    compensated,
  };
}

function initialSearchAttributes(input: TransferWorkflowInput, amountMinor: bigint): SearchAttributeUpdatePair[] {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: TransferStatusKey, value: 'pending' },
    { key: FromAccountIdKey, value: input.fromAccountId },
    { key: ToAccountIdKey, value: input.toAccountId },
  ];
  if (amountMinor <= BigInt(Number.MAX_SAFE_INTEGER)) pairs.push({ key: AmountMinorKey, value: Number(amountMinor) });
  return pairs;
}

/** The gateway validated these; a bad one is a programmer error and fails the workflow, not the task (no endless retry). */
function parseMinor(value: string, field: string): bigint {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(value)) throw ApplicationFailure.nonRetryable(`${field} is not a count of minor units: ${value}`, 'InvalidInput');
  return BigInt(value);
}
