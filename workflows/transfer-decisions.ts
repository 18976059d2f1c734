/**
 * The decisions on a transfer awaiting approval (approve, reject, cancel):
 * which one was taken and by whom, and the handlers that take them.
 * Deterministic code.
 *
 * Decisions come as Workflow Updates (lib/workflow-contract/transfer.ts): the validator refuses
 * what the transfer's state does not allow, and the handler answers with the
 * state the decision led to once it is recorded. The same decisions come as
 * signals too: the gateway's fallback when an update is not answered in time
 * (a worker down or busy). An update not yet accepted is not durable, a signal
 * is, so the decision takes effect once a worker runs again.
 *
 * Four-eyes (TransferWorkflowInput.fourEyes): an approve or reject must name a
 * principal other than the one that created the transfer. The validator
 * refuses one that does not (SELF_APPROVAL_FAILURE_TYPE) and the signal
 * handlers ignore it, so no path into the workflow bypasses the gateway's
 * check. The decider is recorded with the outcome and upserted as the
 * `decidedBy` memo.
 */
import { ApplicationFailure, allHandlersFinished, condition, log, setHandler, upsertMemo } from '@temporalio/workflow';
import { present } from '../lib/assert';
import {
  DECIDED_BY_MEMO,
  INVALID_STATE_FAILURE_TYPE,
  SELF_APPROVAL_FAILURE_TYPE,
  approveSignal,
  approveUpdate,
  cancelSignal,
  cancelUpdate,
  rejectSignal,
  rejectUpdate,
  type DecisionInput,
  type FourEyesDetails,
  type InvalidStateDetails,
  type TransferState,
  type TransferWorkflowInput,
} from '../lib/workflow-contract/transfer';
import { DECISION_PAST_TENSE, DECISIONS, isDecisionAllowedFrom, type Decision } from '../lib/workflow-contract/decisions';

/** What the decisions need to know of the transfer they decide. */
export interface DecisionSubject {
  readonly input: TransferWorkflowInput;
  /** The transfer's state now. */
  readonly state: TransferState;
  /** The amount is at or above the approval threshold. */
  readonly needsApproval: boolean;
  /** The final state once recorded in the transfers table (what an update answers), null before. */
  readonly outcome: TransferState | null;
}

export class TransferDecisions {
  /** The decision taken, the first one that fit: a later one changes nothing. */
  taken: Decision | null = null;
  /** Who took it. */
  decidedBy: string | null = null;
  /** Cleared once a decision can no longer change the outcome (the capture began, the approval expired): updates are refused. */
  private open = true;
  /** Set by an accepted update: the run then ends only once its handlers have answered. */
  private byUpdate = false;

  constructor(private readonly transfer: DecisionSubject) {}

  /** Sets the signal and update handlers (a signal buffered before is handled at once). */
  listen(): void {
    const signals = { approve: approveSignal, reject: rejectSignal, cancel: cancelSignal };
    const updates = { approve: approveUpdate, reject: rejectUpdate, cancel: cancelUpdate };
    for (const name of DECISIONS) setHandler(signals[name], (by) => this.onSignal(name, by));
    for (const name of DECISIONS) setHandler(updates[name], (by) => this.onUpdate(name, by), { validator: (by) => this.validate(name, by) });
  }

  /** No decision changes the outcome from here on. */
  close(): void {
    this.open = false;
  }

  /** Waits for a decision up to `timeoutMs`: true when one was taken. */
  wait(timeoutMs: number): Promise<boolean> {
    return condition(() => this.taken !== null, timeoutMs);
  }

  /** An update's answer is a message of the task that completes the run: the run waits for its handlers to answer. */
  async answered(): Promise<void> {
    if (this.byUpdate) await condition(allHandlersFinished);
  }

  /**
   * Whether `wanted` may be taken now: the contract's table
   * (DECISION_ALLOWED_FROM), and one more case. The transfers table can
   * show `awaiting_approval` before this run of the workflow reaches it: a
   * local activity recorded it in a workflow task whose completion was lost
   * (a timeout, a restart), and the retried task delivers the decision the
   * gateway relayed meanwhile first of all, while this run is still pending.
   * The gateway relays a decision only when the table allowed it, so an
   * approve or reject that arrives while a transfer that will need approval
   * is still pending is kept, and acted on once it awaits approval.
   */
  private fits(wanted: Decision): boolean {
    const { status } = this.transfer.state;
    if (isDecisionAllowedFrom(wanted, status)) return true;
    return wanted !== 'cancel' && status === 'pending' && this.transfer.needsApproval;
  }

  /** Four-eyes: why `by` may not take `wanted`, or null when it may (a cancel, or a run without four-eyes, always may). */
  private fourEyesRefusal(wanted: Decision, by: DecisionInput | undefined): FourEyesDetails | null {
    const { input } = this.transfer;
    if (wanted === 'cancel' || input.fourEyes !== true) return null;
    const principalId = by?.principalId ?? null;
    if (principalId !== null && principalId !== input.createdBy) return null;
    return { createdBy: input.createdBy ?? null, principalId };
  }

  private take(wanted: Decision, by: DecisionInput | undefined): void {
    this.taken = wanted;
    this.decidedBy = by?.principalId ?? null;
    if (this.decidedBy !== null) upsertMemo({ [DECIDED_BY_MEMO]: this.decidedBy });
  }

  /** A signal that does not fit is ignored (the gateway read the status first); one refused by four-eyes is logged. */
  private onSignal(wanted: Decision, by: DecisionInput | undefined): void {
    if (this.taken !== null || !this.fits(wanted)) return;
    const refusal = this.fourEyesRefusal(wanted, by);
    if (refusal) {
      log.warn('decision signal ignored: four-eyes', { transfer_id: this.transfer.input.transferId, decision: wanted, created_by: refusal.createdBy, principal_id: refusal.principalId });
      return;
    }
    this.take(wanted, by);
  }

  /**
   * The signals' rule, made exact: the decision taken already may be taken
   * again (it answers the same outcome), any other is refused, and so is one
   * that could no longer change anything (a cancel once the capture began,
   * which a signal would have seen ignored while its sender saw `posted`).
   */
  private validate(wanted: Decision, by: DecisionInput | undefined): void {
    const refusal = this.fourEyesRefusal(wanted, by);
    if (refusal) {
      const message = refusal.principalId === null ? `cannot ${wanted} the transfer: the decision names no principal` : `cannot ${wanted} the transfer: ${refusal.principalId} created it`;
      throw ApplicationFailure.create({ type: SELF_APPROVAL_FAILURE_TYPE, message, nonRetryable: true, details: [refusal] });
    }
    if (this.taken === wanted) return;
    if (this.taken === null && this.open && this.fits(wanted)) return;
    const { status } = this.transfer.state;
    const reason = this.taken !== null ? `it was ${DECISION_PAST_TENSE[this.taken]} already` : this.open ? `it is ${status}` : 'its outcome is being settled';
    const details: InvalidStateDetails = { status, decided: this.taken, reason };
    throw ApplicationFailure.create({ type: INVALID_STATE_FAILURE_TYPE, message: `cannot ${wanted} the transfer: ${reason}`, nonRetryable: true, details: [details] });
  }

  private async onUpdate(wanted: Decision, by: DecisionInput | undefined): Promise<TransferState> {
    if (this.taken === null) this.take(wanted, by);
    this.byUpdate = true;
    await condition(() => this.transfer.outcome !== null);
    return present(this.transfer.outcome, 'the transfer outcome the condition waited for');
  }
}
