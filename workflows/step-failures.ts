/**
 * What a failed step means to a workflow: the failure's cause, the code and
 * message recorded for it, and its one log line. Deterministic code.
 */
import { ActivityFailure, ApplicationFailure, TemporalFailure, log } from '@temporalio/workflow';
import { INTERNAL_ERROR_FAILURE_CODE } from '../lib/transfers/refusal-codes';
import { FailureTypes, type HoldCapturedDetails, type RefusalDetails } from '../lib/workflow-contract/transfer';


export interface StepFailure {
  failureCode: string;
  failureMessage: string;
}

/**
 * What made a step fail, or null when `error` is no step's failure (a bug in
 * the workflow). An ordinary activity's failure arrives as an ActivityFailure
 * wrapping its cause; a local activity's arrives as the cause itself.
 */
export function stepFailureCause(error: unknown): Error | null {
  if (error instanceof ActivityFailure) return error.cause ?? error;
  if (error instanceof TemporalFailure) return error;
  return null;
}

/** The entry id carried by a void refused because its hold was captured (activities/index.ts voidHold), or null. */
export function capturedEntryOf(error: unknown): string | null {
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
export function logStepFailure(transferId: string, cause: Error, failure: StepFailure): void {
  const fields = { transfer_id: transferId, failure_code: failure.failureCode, failure_message: failure.failureMessage };
  if (isRefusal(cause)) log.info('transfer refused; releasing its hold', fields);
  else log.warn('transfer step failed; compensating', fields);
}

function isRefusal(cause: Error): cause is ApplicationFailure {
  return cause instanceof ApplicationFailure && cause.type === FailureTypes.refused;
}

export function failureOf(cause: Error): StepFailure {
  if (isRefusal(cause)) {
    const details = cause.details?.[0] as RefusalDetails | undefined;
    return { failureCode: details?.code ?? INTERNAL_ERROR_FAILURE_CODE, failureMessage: cause.message };
  }
  return { failureCode: INTERNAL_ERROR_FAILURE_CODE, failureMessage: cause.message };
}
