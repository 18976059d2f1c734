/**
 * The transfer saga. Deterministic code: no I/O, no Node APIs, no clock but
 * the workflow's; every effect is an activity (a local one: steps.ts).
 *
 * A transfer: register the void of its hold, then
 * - below the approval threshold, reserve and capture in one ledger call (one
 *   transaction): one workflow task, two local activities and one
 *   search-attribute upsert (its final status; the others come with the start
 *   request);
 * - at or above it, reserve the hold (the ledger checks the accounts there),
 *   record `awaiting_approval`, wait for a decision (transfer-decisions.ts) or
 *   the approval timeout (a durable timer), then capture the hold into an
 *   entry.
 * It ends `posted`. A refusal at any step releases the hold and ends `failed`
 * with the refusal's code; reject and cancel end `cancelled` (a reject with
 * failureCode REJECTED), no decision in time ends `expired`. Each status
 * change is upserted as a search attribute and recorded in the transfers
 * table.
 *
 * Versioning: the workflow is PINNED to the worker build that started it
 * (docs/architecture.md, "Versioning"): a transfer waiting a day for approval
 * finishes on the code it began with, so a change of this file needs no patch
 * marker; test/workflows/replay.test.ts replays the recorded histories of
 * this build.
 */
import { CancellationScope, ApplicationFailure, isCancellation, log, setHandler, setWorkflowOptions, upsertSearchAttributes } from '@temporalio/workflow';
import { parseAmountMinor } from '../lib/money';
import { REJECTED_FAILURE_CODE } from '../lib/transfers/refusal-codes';
import { TransferStatusKey, transferStateQuery, type TransferState, type TransferStatus, type TransferWorkflowInput, type TransferWorkflowResult } from '../lib/workflow-contract/transfer';
import { Saga } from './saga';
import { failureOf, logStepFailure, stepFailureCause } from './step-failures';
import { transferSteps } from './steps';
import { TransferDecisions, type DecisionSubject } from './transfer-decisions';

export async function transferWorkflow(input: TransferWorkflowInput): Promise<TransferWorkflowResult> {
  const transfer = new Transfer(input);
  setHandler(transferStateQuery, () => ({ ...transfer.state }));
  transfer.decisions.listen();
  const result = await transfer.settle();
  await transfer.decisions.answered();
  return result;
}
setWorkflowOptions({ versioningBehavior: 'PINNED' }, transferWorkflow);

/** Where the steps left the transfer: its hold captured into an entry, or released (the state recorded). */
type StepsOutcome = { captured: string } | { released: TransferState };

/** What a reject records beside `cancelled`. */
const REJECTION_FIELDS: Partial<TransferState> = { failureCode: REJECTED_FAILURE_CODE, failureMessage: 'rejected by an approver' };

/** One run of the saga: its state, its decisions and its undo steps. */
class Transfer implements DecisionSubject {
  readonly state: TransferState = { status: 'pending', failureCode: null, failureMessage: null, entryId: null, holdId: null };
  outcome: TransferState | null = null;
  readonly needsApproval: boolean;
  readonly decisions = new TransferDecisions(this);
  private readonly saga = new Saga();

  constructor(readonly input: TransferWorkflowInput) {
    this.needsApproval = parseMinor(input.amountMinor, 'amountMinor') >= parseMinor(input.approvalThresholdMinor, 'approvalThresholdMinor', { allowZero: true });
  }

  /** Runs the steps and records where they left the transfer. */
  async settle(): Promise<TransferState> {
    let steps: StepsOutcome;
    try {
      steps = this.needsApproval ? await this.postOnApproval() : await this.postAtOnce();
    } catch (error) {
      return this.failed(error);
    }
    // Outside the try: once the hold is captured, nothing may compensate it.
    return 'released' in steps ? steps.released : this.moveTo('posted', { entryId: steps.captured });
  }

  /** Below the threshold: reserve and capture in one ledger call. */
  private async postAtOnce(): Promise<StepsOutcome> {
    this.saga.add(this.voidHold);
    // A cancel taken before the step still voids: an attempt of this workflow
    // task that was never recorded (a retried task) may have posted already,
    // and the void finds that capture (release → postedAfterAll), or leaves
    // a tombstone so a late request of that attempt cannot take effect.
    if (this.decisions.taken === 'cancel') return { released: await this.release('cancelled', 'cancelled') };
    // Reserve and capture are one ledger transaction: the point of no return comes before it.
    this.decisions.close();
    const { holdId, entryId } = await transferSteps.reserveAndCaptureHold({ ...this.accounts(), amountMinor: this.input.amountMinor, description: this.input.description });
    this.state.holdId = holdId;
    return { captured: entryId };
  }

  /** At or above the threshold: reserve, wait for the decision, capture. */
  private async postOnApproval(): Promise<StepsOutcome> {
    // Registered before the reserve: a reserve that took effect and then timed out is voided all the same.
    this.saga.add(this.voidHold);
    // The approval timeout goes along for the hold's expiry (activities/index.ts).
    const { holdId } = await transferSteps.reserveHold({ ...this.accounts(), amountMinor: this.input.amountMinor, approvalTimeoutMs: this.input.approvalTimeoutMs });
    this.state.holdId = holdId;
    if (this.decisions.taken === 'cancel') return { released: await this.release('cancelled', 'cancelled') };
    const declined = await this.awaitApproval();
    if (declined) return { released: declined };
    // The point of no return: a cancel from here on is too late and ignored (refused, as an update).
    this.decisions.close();
    const { entryId } = await transferSteps.captureHold({ transferId: this.input.transferId, description: this.input.description });
    return { captured: entryId };
  }

  /** Records `awaiting_approval` and waits: null once approved, else the state the hold's release left. */
  private async awaitApproval(): Promise<TransferState | null> {
    await this.moveTo('awaiting_approval');
    const decided = await this.decisions.wait(this.input.approvalTimeoutMs);
    this.decisions.close();
    if (!decided) return this.release('expired', 'approval timed out');
    if (this.decisions.taken === 'reject') return this.release('cancelled', 'rejected', REJECTION_FIELDS);
    if (this.decisions.taken === 'cancel') return this.release('cancelled', 'cancelled');
    return null;
  }

  /** A step failed, or the workflow was cancelled: compensate and record why. */
  private async failed(error: unknown): Promise<TransferState> {
    // Cancelled through Temporal itself (not the cancel decision): release the hold and record it.
    if (isCancellation(error)) return this.release('cancelled', 'workflow cancelled');
    const cause = stepFailureCause(error);
    if (cause === null) throw error;
    const failure = failureOf(cause);
    logStepFailure(this.input.transferId, cause, failure);
    const compensation = await this.saga.compensate(failure.failureMessage);
    if (compensation.capturedEntryId) return this.postedAfterAll(compensation.capturedEntryId, failure.failureMessage);
    return this.moveTo('failed', failure, compensation.ran);
  }

  private readonly voidHold = async (reason: string): Promise<void> => {
    await transferSteps.voidHold({ transferId: this.input.transferId, reason });
  };

  private accounts() {
    const { transferId, fromAccountId, toAccountId, currency } = this.input;
    return { transferId, fromAccountId, toAccountId, currency };
  }

  private async release(status: 'cancelled' | 'expired', reason: string, fields: Partial<TransferState> = {}): Promise<TransferState> {
    const { capturedEntryId } = await this.saga.compensate(reason);
    if (capturedEntryId) return this.postedAfterAll(capturedEntryId, reason);
    return this.moveTo(status, fields);
  }

  /**
   * The ledger captured the hold although this run of the workflow chose to
   * release it: a capture that ran as a local activity in a workflow task whose
   * completion the server refused (a cancel arrived meanwhile), so this run never
   * saw it. The ledger is the truth and money moved: the transfer is posted.
   */
  private postedAfterAll(capturedEntryId: string, reason: string): Promise<TransferState> {
    log.warn('hold already captured; the transfer is posted', { transfer_id: this.input.transferId, reason, entry_id: capturedEntryId });
    return this.moveTo('posted', { entryId: capturedEntryId });
  }

  /** Records a status; always completes, even in a workflow being cancelled: the table must not be left behind. */
  private async moveTo(status: TransferStatus, fields: Partial<TransferState> = {}, compensated = false): Promise<TransferState> {
    Object.assign(this.state, fields, { status });
    upsertSearchAttributes([{ key: TransferStatusKey, value: status }]);
    const { transferId } = this.input;
    const { failureCode, failureMessage, entryId } = this.state;
    const record = { transferId, status, failureCode, failureMessage, entryId, compensated, decidedBy: this.decisions.decidedBy };
    await CancellationScope.nonCancellable(() => transferSteps.recordTransferStatus(record));
    const recorded = { ...this.state };
    if (status !== 'awaiting_approval') this.outcome = recorded;
    return recorded;
  }
}

/**
 * lib/money's rule (an amount is 1 to 2^63−1, a threshold may be 0). The
 * gateway validated both; a bad one is a programmer error and fails the
 * workflow, not the task (no endless retry).
 */
function parseMinor(value: string, field: string, { allowZero = false } = {}): bigint {
  const parsed = parseAmountMinor(value, { allowZero });
  if (!parsed.ok) throw ApplicationFailure.nonRetryable(`${field} is not a count of minor units (${parsed.reason}): ${value}`, 'InvalidInput');
  return parsed.amountMinor;
}
