/**
 * The history format shared with the Go checker (test/history/checker): one
 * JSON object per line, in the order events happened. Money stays a decimal
 * string from the API to the file; the checks turn it into bigint.
 */
import type { Decision } from '../../lib/workflow-contract/decisions';

export type EventType = 'setup' | 'invoke' | 'ok' | 'fail' | 'info' | 'resolve';
/** A client's number, the nemesis, the setup; or, in the Go checker's history only, a batch item's own (go-history.ts). */
export type Process = number | 'nemesis' | 'setup' | `${number}/b${number}/${number}`;
export type ClientFn = 'transfer' | 'batch' | Decision | 'reverse' | 'balance' | 'statement';
export type Fn = ClientFn | 'terminate' | 'fault-start' | 'fault-stop';
export type { Decision } from '../../lib/workflow-contract/decisions';

export interface HistoryEvent {
  index: number;
  /** Nanoseconds since the recording started. */
  time: number;
  type: EventType;
  process: Process;
  f?: Fn;
  /** The Idempotency-Key of a transfer or a reversal. */
  key?: string;
  value: any;
}

export interface SetupAccount {
  creditLimitMinor: string;
  openingPostedMinor: string;
  /** The funding transfer that opened the account: its entry heads the statement and belongs to no client op. */
  fundingTransferId: string;
}

export interface SetupValue {
  approvalThresholdMinor: string;
  groups: Record<string, { accounts: Record<string, SetupAccount> }>;
}

export interface StatementItem {
  entryId: string;
  transferId: string;
  postedAt: string;
  direction: 'debit' | 'credit';
  amountMinor: string;
  balanceAfterMinor: string;
}

/** A transfer as read back at the end of the run. */
export interface FinalTransfer {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: string;
  status: string;
  failureCode: string | null;
  reversalStatus: string | null;
}

/** A transfer batch as read back at the end of the run, with its items in index order. */
export interface FinalBatch {
  id: string;
  mode: 'atomic' | 'independent';
  status: string;
  itemCount: number;
  postedCount: number;
  failedCount: number;
  failureCode: string | null;
  failureIndex: number | null;
  items: Array<{ transferId: string; batchIndex: number; status: string; failureCode: string | null }>;
}

/** What the run reads once everything is healed, settled and resolved. */
export interface FinalSnapshot {
  statements: Record<string, StatementItem[]>;
  transfers: Record<string, FinalTransfer>;
  /** Each account's balance as the API serves it once settled. */
  balances: Record<string, { postedMinor: string; pendingMinor: string; availableMinor: string }>;
  reconciliation: { id: string | null; status: string; mismatches: number; detail: string };
  /** Every batch a batch op was answered with (absent in snapshots of runs before batches). */
  batches?: Record<string, FinalBatch>;
}

export const FINAL_STATUSES = new Set(['posted', 'failed', 'cancelled', 'expired', 'reversed']);

export function parseHistory(text: string): HistoryEvent[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as HistoryEvent);
}

export function setupOf(history: HistoryEvent[]): SetupValue {
  const setup = history.find((e) => e.type === 'setup');
  if (!setup) throw new Error('the history has no setup line');
  return setup.value as SetupValue;
}
