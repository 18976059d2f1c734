/**
 * The transfer activities: thin calls to the ledger service and
 * to the transfers table. They come from a factory that receives the clients
 * (the worker passes real ones, tests pass fakes). The ids the ledger
 * dedupes on are derived from the workflow id and the step, never chosen at
 * random, so a retried or replayed step repeats the same request.
 *
 * Errors: a business refusal becomes an ApplicationFailure of type
 * TransferRefusedError carrying `{ code }` (not retried); transport trouble and
 * 5xx stay TransientServiceError (retried without limit); ConflictError and
 * UnexpectedResponseError keep their class name as type (not retried: a bug).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { present } from '../lib/assert';
import { LedgerRefusalError, type LedgerApi } from '../lib/clients';
import { releaseTransferHold } from '../lib/transfers/hold-release';
import { isTerminalStatus, type TransferStatus } from '../lib/transfers/status';
import type { TransferRecord, TransferStore } from '../lib/transfers/store';
import { FailureTypes, transferWorkflowId, type HoldCapturedDetails, type RefusalDetails } from '../lib/workflow-contract';
import { entryIdFor, holdIdFor, reversalEntryIdFor } from './ids';
import { createTransferMetrics, type TransferMetrics } from './metrics';

export interface ActivityDeps {
  ledger: LedgerApi;
  transfers: Pick<TransferStore, 'recordStatus' | 'recordReversalRefused' | 'getTransfer'>;
  logger: Logger;
  /** Where the transfer counters are registered; without it nothing is counted. */
  registry?: Registry;
  /**
   * How long a hold reserved for approval outlives the approval timeout
   * (HOLD_EXPIRY_MARGIN): its expiry is the ledger's safety net for a hold
   * whose workflow is gone, and must never come before the workflow's own
   * approval timer. Without it the hold gets no expiry.
   */
  holdExpiryMarginMs?: number;
}

/** The transfer's accounts, as the ledger's reserve checks them. */
export interface TransferAccountsInput {
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  currency: string;
}

export interface ReserveHoldInput extends TransferAccountsInput {
  amountMinor: string;
  /** The workflow's approval timeout (its input's), for the hold's expiry. */
  approvalTimeoutMs: number;
}

export interface ReserveAndCaptureInput extends TransferAccountsInput {
  amountMinor: string;
  description: string;
}

export interface CaptureHoldInput {
  transferId: string;
  description: string;
}

export interface VoidHoldInput {
  transferId: string;
  reason: string;
}

export interface ReverseEntryInput {
  transferId: string;
  description?: string;
}

export interface RecordTransferStatusInput {
  transferId: string;
  status: TransferStatus;
  failureCode?: string | null;
  failureMessage?: string | null;
  entryId?: string | null;
  reversalEntryId?: string | null;
  /** The saga ran its compensations before reaching this status. */
  compensated?: boolean;
  /** The principal whose approve, reject or cancel led here; null when none was taken or it named none. */
  decidedBy?: string | null;
}

export interface RecordReversalRefusedInput {
  transferId: string;
  failureCode: string;
  failureMessage: string;
}

export type TransferActivities = ReturnType<typeof createActivities>;

export function createActivities(deps: ActivityDeps) {
  const metrics = deps.registry ? createTransferMetrics(deps.registry) : undefined;

  return {
    /** Reserves the amount on the source under the hold id of this workflow. */
    async reserveHold(input: ReserveHoldInput): Promise<{ holdId: string }> {
      const workflowId = currentWorkflowId();
      const holdId = holdIdFor(workflowId);
      const request = {
        holdId,
        transferId: input.transferId,
        fromAccountId: input.fromAccountId,
        toAccountId: input.toAccountId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        expiresAt: holdExpiry(input.approvalTimeoutMs, deps.holdExpiryMarginMs),
      };
      const hold = await call(() => deps.ledger.reserveHold(request));
      logFor(deps.logger, input.transferId).info({ hold_id: hold.holdId, amount_minor: input.amountMinor, currency: input.currency }, 'hold reserved');
      return { holdId: hold.holdId };
    },

    /**
     * Reserves and captures this workflow's hold in one ledger call (one
     * transaction), for a transfer that needs no approval: the same hold and
     * entry ids as a reserve and a capture would use, so the void of the
     * saga and a later look-up find them.
     */
    async reserveAndCaptureHold(input: ReserveAndCaptureInput): Promise<{ holdId: string; entryId: string }> {
      const workflowId = currentWorkflowId();
      const request = {
        holdId: holdIdFor(workflowId),
        transferId: input.transferId,
        fromAccountId: input.fromAccountId,
        toAccountId: input.toAccountId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        entryId: entryIdFor(workflowId),
        description: input.description,
      };
      const { hold, entry } = await call(() => deps.ledger.reserveAndCaptureHold(request));
      logFor(deps.logger, input.transferId).info({ hold_id: hold.holdId, entry_id: entry.entryId, amount_minor: input.amountMinor, currency: input.currency }, 'hold reserved and captured');
      return { holdId: hold.holdId, entryId: entry.entryId };
    },

    /** Captures this workflow's hold into its journal entry. */
    async captureHold(input: CaptureHoldInput): Promise<{ holdId: string; entryId: string }> {
      const workflowId = currentWorkflowId();
      const holdId = holdIdFor(workflowId);
      const request = { entryId: entryIdFor(workflowId), description: input.description };
      const { entry } = await call(() => deps.ledger.captureHold(holdId, request));
      logFor(deps.logger, input.transferId).info({ hold_id: holdId, entry_id: entry.entryId }, 'hold captured');
      return { holdId, entryId: entry.entryId };
    },

    /**
     * Voids this workflow's hold: the saga's compensation, safe to repeat. A
     * hold that was never reserved, or is voided or expired already, is fine;
     * one that was captured is not (money moved), and is not retried.
     */
    async voidHold(input: VoidHoldInput): Promise<void> {
      const workflowId = currentWorkflowId();
      const holdId = holdIdFor(workflowId);
      const log = logFor(deps.logger, input.transferId).child({ hold_id: holdId });
      const release = await call(() => releaseTransferHold(deps.ledger, { holdId, reason: input.reason }));
      if (release.captured) {
        log.warn({ entry_id: release.entryId }, 'hold to void was captured: the transfer is posted');
        const details: HoldCapturedDetails = { entryId: release.entryId };
        throw ApplicationFailure.create({ type: FailureTypes.holdAlreadyCaptured, message: `hold ${holdId} was captured, not voided`, details: [details] });
      }
      log.info({ reason: input.reason, hold_status: release.holdStatus }, release.holdStatus === null ? 'no hold to void' : 'hold released');
    },

    /**
     * Posts the reversing entry of a posted transfer's entry, under the
     * reversal id of this workflow. Not when the transfer's reversal is
     * recorded refused: a run started late, for a reversal refused meanwhile
     * (reverse-<id> may run again: REVERSE_WORKFLOW_ID_REUSE_POLICY), must not
     * post what its client was told was refused; it ends refused the same way.
     * A new claim of the reversal clears the refusal, and asks the ledger
     * under a reversal id of its own (the ledger keeps the old id's refusal).
     */
    async reverseEntry(input: ReverseEntryInput): Promise<{ entryId: string; reversalEntryId: string }> {
      const recorded = await deps.transfers.getTransfer(input.transferId);
      const refusal = recorded?.status === 'posted' ? recorded.reversal?.refusal : null;
      if (refusal) throw refused(refusal.code, refusal.message ?? `the reversal of transfer ${input.transferId} was refused`);
      const workflowId = currentWorkflowId();
      // A batch's item was posted under its batch's entry id (ids.ts), recorded on its row; a transfer's is derived.
      const entryId = recorded?.batchId ? present(recorded.entryId, `the entry of posted batch item ${input.transferId}`) : entryIdFor(transferWorkflowId(input.transferId));
      const request = { reversalEntryId: reversalEntryIdFor(workflowId, recorded?.reversal?.id), description: input.description };
      const entry = await call(() => deps.ledger.reverseEntry(entryId, request));
      logFor(deps.logger, input.transferId).info({ entry_id: entryId, reversal_entry_id: entry.entryId }, 'entry reversed');
      return { entryId, reversalEntryId: entry.entryId };
    },

    /** Records the ledger's refusal of the transfer's reversal (the transfer stays posted); a repeat changes nothing. */
    async recordReversalRefused(input: RecordReversalRefusedInput): Promise<void> {
      const log = logFor(deps.logger, input.transferId);
      const { applied, transfer } = await deps.transfers.recordReversalRefused(input.transferId, { failureCode: input.failureCode, failureMessage: input.failureMessage });
      if (!transfer) {
        log.warn({ failure_code: input.failureCode }, 'no transfers row for this workflow; reversal refusal not recorded');
        return;
      }
      if (!applied) {
        log.info({ failure_code: input.failureCode, recorded_status: transfer.status }, 'reversal refusal not recorded again');
        return;
      }
      log.info({ reversal_id: transfer.reversal?.id, failure_code: input.failureCode }, 'reversal refusal recorded');
    },

    /** Writes a status move to the transfers table; a move the table refuses (a repeat) changes and counts nothing. */
    async recordTransferStatus(input: RecordTransferStatusInput): Promise<void> {
      const log = logFor(deps.logger, input.transferId);
      const { applied, transfer } = await deps.transfers.recordStatus(input.transferId, {
        status: input.status,
        failureCode: input.failureCode,
        failureMessage: input.failureMessage,
        entryId: input.entryId,
        reversalEntryId: input.reversalEntryId,
        decidedBy: input.decidedBy,
      });
      if (!transfer) {
        log.warn({ status: input.status }, 'no transfers row for this workflow; status not recorded');
        return;
      }
      if (!applied) {
        log.info({ status: input.status, recorded_status: transfer.status }, 'status not moved');
        return;
      }
      log.info(
        { status: input.status, failure_code: input.failureCode ?? undefined, entry_id: input.entryId ?? undefined, decided_by: input.decidedBy ?? undefined },
        'transfer status recorded',
      );
      if (metrics) countOutcome(metrics, transfer, input.compensated ?? false);
    },
  };
}

/**
 * When a hold reserved now may be released by the ledger's expiry pass: the
 * approval timeout (the workflow's timer starts after this reserve, so it
 * fires before) plus the margin; null without a margin. Read from the clock at
 * each attempt: the ledger keeps the first reserve's expiry and replays it to
 * a retry whose expiry differs (services/ledger/holds.ts).
 */
function holdExpiry(approvalTimeoutMs: number, marginMs: number | undefined): string | null {
  if (marginMs === undefined) return null;
  return new Date(Date.now() + approvalTimeoutMs + marginMs).toISOString();
}

function currentWorkflowId(): string {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  // Ids are derived from it: an activity run outside a workflow has nothing to derive them from.
  if (!workflowId) throw ApplicationFailure.nonRetryable('transfer activities run only inside a workflow', 'MissingWorkflowContext');
  return workflowId;
}

function logFor(logger: Logger, transferId: string): Logger {
  return logger.child({ transfer_id: transferId });
}

/**
 * A refusal is the transfer's outcome, not a fault: not retried, and BENIGN,
 * so the SDK logs it at DEBUG (not a WARN with a stack per refused transfer)
 * and leaves it out of its activity-failure metrics. The workflow logs it once,
 * at INFO, with its code (workflows/transfer.ts).
 */
function refused(code: string, message: string): ApplicationFailure {
  const details: RefusalDetails = { code };
  return ApplicationFailure.create({
    type: FailureTypes.refused,
    message,
    details: [details],
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** Business refusals become TransferRefusedError; everything else goes on as it is (its class name decides retrying). */
function asActivityFailure(error: unknown): unknown {
  if (error instanceof LedgerRefusalError) return refused(error.code, error.message);
  return error;
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asActivityFailure(error);
  }
}

function countOutcome(metrics: TransferMetrics, transfer: TransferRecord, compensated: boolean): void {
  if (!isTerminalStatus(transfer.status) || transfer.status === 'reversed') return;
  if (transfer.status === 'posted') metrics.completed.inc();
  if (transfer.status === 'failed') metrics.failed.inc({ reason: transfer.failureCode ?? 'UNKNOWN' });
  if (compensated) metrics.compensated.inc();
  const latencySeconds = Math.max(0, (transfer.updatedAt.getTime() - transfer.createdAt.getTime()) / 1000);
  metrics.latency.observe({ status: transfer.status }, latencySeconds);
}

export { createReconciliationActivities, type ReconciliationActivities, type ReconciliationDeps } from './reconciliation';
