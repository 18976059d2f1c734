/**
 * The gateway's side of a transfer: record it (idempotently, by the
 * Idempotency-Key, unique per principal), start its workflow, and pass decisions to it. The saga
 * itself runs in the worker; the transfers table is how the gateway reads its
 * progress, during and long after the workflow. A request that waits for the
 * outcome (`?wait=true`, a decision, a reversal) is woken by the table's
 * status notifications (lib/transfers/status-notifications.ts), not by polling.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type SearchAttributePair } from '@temporalio/common';
import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { LedgerApi } from '../lib/clients';
import { AppError, conflict, notFound, unavailable } from '../lib/errors';
import { amountMinorOf } from '../lib/money';
import { requestHash } from '../lib/request-hash';
import {
  isTerminalStatus,
  meetsCondition,
  WORKFLOW_TERMINATED_FAILURE_CODE,
  waitForStatus,
  type TransferCondition,
  type TransferRecord,
  type TransferStatus,
  type TransferStatusListener,
  type TransferStore,
} from '../lib/transfers';
import {
  CREATED_BY_MEMO,
  REVERSE_TRANSFER_WORKFLOW_TYPE,
  SELF_APPROVAL_FAILURE_TYPE,
  REVERSE_WORKFLOW_ID_REUSE_POLICY,
  TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  TRANSFER_WORKFLOW_TYPE,
  INVALID_STATE_FAILURE_TYPE,
  approveSignal,
  approveUpdate,
  transferStartSearchAttributes,
  transferWorkflowStartSearchAttributes,
  cancelSignal,
  cancelUpdate,
  rejectSignal,
  rejectUpdate,
  reverseTransferWorkflowId,
  transferWorkflowId,
  isDecisionAllowedFrom,
  type Decision,
  type DecisionInput,
  type InvalidStateDetails,
  type ReverseTransferInput,
  type TransferWorkflowInput,
} from '../lib/workflow-contract';
import { hiddenFrom, selfApprovalForbidden } from './authorize';
import { finalizeIfWorkflowClosed } from './closed-workflows';
import type { GatewayMetrics } from './metrics';
import { DEVELOPMENT_PRINCIPAL, type Principal } from './principal';
import type { CreateTransferBody } from './schemas';

export interface TransferDeps {
  store: TransferStore;
  /** Wakes the requests that wait for a transfer's status to move. */
  statusListener: TransferStatusListener;
  temporal: Client;
  metrics: GatewayMetrics;
  logger: Logger;
  approvalThresholdMinor: bigint;
  approvalTimeoutMs: number;
  /** TEMPORAL_TASK_QUEUE; the worker polls the same one. */
  taskQueue: string;
  /** For releasing the hold of a transfer whose workflow closed without an outcome (closed-workflows.ts). */
  ledger: Pick<LedgerApi, 'voidHold' | 'getHold'>;
}

/** The contract's cap on a request that waits for an outcome. */
export const WAIT_MS_MAX = 10_000;

const hasLeftPending = (status: TransferStatus) => status !== 'pending';
/** A reversal's outcome: posted (the transfer `reversed`) or refused by the ledger (the transfer stays `posted`). */
const reversalSettled: TransferCondition = (status, reversalRefused) => status === 'reversed' || reversalRefused;

/** Who asked, under which Idempotency-Key (a key is the principal's own: lib/transfers/store.ts), in which trace. */
export interface WriteOrigin {
  principal: string;
  idempotencyKey: string;
  traceId: string | null;
}

export async function createTransfer(
  deps: TransferDeps,
  body: CreateTransferBody,
  { principal, idempotencyKey, traceId }: WriteOrigin,
  id: string = randomUUID(),
): Promise<{ transfer: TransferRecord; replayed: boolean }> {
  const normalized = { ...body, description: body.description ?? null, metadata: body.metadata ?? {} };
  const result = await deps.store.createTransfer({
    principal,
    idempotencyKey,
    requestHash: requestHash(normalized),
    transfer: { ...normalized, id, amountMinor: amountMinorOf(body.amount, 'amount'), traceId, createdBy: principal },
  });
  if (!result.created && !result.requestHashMatches) {
    throw idempotencyKeyReused('This Idempotency-Key was used with a different request body.');
  }
  // Started on every request that finds the transfer pending: the first
  // attempt may have failed after the row was written (Temporal down), and a
  // retried request must not leave it without a workflow. The workflow id
  // makes a second start a no-op; a workflow found closed without an outcome
  // (terminated) is finalized, so the replay answers the final state.
  let transfer = result.transfer;
  if (transfer.status === 'pending' && !(await startTransferWorkflow(deps, transfer))) {
    transfer = (await finalizeOrLeave(deps, transfer.id)) ?? transfer;
  }
  annotateSpan(transfer);
  if (result.created) {
    deps.metrics.transferInitiated();
    deps.logger.info(logFields(result.transfer), 'transfer created');
  } else {
    deps.metrics.idempotencyHit('POST /v1/transfers');
  }
  return { transfer, replayed: !result.created };
}

/** finalizeIfWorkflowClosed where its failure is no reason to fail the request: the sweeper finalizes the transfer later. */
function finalizeOrLeave(deps: TransferDeps, id: string): Promise<TransferRecord | null> {
  return finalizeIfWorkflowClosed(deps, id).catch((error: unknown) => {
    deps.logger.warn({ err: error, transfer_id: id }, 'could not finalize a transfer whose workflow may have closed; the sweeper will');
    return null;
  });
}

/** Starts the transfer's workflow; true when this call started it, false when Temporal has it already (running or closed). */
export async function startTransferWorkflow(deps: TransferDeps, transfer: TransferRecord): Promise<boolean> {
  const input: TransferWorkflowInput = {
    transferId: transfer.id,
    fromAccountId: transfer.fromAccountId,
    toAccountId: transfer.toAccountId,
    amountMinor: transfer.amountMinor.toString(),
    currency: transfer.currency,
    description: transfer.description ?? '',
    approvalThresholdMinor: deps.approvalThresholdMinor.toString(),
    approvalTimeoutMs: deps.approvalTimeoutMs,
    ...(transfer.createdBy === null ? {} : { createdBy: transfer.createdBy }),
    fourEyes: fourEyesApplies(transfer),
  };
  const start: WorkflowStart = {
    type: TRANSFER_WORKFLOW_TYPE,
    workflowId: transferWorkflowId(transfer.id),
    reusePolicy: TRANSFER_WORKFLOW_ID_REUSE_POLICY,
    memo: transfer.createdBy === null ? undefined : { [CREATED_BY_MEMO]: transfer.createdBy },
  };
  return startOnce(deps, start, input, transferWorkflowStartSearchAttributes(input));
}

/**
 * Four-eyes approval holds for every transfer a client created with its key:
 * its creator may not approve or reject it. Not for one created in development
 * mode (one principal, who would be locked out of its own approvals), nor one
 * created before principals were recorded.
 */
export function fourEyesApplies(transfer: Pick<TransferRecord, 'createdBy'>): boolean {
  return transfer.createdBy !== null && transfer.createdBy !== DEVELOPMENT_PRINCIPAL.id;
}

/**
 * Starts the workflow of a claimed reversal; a no-op while it runs (its id is
 * derived from the transfer's). A closed one runs again (a new claim after a
 * refusal needs it; why that is safe: REVERSE_WORKFLOW_ID_REUSE_POLICY).
 *
 * `claimedNow`: the request just claimed the reversal, so a run still open is
 * the run of the reversal this claim replaced, refused: it recorded the
 * refusal (the claim needed it) and has nothing left to do but complete, and
 * a client that was answered may ask again before it has. That run is
 * terminated and the new one started; left alone, the new claim would wait
 * for the resumer (api/resume-pending.ts). Terminating is safe even for a run
 * that does more: every step repeats the same idempotent request, and the new
 * run makes it again.
 */
export function startReversalWorkflow(deps: StartDeps, transferId: string, { claimedNow = false } = {}): Promise<boolean> {
  const start: WorkflowStart = {
    type: REVERSE_TRANSFER_WORKFLOW_TYPE,
    workflowId: reverseTransferWorkflowId(transferId),
    reusePolicy: REVERSE_WORKFLOW_ID_REUSE_POLICY,
    conflictPolicy: claimedNow ? 'TERMINATE_EXISTING' : 'FAIL',
  };
  return startOnce(deps, start, { transferId }, transferStartSearchAttributes(transferId));
}

/** What starting a workflow needs. */
export type StartDeps = Pick<TransferDeps, 'temporal' | 'taskQueue' | 'logger'>;

interface WorkflowStart {
  type: string;
  workflowId: string;
  /** What a closed run of the id allows. */
  reusePolicy: typeof TRANSFER_WORKFLOW_ID_REUSE_POLICY | typeof REVERSE_WORKFLOW_ID_REUSE_POLICY;
  /** What a running one does: FAIL (the start is a no-op) unless said otherwise. */
  conflictPolicy?: 'FAIL' | 'TERMINATE_EXISTING';
  /** Shown in the Temporal UI (CREATED_BY_MEMO). */
  memo?: Record<string, unknown>;
}

async function startOnce(
  deps: StartDeps,
  { type, workflowId, reusePolicy, conflictPolicy = 'FAIL', memo }: WorkflowStart,
  input: TransferWorkflowInput | ReverseTransferInput,
  searchAttributes: SearchAttributePair[],
): Promise<boolean> {
  try {
    await deps.temporal.workflow.start(type, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      workflowIdReusePolicy: reusePolicy,
      workflowIdConflictPolicy: conflictPolicy,
      typedSearchAttributes: searchAttributes,
      memo,
    });
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    deps.logger.warn({ err: error, workflow_id: workflowId }, 'could not start workflow');
    throw unavailable('temporal', 'The transfer is recorded but its workflow could not be started yet; retry the same request.');
  }
}

/**
 * `POST /v1/transfers?wait=true`: creates the transfer and answers once it
 * has left `pending`, or after `WAIT_MS_MAX` as it then stands. Its id is
 * chosen and watched before the insert, so the inserted row counts as read
 * after the watch opened, and a transfer that settles at once costs one read.
 */
export async function createTransferAndWait(
  deps: TransferDeps,
  body: CreateTransferBody,
  origin: WriteOrigin,
): Promise<{ transfer: TransferRecord; replayed: boolean }> {
  const deadline = Date.now() + WAIT_MS_MAX;
  const id = randomUUID();
  const watch = deps.statusListener.watch(id, hasLeftPending);
  try {
    const { transfer, replayed } = await createTransfer(deps, body, origin, id);
    // A replay answers with the first request's transfer, which has another id.
    const settled = transfer.id === id
      ? await waitForStatus({ watch, seen: transfer, read: () => deps.store.getTransfer(id), done: hasLeftPending, deadline })
      : await followUntil(deps, transfer, hasLeftPending, deadline);
    return { transfer: settled, replayed };
  } finally {
    watch.close();
  }
}

/**
 * The transfer once its status is `done`, or at the deadline as it then
 * stands. `known` needs no watch when it is done already (statuses only move
 * forward); otherwise the watch opens first and the row is read once after it,
 * since it may have moved since `known` was read.
 */
async function followUntil(deps: TransferDeps, known: TransferRecord, done: TransferCondition, deadline: number): Promise<TransferRecord> {
  if (meetsCondition(known, done)) return known;
  const watch = deps.statusListener.watch(known.id, done);
  try {
    const seen = (await deps.store.getTransfer(known.id)) ?? known;
    return await waitForStatus({ watch, seen, read: () => deps.store.getTransfer(known.id), done, deadline });
  } finally {
    watch.close();
  }
}

/** The transfer; a 404 when there is none, or when the request may see only `owner`'s transfers and another principal created it. */
export async function getTransferOr404(deps: TransferDeps, id: string, owner: string | null = null): Promise<TransferRecord> {
  const transfer = await deps.store.getTransfer(id);
  if (!transfer || hiddenFrom(owner, transfer.createdBy)) throw notFound('transfer', id);
  return transfer;
}

const UPDATES = { approve: approveUpdate, reject: rejectUpdate, cancel: cancelUpdate };
const SIGNALS = { approve: approveSignal, reject: rejectSignal, cancel: cancelSignal };
/** Left of the wait cap for what follows an update not answered in time (the signal, one read). */
const AFTER_UPDATE_MS = 500;

/**
 * Takes a decision on a transfer and answers with the transfer as the
 * decision left it. A status the transfers table shows as not allowing it is
 * a 409 at once; otherwise the decision goes to the workflow as an Update,
 * whose validator is the authority (a concurrent other decision, a capture
 * under way: 409 with the workflow's reason) and whose answer comes once the
 * outcome is recorded, so the row read then is the outcome (`posted`,
 * `failed`, `cancelled`). When no answer comes within the wait cap (a worker
 * down or busy, a step retrying), or the update failed without the workflow's
 * refusal (its run closed under it), the decision is sent as a signal too,
 * which Temporal keeps durably (the update, unaccepted, may be lost), and the
 * answer is the transfer as it stands, for the client to follow at its
 * Location (a closed run: the signal finds none, and the answer is the
 * transfer finalized).
 *
 * A transfer whose workflow closed without an outcome (terminated) takes no
 * decision any more: it is finalized (closed-workflows.ts), and every decision
 * on it answers that final state (the contract), never a 409 naming the state
 * its row was left in.
 *
 * Four-eyes comes first (fourEyesApplies): the creator's own approve or
 * reject is a 403 whatever the transfer's state, and the workflow's validator
 * refuses it too. `principal` is the decider, sent with the decision and
 * recorded as the transfer's `decidedBy`; `owner`, when set, limits the
 * request to that principal's transfers (a submitter's cancel).
 */
export async function decide(deps: TransferDeps, id: string, decision: Decision, principal: Principal, owner: string | null = null): Promise<TransferRecord> {
  const deadline = Date.now() + WAIT_MS_MAX;
  const transfer = await getTransferOr404(deps, id, owner);
  if (transfer.batchId !== null) throw batchItemConflict(decision, transfer);
  if (decision !== 'cancel' && fourEyesApplies(transfer) && transfer.createdBy === principal.id) throw selfApprovalForbidden(id, decision, principal.id);
  if (endedWithoutOutcome(transfer)) return transfer;
  if (!isDecisionAllowedFrom(decision, transfer.status)) {
    // Not final, yet not allowed (approve a pending one): answered by the final state if its workflow is gone.
    const finalized = isTerminalStatus(transfer.status) ? null : await finalizeOrUnavailable(deps, id);
    if (finalized) return finalized;
    throw stateConflict(decision, transfer);
  }
  const handle = deps.temporal.workflow.getHandle(transferWorkflowId(id));
  const by: DecisionInput = { principalId: principal.id };
  trace.getActiveSpan()?.setAttribute('ledger.transfer.decided_by', principal.id);
  try {
    const outcome = await deps.temporal.withDeadline(deadline - AFTER_UPDATE_MS, () => handle.executeUpdate(UPDATES[decision], { args: [by] }));
    deps.logger.info({ ...logFields(transfer), decision, decided_by: principal.id, outcome: outcome.status }, 'transfer decided');
    // Recorded before the update answered: this read is the outcome, with the row's every field.
    return await getTransferOr404(deps, id);
  } catch (error) {
    if (failureTypeOf(error) === SELF_APPROVAL_FAILURE_TYPE) throw selfApprovalForbidden(id, decision, principal.id);
    const refused = invalidStateOf(error);
    if (refused) throw conflict('transfer-state-conflict', `Cannot ${decision} transfer ${id}: ${refused}.`, INVALID_STATE);
    if (error instanceof WorkflowNotFoundError) return closedWorkflowAnswer(deps, id, decision);
    if (!(error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || error instanceof WorkflowUpdateFailedError)) {
      deps.logger.warn({ err: error, transfer_id: id, decision }, 'decision update failed');
      throw unavailable('temporal', 'The decision could not be delivered to the transfer; retry.');
    }
    deps.logger.info({ ...logFields(transfer), decision, reason: error.message }, 'decision update not answered; sending it as a signal');
    return signalDecision(deps, transfer, decision, by, deadline);
  }
}

/** The fallback: the decision as a signal (ignored when it does not fit), and the transfer once terminal or at the deadline. */
async function signalDecision(deps: TransferDeps, transfer: TransferRecord, decision: Decision, by: DecisionInput, deadline: number): Promise<TransferRecord> {
  try {
    await deps.temporal.workflow.getHandle(transferWorkflowId(transfer.id)).signal(SIGNALS[decision], by);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return closedWorkflowAnswer(deps, transfer.id, decision);
    throw unavailable('temporal', 'The decision could not be delivered to the transfer; retry.');
  }
  deps.logger.info({ ...logFields(transfer), decision, decided_by: by.principalId }, 'transfer decision sent');
  return followUntil(deps, transfer, isTerminalStatus, deadline);
}

/**
 * The answer to a decision that found the transfer's workflow closed: the
 * transfer finalized, when the workflow closed without an outcome; a 409
 * naming its status, when the workflow recorded one (it completed); a 503 when
 * the row is not final and Temporal has no workflow for it (the resumer
 * starts one) or the finalization could not be done now.
 */
async function closedWorkflowAnswer(deps: TransferDeps, id: string, decision: Decision): Promise<TransferRecord> {
  const finalized = await finalizeOrUnavailable(deps, id);
  if (finalized) return finalized;
  const transfer = await getTransferOr404(deps, id);
  if (isTerminalStatus(transfer.status)) throw stateConflict(decision, transfer);
  throw unavailable('temporal', 'The transfer has no running workflow yet; retry.');
}

function finalizeOrUnavailable(deps: TransferDeps, id: string): Promise<TransferRecord | null> {
  return finalizeIfWorkflowClosed(deps, id).catch((error: unknown) => {
    deps.logger.warn({ err: error, transfer_id: id }, 'could not finalize a transfer whose workflow may have closed');
    throw unavailable('temporal', 'The transfer could not be settled now; retry.');
  });
}

/** A transfer finalized after its workflow closed without an outcome: every decision answers it as it stands. */
function endedWithoutOutcome(transfer: TransferRecord): boolean {
  return transfer.status === 'failed' && transfer.failureCode === WORKFLOW_TERMINATED_FAILURE_CODE;
}

/** The ApplicationFailure type of an update the workflow refused or failed, or null for any other error. */
function failureTypeOf(error: unknown): string | null {
  if (!(error instanceof WorkflowUpdateFailedError) || !(error.cause instanceof ApplicationFailure)) return null;
  return error.cause.type ?? null;
}

/** The workflow's reason when its validator refused the decision, or null for any other failure. */
function invalidStateOf(error: unknown): string | null {
  if (failureTypeOf(error) !== INVALID_STATE_FAILURE_TYPE) return null;
  const cause = (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
  return (cause.details?.[0] as InvalidStateDetails | undefined)?.reason ?? 'its state does not allow it';
}

/**
 * Claims the reversal of a posted transfer for this principal's Idempotency-Key, starts
 * its workflow, and answers once the reversal has its outcome: the transfer
 * `reversed` (reversal `posted`), or still `posted` with its reversal
 * `refused` (a business refusal is an outcome, not a 4xx); or after
 * `WAIT_MS_MAX` as it then stands. The same key replays the first answer's
 * reversal; a refused reversal may be asked for again under a new key (the
 * client funded the destination), which claims a new reversal; a transfer
 * reversed (or being reversed) under another key is a 409 ALREADY_REVERSED;
 * one that is not posted, 409 INVALID_STATE.
 */
export async function reverse(
  deps: TransferDeps,
  id: string,
  { principal, idempotencyKey, traceId }: WriteOrigin,
): Promise<{ transfer: TransferRecord; replayed: boolean }> {
  const deadline = Date.now() + WAIT_MS_MAX;
  const claim = await deps.store.claimReversal(id, { reversalId: randomUUID(), principal, idempotencyKey, traceId });
  if (claim.outcome === 'not-found') throw notFound('transfer', id);
  if (claim.outcome === 'key-reused') throw idempotencyKeyReused('This Idempotency-Key asked for the reversal of another transfer.');
  const { transfer } = claim;
  // Started on a replay and on a 409 too: the request that claimed the reversal may have failed to start its
  // workflow (Temporal down), and a claimed reversal must not stay without one (the gateway's resumer starts it
  // too, api/resume-pending.ts). The running workflow makes it a no-op otherwise. A refused reversal is finished.
  if (transfer.reversal && transfer.status === 'posted' && !transfer.reversal.refusal) {
    await startReversalWorkflow(deps, id, { claimedNow: claim.outcome === 'claimed' });
  }
  if (claim.outcome === 'not-allowed') throw transfer.reversal ? alreadyReversed(transfer) : stateConflict('reverse', transfer);
  if (claim.outcome === 'claimed') deps.logger.info({ ...logFields(transfer), reversal_id: transfer.reversal?.id }, 'transfer reversal started');
  else deps.metrics.idempotencyHit('POST /v1/transfers/{id}/reverse');
  const settled = await followUntil(deps, transfer, reversalSettled, deadline);
  return { transfer: settled, replayed: claim.outcome === 'replayed' };
}

/** The `code` of a 409 for an action the transfer's status does not allow. */
export const INVALID_STATE = 'INVALID_STATE';
/** The `code` of a 409 for a second reversal of a transfer (under another Idempotency-Key). */
export const ALREADY_REVERSED = 'ALREADY_REVERSED';

function stateConflict(action: string, transfer: TransferRecord): AppError {
  return conflict('transfer-state-conflict', `Cannot ${action} transfer ${transfer.id}: it is ${transfer.status}.`, INVALID_STATE);
}

/**
 * A batch's item takes no decision: it never waits for approval (a batch
 * refuses such items), and it posts with its chunk, not on its own, so there
 * is nothing a cancel could stop. It may be reversed once posted.
 */
function batchItemConflict(decision: Decision, transfer: TransferRecord): AppError {
  return conflict(
    'transfer-state-conflict',
    `Cannot ${decision} transfer ${transfer.id}: it is item ${transfer.batchIndex} of transfer batch ${transfer.batchId}, and batch items take no decisions.`,
    INVALID_STATE,
  );
}

function alreadyReversed(transfer: TransferRecord): AppError {
  const state = transfer.status === 'reversed' ? 'is reversed' : 'is being reversed';
  return conflict(
    'transfer-already-reversed',
    `Transfer ${transfer.id} ${state} (reversal ${transfer.reversal?.id}); the Idempotency-Key of that reversal replays it.`,
    ALREADY_REVERSED,
  );
}

export function idempotencyKeyReused(detail: string): AppError {
  return new AppError(422, 'idempotency-key-reused', 'Idempotency key reused', detail, { code: 'IDEMPOTENCY_KEY_REUSED' });
}

/** The transfer and its creator on the request's span. */
function annotateSpan(transfer: TransferRecord): void {
  const span = trace.getActiveSpan();
  span?.setAttribute('ledger.transfer.id', transfer.id);
  if (transfer.createdBy !== null) span?.setAttribute('ledger.transfer.created_by', transfer.createdBy);
}

function logFields(transfer: TransferRecord) {
  return {
    transfer_id: transfer.id,
    created_by: transfer.createdBy ?? undefined,
    account_id: transfer.fromAccountId,
    to_account_id: transfer.toAccountId,
    amount_minor: transfer.amountMinor.toString(),
    currency: transfer.currency,
    status: transfer.status,
  };
}
