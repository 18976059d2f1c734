/**
 * What the gateway, the worker, the activities and the workflows share about
 * transfers (the contract's home, so no layer imports another's code): the
 * workflow ids, signal, update and query definitions, search attribute
 * keys, inputs and results, and the error types that are not retried.
 *
 * Reversal is a separate short workflow (`reverseTransferWorkflow`, id
 * `reverse-<transferId>`) rather than a signal to a transfer workflow kept
 * open: a reversal may come months after posting, and an open workflow per
 * posted transfer would grow without bound. The gateway starts it for a
 * `posted` transfer whose reversal it claimed; the ledger posts at most one
 * reversal of an entry, under an id derived from the workflow id, so no run
 * of it can reverse a transfer twice.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { amountMinorOf } from '../money';
import type { TransferStatus } from '../transfers/status';
import type { Decision } from './decisions';

export type { TransferStatus } from '../transfers/status';
export { TERMINAL_STATUSES, isTerminalStatus } from '../transfers/status';

/** Workflow type names, for a client that starts by name instead of importing the functions. */
export const TRANSFER_WORKFLOW_TYPE = 'transferWorkflow';
export const REVERSE_TRANSFER_WORKFLOW_TYPE = 'reverseTransferWorkflow';

export const transferWorkflowId = (transferId: string): string => `transfer-${transferId}`;
export const reverseTransferWorkflowId = (transferId: string): string => `reverse-${transferId}`;

/**
 * Start options the gateway must use: a closed transfer workflow is never run
 * again under its id, so a replayed request cannot post a transfer twice.
 */
export const TRANSFER_WORKFLOW_ID_REUSE_POLICY = 'REJECT_DUPLICATE' as const;

/**
 * The reversal's: a closed `reverse-<id>` may run again. A refused reversal
 * (its run closed) may be asked for again under a new Idempotency-Key, and
 * that claim needs a new run under the same id. Safe because a run cannot
 * post twice: the reversing entry's id is derived from the workflow id
 * (activities/ids.ts), the same in every run, and the ledger posts at most one
 * reversal per entry (unique `reverses_entry_id`), so a second run replays the
 * first one's entry or is told ENTRY_ALREADY_REVERSED. And a run started late
 * for a reversal refused meanwhile (a start decided on an older read) posts
 * nothing: reverseEntry finds the refusal recorded and stops
 * (activities/index.ts). Temporal still keeps one open run per id.
 */
export const REVERSE_WORKFLOW_ID_REUSE_POLICY = 'ALLOW_DUPLICATE' as const;

export interface TransferWorkflowInput {
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  /** Minor units, decimal digits (a string: JSON has no 64-bit integers). */
  amountMinor: string;
  currency: string;
  description: string;
  /** An amount at or above it waits for approval. */
  approvalThresholdMinor: string;
  approvalTimeoutMs: number;
  /**
   * The principal (API client id) that created the transfer. Absent when its
   * row names none (a transfer recorded before principals were).
   */
  createdBy?: string;
  /**
   * Four-eyes approval: an approve or reject must name a principal, and not
   * `createdBy`. The gateway sets it true, except in development mode (one
   * principal) and for a transfer with no createdBy (api/transfers.ts
   * fourEyesApplies).
   */
  fourEyes: boolean;
}

/** The `transferState` query's answer, and the workflow's result. */
export interface TransferState {
  status: TransferStatus;
  failureCode: string | null;
  failureMessage: string | null;
  entryId: string | null;
  holdId: string | null;
}

export type TransferWorkflowResult = TransferState;

export interface ReverseTransferInput {
  transferId: string;
  description?: string;
}

export type ReverseTransferResult =
  | { status: 'reversed'; reversalEntryId: string | null }
  | { status: 'refused'; failureCode: string; failureMessage: string };

/**
 * approve and reject act on a transfer in `awaiting_approval`; cancel on one
 * in `pending` or `awaiting_approval`. A signal that does not fit the status is
 * ignored (the gateway answers 409 after reading the status), and the first
 * decision wins: a cancel after an approve changes nothing.
 */
export const approveSignal = defineSignal<[DecisionInput]>('approve');
export const rejectSignal = defineSignal<[DecisionInput]>('reject');
export const cancelSignal = defineSignal<[DecisionInput]>('cancel');

/**
 * Who takes a decision: the gateway's principal, so the decider is in the
 * workflow's history (the signal's or update's input). The gateway always
 * names one; another Temporal client may leave it out (`undefined`), which
 * four-eyes refuses and a transfer without four-eyes takes, recording no
 * decider.
 */
export interface DecisionInput {
  principalId: string;
}

/**
 * The same decisions as Workflow Updates, what the gateway sends: the
 * validator refuses a decision the transfer's state does not allow (an
 * ApplicationFailure of type INVALID_STATE_FAILURE_TYPE, nothing recorded in
 * the history), and the handler answers with the state the decision led to,
 * once that state is recorded in the transfers table: approve → `posted` (or
 * `failed` with its code), reject → `cancelled` with failureCode REJECTED,
 * cancel → `cancelled`. The same decision twice is accepted and answers the
 * same outcome; another decision after one was taken is refused.
 *
 * The signals are the gateway's fallback when an update is not answered in
 * time (a worker down or busy): a signal is durable once sent, an update not
 * yet accepted is not (api/transfers.ts decide).
 */
export const approveUpdate = defineUpdate<TransferState, [DecisionInput]>('approve');
export const rejectUpdate = defineUpdate<TransferState, [DecisionInput]>('reject');
export const cancelUpdate = defineUpdate<TransferState, [DecisionInput]>('cancel');
/** The ApplicationFailure type of an update refused by its validator; details carry InvalidStateDetails. */
export const INVALID_STATE_FAILURE_TYPE = 'InvalidTransferState';
/**
 * The ApplicationFailure type of an approve or reject refused by four-eyes
 * (TransferWorkflowInput.fourEyes): its principal created the transfer, or it
 * names none. Details carry FourEyesDetails. A signal refused for the same
 * reason is ignored (and logged).
 */
export const SELF_APPROVAL_FAILURE_TYPE = 'SelfApprovalForbidden';

export interface FourEyesDetails {
  createdBy: string | null;
  /** The principal the refused decision named, or null when it named none. */
  principalId: string | null;
}

/**
 * Memo fields of a transfer's workflow, shown in the Temporal UI: `createdBy`
 * (start option, set by the gateway) and `decidedBy` (upserted by the
 * workflow when a decision naming its principal is taken).
 */
export const CREATED_BY_MEMO = 'createdBy';
export const DECIDED_BY_MEMO = 'decidedBy';

export interface InvalidStateDetails {
  /** The transfer's status in the workflow when the decision was refused. */
  status: TransferStatus;
  /** The decision taken already, when one was (the refused one differs from it). */
  decided: Decision | null;
  /** Why, for the 409's detail: "it is posted", "it was rejected already", "its outcome is being settled". */
  reason: string;
}
export const transferStateQuery = defineQuery<TransferState>('transferState');

/** Custom search attributes registered on the namespace: those of deploy/search-attributes.txt (test/deploy/shared-names.unit.test.ts). */
export const TransferStatusKey = defineSearchAttributeKey('TransferStatus', SearchAttributeType.KEYWORD);
export const FromAccountIdKey = defineSearchAttributeKey('FromAccountId', SearchAttributeType.KEYWORD);
export const ToAccountIdKey = defineSearchAttributeKey('ToAccountId', SearchAttributeType.KEYWORD);
/** Set only when the amount is a safe JS integer (search attributes carry a number); the transfers table has the exact amount. */
export const AmountMinorKey = defineSearchAttributeKey('AmountMinor', SearchAttributeType.INT);
/**
 * The transfer's id, on both of its workflows (transfer-<id> and reverse-<id>),
 * set by whoever starts them (transferStartSearchAttributes): `TransferId = '<id>'`
 * lists both, and `TransferId = '<id>' AND TransferStatus = 'reversed'` finds
 * the transfer reversed (a closed transfer-<id> keeps its last status, `posted`).
 */
export const TransferIdKey = defineSearchAttributeKey('TransferId', SearchAttributeType.KEYWORD);
/**
 * A transfer batch's id, on its workflow (transfer-batch-<id>): with
 * TransferStatus (`pending`, `completed`, `failed` for a batch), the Temporal
 * UI lists batches by status: `WorkflowType = 'transferBatchWorkflow' AND TransferStatus = 'failed'`.
 */
export const BatchIdKey = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const TRANSFER_SEARCH_ATTRIBUTE_KEYS = [TransferStatusKey, FromAccountIdKey, ToAccountIdKey, AmountMinorKey, TransferIdKey, BatchIdKey] as const;

/** The search attributes a transfer's workflows start with (start options, so no workflow command and nothing to replay). */
export const transferStartSearchAttributes = (transferId: string): SearchAttributePair[] => [{ key: TransferIdKey, value: transferId }];

/**
 * A transfer's own search attributes as it begins: `pending`, its accounts and
 * its amount (only when a safe JS integer: the attribute carries a number; the
 * transfers table has the exact amount). The gateway starts the workflow with
 * them (start options: no workflow command).
 */
export function transferSearchAttributes(input: Pick<TransferWorkflowInput, 'fromAccountId' | 'toAccountId' | 'amountMinor'>): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: TransferStatusKey, value: 'pending' },
    { key: FromAccountIdKey, value: input.fromAccountId },
    { key: ToAccountIdKey, value: input.toAccountId },
  ];
  // Validated already, by the gateway.
  if (amountMinorOf(input.amountMinor, 'amountMinor') <= BigInt(Number.MAX_SAFE_INTEGER)) {
    pairs.push({ key: AmountMinorKey, value: Number(input.amountMinor) });
  }
  return pairs;
}

/** What the gateway starts a transfer's workflow with: its id and its own attributes. */
export const transferWorkflowStartSearchAttributes = (input: TransferWorkflowInput): SearchAttributePair[] => [
  ...transferStartSearchAttributes(input.transferId),
  ...transferSearchAttributes(input),
];

/**
 * ApplicationFailure types that are not retried. `TransferRefusedError` is a
 * business refusal whose details carry `{ code }`; the others are client error
 * classes (lib/clients/errors.ts) meaning a bug or a contract mismatch, or a
 * hold that was captured when it should have been voided.
 */
export const FailureTypes = {
  refused: 'TransferRefusedError',
  conflict: 'ConflictError',
  unexpectedResponse: 'UnexpectedResponseError',
  holdAlreadyCaptured: 'HoldAlreadyCapturedError',
} as const;
export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.values(FailureTypes);

export interface RefusalDetails {
  code: string;
}

/** Details of a HoldAlreadyCapturedError: the entry the hold was captured into. */
export interface HoldCapturedDetails {
  entryId: string | null;
}
