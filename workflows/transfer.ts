/**
 * The transfer saga and the reversal workflow. Deterministic code: no I/O, no
 * Node APIs, no clock but the workflow's; every effect is an activity.
 *
 * A transfer: reserve a hold (its void registered first; the ledger checks the
 * accounts there) → wait for approval when the amount is at or above the
 * threshold → capture the hold into an entry → posted. A refusal at any step
 * releases the hold and ends `failed` with the refusal's code; reject and
 * cancel end `cancelled` (a reject with failureCode REJECTED), no decision in
 * time ends `expired`. Each status change is upserted as a search attribute
 * and recorded in the transfers table.
 *
 * Two workflow types run that saga, because its history changed shape in ways
 * a patch marker would have made dearer than the change saved:
 * - `transferWorkflowV2`, what the gateway starts: the steps are local
 *   activities (in the worker, inside the workflow task), and below the
 *   threshold reserve and capture are one ledger call (one transaction), so
 *   such a transfer is one workflow task, two local activities and one
 *   search-attribute upsert (its final status: the others come with the start
 *   request). No patch marker: markers also upsert TemporalChangeVersion.
 * - `transferWorkflow`, kept for the runs started before it: histories with
 *   the `transfer-local-steps` marker replay on local reserve and capture,
 *   older ones on validateAccounts and ordinary activities; both upsert their
 *   first search attributes themselves.
 * Approval stays durable in both: a decision and a timer, across as many
 * workflow tasks as it takes.
 *
 * Decisions come as Workflow Updates (definitions.ts), answered with the state
 * the decision led to once it is recorded; the signals stay for runs and
 * gateways from before and as the gateway's fallback. Updates add no command
 * (an accepted one is recorded as events the replay delivers again), so no
 * patch marks them.
 *
 * Four-eyes (TransferWorkflowInput.fourEyes): an approve or reject must name
 * a principal other than the one that created the transfer. The validator
 * refuses one that does not (SELF_APPROVAL_FAILURE_TYPE) and the signal
 * handlers ignore it, so no path into the workflow bypasses the gateway's
 * check. The decider is recorded with the outcome and upserted as the
 * `decidedBy` memo; only a decision naming a principal upserts it, so the
 * histories of decisions recorded before principals (none named) replay
 * without the new command, with no patch marker needed.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  TemporalFailure,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { RecordTransferStatusInput, TransferActivities } from '../activities';
import {
  DECIDED_BY_MEMO,
  FailureTypes,
  INVALID_STATE_FAILURE_TYPE,
  SELF_APPROVAL_FAILURE_TYPE,
  NON_RETRYABLE_ERROR_TYPES,
  TransferStatusKey,
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  rejectSignal,
  rejectUpdate,
  transferSearchAttributes,
  transferStateQuery,
  type DecisionInput,
  type FourEyesDetails,
  type HoldCapturedDetails,
  type InvalidStateDetails,
  type RefusalDetails,
  type ReverseTransferInput,
  type ReverseTransferResult,
  type TransferState,
  type TransferStatus,
  type TransferWorkflowInput,
  type TransferWorkflowResult,
} from './definitions';
import { REJECTED_FAILURE_CODE } from '../lib/transfers/status';

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
/**
 * The same deadline and retries for the local steps. Retries more than a
 * minute apart (a service down for long) wait on durable timers rather than in
 * the worker (the SDK's localRetryThreshold), so a long outage costs no worker
 * slot and survives a worker restart.
 */
const LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = { startToCloseTimeout: '10 seconds', retry: RETRY_POLICY };

/** The steps as ordinary activities: the shape of `transferWorkflow` histories recorded before LOCAL_STEPS_PATCH. */
const activities = proxyActivities<TransferActivities>(ACTIVITY_OPTIONS);
const localActivities = proxyLocalActivities<TransferActivities>(LOCAL_ACTIVITY_OPTIONS);

/** `transferWorkflow`'s marker of local steps (accounts checked by the ledger at reserve). */
export const LOCAL_STEPS_PATCH = 'transfer-local-steps';
/** The marker of a reject recorded with failureCode REJECTED (before it, a reject ended `cancelled` like a cancel). */
export const REJECTED_CODE_PATCH = 'transfer-rejected-code';
/** The marker of a refused reversal recorded in the transfers table (before it, a refusal recorded nothing). */
export const REVERSAL_REFUSAL_PATCH = 'reverse-records-refusal';

/** A failure code for what is not a business refusal (a bug, a contract mismatch); the hold is released all the same. */
const INTERNAL_ERROR = 'INTERNAL_ERROR';

type Decision = 'approve' | 'reject' | 'cancel';
const PAST_TENSE: Record<Decision, string> = { approve: 'approved', reject: 'rejected', cancel: 'cancelled' };

/**
 * How one workflow type's histories run the saga (see the header): what
 * differs between `transferWorkflow`'s two recorded shapes and
 * `transferWorkflowV2`; everything else is one code path.
 */
interface TransferShape {
  /** The steps are local activities; otherwise ordinary ones after a validateAccounts activity. */
  localSteps: boolean;
  /** The start request carried status, accounts and amount as search attributes; otherwise the workflow upserts them first. */
  startedWithAttributes: boolean;
  /** Below the threshold one ledger call reserves and captures; otherwise a reserve, then a capture. */
  oneStepPosting: boolean;
  /** Whether a reject records failureCode REJECTED (histories from before REJECTED_CODE_PATCH do not). */
  rejectRecordsCode: () => boolean;
}

/** The transfer saga as the gateway starts it now. */
export async function transferWorkflowV2(input: TransferWorkflowInput): Promise<TransferWorkflowResult> {
  return runTransfer(input, { localSteps: true, startedWithAttributes: true, oneStepPosting: true, rejectRecordsCode: () => true });
}

/** The transfer saga of runs started before `transferWorkflowV2`: their recorded histories must replay. */
export async function transferWorkflow(input: TransferWorkflowInput): Promise<TransferWorkflowResult> {
  // First of all, so the marker precedes every command of a new run.
  const localSteps = patched(LOCAL_STEPS_PATCH);
  return runTransfer(input, { localSteps, startedWithAttributes: false, oneStepPosting: false, rejectRecordsCode: () => patched(REJECTED_CODE_PATCH) });
}

async function runTransfer(input: TransferWorkflowInput, shape: TransferShape): Promise<TransferWorkflowResult> {
  const { localSteps } = shape;
  const steps = localSteps ? localActivities : activities;
  const amountMinor = parseMinor(input.amountMinor, 'amountMinor');
  const thresholdMinor = parseMinor(input.approvalThresholdMinor, 'approvalThresholdMinor');
  const state: TransferState = { status: 'pending', failureCode: null, failureMessage: null, entryId: null, holdId: null };
  let decision: Decision | null = null;
  /** Who took `decision`, when its signal or update named a principal (decisions recorded before principals named none). */
  let decidedBy: string | null = null;
  /** The final state once recorded in the transfers table: what a decision's update answers. */
  let outcome: TransferState | null = null;
  /** Set by an accepted update: the run then ends only once its handlers have answered. */
  let decidedByUpdate = false;
  /** Cleared once a decision can no longer change the outcome (the capture began, the approval expired): updates are refused. */
  let decisionsOpen = true;

  /**
   * Whether an approve or reject may be taken now. With local steps, the
   * transfers table can show `awaiting_approval` before this run of the
   * workflow reaches it: a local activity recorded it in a workflow task whose
   * completion was lost (a timeout, a restart), and the retried task delivers
   * the decision the gateway relayed meanwhile first of all, while this run is
   * still pending. The gateway relays a decision only when the table allowed
   * it, so one that arrives while a transfer that will need approval is still
   * pending is kept, and acted on once it awaits approval. Histories of the
   * activity-steps shape keep their rule: awaiting_approval only.
   */
  const approvalDecidable = (): boolean =>
    state.status === 'awaiting_approval' || (localSteps && state.status === 'pending' && amountMinor >= thresholdMinor);

  // Defined before any handler is set: setHandler runs the signals buffered for it at once.
  const cancellable = (): boolean => state.status === 'pending' || state.status === 'awaiting_approval';

  /** Four-eyes: why `by` may not take `wanted`, or null when it may (a cancel, or a run without four-eyes, always may). */
  const fourEyesRefusal = (wanted: Decision, by: DecisionInput | undefined): FourEyesDetails | null => {
    if (wanted === 'cancel' || input.fourEyes !== true) return null;
    const principalId = by?.principalId ?? null;
    if (principalId !== null && principalId !== input.createdBy) return null;
    return { createdBy: input.createdBy ?? null, principalId };
  };
  const signalPermitted = (wanted: Decision, by: DecisionInput | undefined): boolean => {
    const refusal = fourEyesRefusal(wanted, by);
    if (refusal) log.warn('decision signal ignored: four-eyes', { transfer_id: input.transferId, decision: wanted, created_by: refusal.createdBy, principal_id: refusal.principalId });
    return refusal === null;
  };
  const take = (wanted: Decision, by: DecisionInput | undefined): void => {
    decision = wanted;
    decidedBy = by?.principalId ?? null;
    if (decidedBy !== null) upsertMemo({ [DECIDED_BY_MEMO]: decidedBy });
  };

  setHandler(transferStateQuery, () => ({ ...state }));
  setHandler(approveSignal, (by) => {
    if (decision === null && approvalDecidable() && signalPermitted('approve', by)) take('approve', by);
  });
  setHandler(rejectSignal, (by) => {
    if (decision === null && approvalDecidable() && signalPermitted('reject', by)) take('reject', by);
  });
  setHandler(cancelSignal, (by) => {
    if (decision === null && cancellable()) take('cancel', by);
  });

  /**
   * The signals' rule, made exact: the decision taken already may be taken
   * again (it answers the same outcome), any other is refused, and so is one
   * that could no longer change anything (a cancel once the capture began,
   * which a signal would have seen ignored while its sender saw `posted`).
   */
  const validateDecision = (wanted: Decision) => (by?: DecisionInput): void => {
    const refusal = fourEyesRefusal(wanted, by);
    if (refusal) {
      const message = refusal.principalId === null ? `cannot ${wanted} the transfer: the decision names no principal` : `cannot ${wanted} the transfer: ${refusal.principalId} created it`;
      throw ApplicationFailure.create({ type: SELF_APPROVAL_FAILURE_TYPE, message, nonRetryable: true, details: [refusal] });
    }
    if (decision === wanted) return;
    if (decision === null && decisionsOpen && (wanted === 'cancel' ? cancellable() : approvalDecidable())) return;
    const reason = decision !== null ? `it was ${PAST_TENSE[decision]} already` : decisionsOpen ? `it is ${state.status}` : 'its outcome is being settled';
    const details: InvalidStateDetails = { status: state.status, decided: decision, reason };
    throw ApplicationFailure.create({ type: INVALID_STATE_FAILURE_TYPE, message: `cannot ${wanted} the transfer: ${reason}`, nonRetryable: true, details: [details] });
  };
  const decide = (wanted: Decision) => async (by?: DecisionInput): Promise<TransferState> => {
    if (decision === null) take(wanted, by);
    decidedByUpdate = true;
    await condition(() => outcome !== null);
    return outcome!;
  };
  setHandler(approveUpdate, decide('approve'), { validator: validateDecision('approve') });
  setHandler(rejectUpdate, decide('reject'), { validator: validateDecision('reject') });
  setHandler(cancelUpdate, decide('cancel'), { validator: validateDecision('cancel') });
  if (!shape.startedWithAttributes) upsertSearchAttributes(transferSearchAttributes(input));

  const saga = new Saga();
  // Recording a status always completes, even in a workflow being cancelled: the table must not be left behind.
  const moveTo = async (status: TransferStatus, fields: Partial<TransferState> = {}, compensated = false): Promise<TransferState> => {
    Object.assign(state, fields, { status });
    upsertSearchAttributes([{ key: TransferStatusKey, value: status }]);
    await CancellationScope.nonCancellable(() => steps.recordTransferStatus(recordOf(input.transferId, state, compensated, decidedBy)));
    const recorded = { ...state };
    if (status !== 'awaiting_approval') outcome = recorded;
    return recorded;
  };
  const release = async (status: 'cancelled' | 'expired', reason: string, fields: Partial<TransferState> = {}): Promise<TransferState> => {
    const { capturedEntryId } = await saga.compensate(reason);
    if (capturedEntryId) return postedAfterAll(capturedEntryId, reason);
    return moveTo(status, fields);
  };
  /**
   * The ledger captured the hold although this run of the workflow chose to
   * release it: a capture that ran as a local activity in a workflow task whose
   * completion the server refused (a cancel arrived meanwhile), so this run never
   * saw it. The ledger is the truth and money moved: the transfer is posted.
   */
  const postedAfterAll = async (capturedEntryId: string, reason: string): Promise<TransferState> => {
    log.warn('hold already captured; the transfer is posted', { transfer_id: input.transferId, reason, entry_id: capturedEntryId });
    return moveTo('posted', { entryId: capturedEntryId });
  };

  const result = await settle();
  // An update's answer is a message of the task that completes the run: the run waits for its handlers to answer.
  if (decidedByUpdate) await condition(allHandlersFinished);
  return result;

  async function settle(): Promise<TransferState> {
    let entryId: string;
    try {
      const accounts = { transferId: input.transferId, fromAccountId: input.fromAccountId, toAccountId: input.toAccountId, currency: input.currency };
      if (!localSteps) {
        await activities.validateAccounts(accounts);
        if (decision === 'cancel') return await release('cancelled', 'cancelled');
      }
      // Registered before the reserve: a reserve that took effect and then timed out is voided all the same.
      const voidHold = (reason: string) => steps.voidHold({ transferId: input.transferId, reason });

      if (shape.oneStepPosting && amountMinor < thresholdMinor) {
        saga.add(voidHold);
        // A cancel taken before the step still voids: an attempt of this workflow
        // task that was never recorded (a retried task) may have posted already,
        // and the void finds that capture (release → postedAfterAll), or leaves
        // a tombstone so a late request of that attempt cannot take effect.
        if (decision === 'cancel') return await release('cancelled', 'cancelled');
        // Reserve and capture are one ledger transaction: the point of no return comes before it.
        decisionsOpen = false;
        ({ holdId: state.holdId, entryId } = await steps.reserveAndCaptureHold({ ...accounts, amountMinor: input.amountMinor, description: input.description }));
      } else {
        saga.add(voidHold);
        // The approval timeout goes along for the hold's expiry (activities/index.ts); an argument, not a command: replay is unchanged.
        ({ holdId: state.holdId } = await steps.reserveHold({ ...accounts, amountMinor: input.amountMinor, approvalTimeoutMs: input.approvalTimeoutMs }));
        if (decision === 'cancel') return await release('cancelled', 'cancelled');

        if (amountMinor >= thresholdMinor) {
          await moveTo('awaiting_approval');
          const decided = await condition(() => decision !== null, input.approvalTimeoutMs);
          decisionsOpen = false;
          if (!decided) return await release('expired', 'approval timed out');
          // Read anew: the handlers set it while this function waited (TypeScript keeps the narrowing of the check above).
          const taken = decision as Decision | null;
          if (taken === 'reject') return await release('cancelled', 'rejected', shape.rejectRecordsCode() ? REJECTION_FIELDS : {});
          if (taken === 'cancel') return await release('cancelled', 'cancelled');
        }

        // The point of no return: a cancel from here on is too late and ignored (refused, as an update).
        decisionsOpen = false;
        ({ entryId } = await steps.captureHold({ transferId: input.transferId, description: input.description }));
      }
    } catch (error) {
      // Cancelled through Temporal itself (not the cancel signal): release the hold and record it.
      if (isCancellation(error)) return await release('cancelled', 'workflow cancelled');
      const cause = stepFailureCause(error);
      if (cause === null) throw error;
      const failure = failureOf(cause);
      logStepFailure(input.transferId, cause, failure);
      const compensation = await saga.compensate(failure.failureMessage);
      if (compensation.capturedEntryId) return await postedAfterAll(compensation.capturedEntryId, failure.failureMessage);
      return await moveTo('failed', failure, compensation.ran);
    }
    // Outside the try: once the hold is captured, nothing may compensate it.
    return await moveTo('posted', { entryId });
  }
}

/**
 * Reverses a posted transfer: posts the reversing entry, then records
 * `reversed`; a reversal the ledger refuses (INSUFFICIENT_FUNDS: the
 * destination no longer holds the money) is recorded as refused, the transfer
 * staying `posted`. Started by the gateway under id `reverse-<transferId>`.
 */
export async function reverseTransferWorkflow(input: ReverseTransferInput): Promise<ReverseTransferResult> {
  let reversalEntryId: string | null = null;
  try {
    ({ reversalEntryId } = await activities.reverseEntry({ transferId: input.transferId, description: input.description }));
  } catch (error) {
    const cause = stepFailureCause(error);
    if (cause === null) throw error;
    const failure = failureOf(cause);
    // Reversed already under another id: the transfer is reversed all the same.
    if (failure.failureCode !== 'ENTRY_ALREADY_REVERSED') {
      log.info('reversal refused', { transfer_id: input.transferId, failure_code: failure.failureCode, failure_message: failure.failureMessage });
      // Behind a marker: runs recorded before it completed here with no command, and must still replay.
      if (patched(REVERSAL_REFUSAL_PATCH)) await activities.recordReversalRefused({ transferId: input.transferId, ...failure });
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
   * whether any ran, and the entry of a hold found captured instead of voided.
   */
  async compensate(reason: string): Promise<{ ran: boolean; capturedEntryId: string | null }> {
    const pending = this.compensations.splice(0);
    let capturedEntryId: string | null = null;
    await CancellationScope.nonCancellable(async () => {
      for (const compensation of pending) {
        try {
          await compensation(reason);
        } catch (error) {
          const captured = capturedEntryOf(error);
          if (captured) capturedEntryId = captured;
          else log.error('compensation failed', { reason, error: (error as Error).message });
        }
      }
    });
    return { ran: pending.length > 0, capturedEntryId };
  }
}

/** The entry id carried by a void refused because its hold was captured (activities/index.ts voidHold), or null. */
/**
 * What made a step fail, or null when `error` is no step's failure (a bug in
 * the workflow). An ordinary activity's failure arrives as an ActivityFailure
 * wrapping its cause; a local activity's arrives as the cause itself.
 */
function stepFailureCause(error: unknown): Error | null {
  if (error instanceof ActivityFailure) return error.cause ?? error;
  if (error instanceof TemporalFailure) return error;
  return null;
}

function capturedEntryOf(error: unknown): string | null {
  const cause = stepFailureCause(error);
  if (!(cause instanceof ApplicationFailure) || cause.type !== FailureTypes.holdAlreadyCaptured) return null;
  const details = cause.details?.[0] as HoldCapturedDetails | undefined;
  return details?.entryId ?? null;
}

/**
 * The one line of a failed step: a business refusal (insufficient funds, an
 * unknown account) is an ordinary outcome, INFO; anything else is a fault, WARN.
 * The activity's own failure is BENIGN for a refusal (activities/index.ts), so
 * the SDK adds no line of its own.
 */
function logStepFailure(transferId: string, cause: Error, failure: { failureCode: string; failureMessage: string }): void {
  const fields = { transfer_id: transferId, failure_code: failure.failureCode, failure_message: failure.failureMessage };
  if (isRefusal(cause)) log.info('transfer refused; releasing its hold', fields);
  else log.warn('transfer step failed; compensating', fields);
}

function isRefusal(cause: Error): cause is ApplicationFailure {
  return cause instanceof ApplicationFailure && cause.type === FailureTypes.refused;
}

function failureOf(cause: Error): { failureCode: string; failureMessage: string } {
  if (isRefusal(cause)) {
    const details = cause.details?.[0] as RefusalDetails | undefined;
    return { failureCode: details?.code ?? INTERNAL_ERROR, failureMessage: cause.message };
  }
  return { failureCode: INTERNAL_ERROR, failureMessage: cause.message };
}

function recordOf(transferId: string, state: TransferState, compensated: boolean, decidedBy: string | null): RecordTransferStatusInput {
  return {
    transferId,
    decidedBy,
    status: state.status,
    failureCode: state.failureCode,
    failureMessage: state.failureMessage,
    entryId: state.entryId,
    compensated,
  };
}

/** What a reject records beside `cancelled` (since REJECTED_CODE_PATCH). */
const REJECTION_FIELDS: Partial<TransferState> = { failureCode: REJECTED_FAILURE_CODE, failureMessage: 'rejected by an approver' };

/** The gateway validated these; a bad one is a programmer error and fails the workflow, not the task (no endless retry). */
function parseMinor(value: string, field: string): bigint {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(value)) throw ApplicationFailure.nonRetryable(`${field} is not a count of minor units: ${value}`, 'InvalidInput');
  return BigInt(value);
}
