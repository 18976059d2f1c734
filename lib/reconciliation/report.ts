/**
 * What reconciliation compares and how a disagreement is named. Pure code with
 * no imports but types: the workflow bundle, the activities, the report store
 * and the gateway all share it.
 *
 * Seven checks, each over every subject in bounded pages:
 * - `ledgerBalances`: each ledger balance row against its own journal
 *   (posted = Σ credits − Σ debits of its lines; pending = Σ its reserved holds);
 * - `readModelBalances`: the read model's posted and pending per account
 *   against the ledger's;
 * - `transferEntries`: every posted or reversed transfer has exactly one
 *   non-reversal entry (the one it names), and no entry names a transfer that
 *   is not posted or reversed;
 * - `entryTransfers`: every ledger entry belongs to a transfer (its own
 *   transfer id, or that of the entry it reverses, names a transfers row);
 * - `transferReversals`: a transfer is `reversed` exactly when the ledger
 *   holds a reversing entry of its entry, and a reversed transfer's entries
 *   net to zero on each account;
 * - `transferWorkflows`: a transfer that is not final (`pending`,
 *   `awaiting_approval`) still has a running workflow to finish it;
 * - `reservedHolds`: a hold still reserved in the ledger belongs to a transfer
 *   whose saga is still running (not final, its workflow running), so
 *   something will capture or release it.
 * The last four are in saga-mismatches.ts.
 */
import type { TransferStatus } from '../transfers/status';

export const RECONCILIATION_CHECKS = [
  'ledgerBalances',
  'readModelBalances',
  'transferEntries',
  'entryTransfers',
  'transferReversals',
  'transferWorkflows',
  'reservedHolds',
] as const;
export type ReconciliationCheck = (typeof RECONCILIATION_CHECKS)[number];

/** The `check` label of the reconciliation_mismatches gauge (Prometheus names are snake case). */
export const CHECK_METRIC_LABELS: Readonly<Record<ReconciliationCheck, string>> = {
  ledgerBalances: 'ledger_balances',
  readModelBalances: 'read_model_balances',
  transferEntries: 'transfer_entries',
  entryTransfers: 'entry_transfers',
  transferReversals: 'transfer_reversals',
  transferWorkflows: 'transfer_workflows',
  reservedHolds: 'reserved_holds',
};

export type SubjectField = 'accountId' | 'transferId' | 'entryId' | 'holdId';

/** What a check's mismatches are about, and the field that names it in a report. */
export const CHECK_SUBJECT_FIELDS: Readonly<Record<ReconciliationCheck, SubjectField>> = {
  ledgerBalances: 'accountId',
  readModelBalances: 'accountId',
  transferEntries: 'transferId',
  entryTransfers: 'entryId',
  transferReversals: 'transferId',
  transferWorkflows: 'transferId',
  reservedHolds: 'holdId',
};

export const RECONCILIATION_STATUSES = ['running', 'completed', 'failed'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];
export type ReconciliationTrigger = 'api' | 'schedule';

/**
 * Mismatches recorded (and logged one by one) per check and run. Past it they
 * are still counted; a broken projection must not write a million rows a night.
 */
export const MISMATCHES_RECORDED_PER_CHECK_MAX = 1_000;

export interface Mismatch {
  /** The account, transfer, entry or hold id (CHECK_SUBJECT_FIELDS). */
  subjectId: string;
  kind: string;
  /**
   * What each side says, shaped as the public report shows it (amounts as
   * decimal strings named like the API's balances: `posted`, `pending`).
   */
  detail: Record<string, string | string[] | null | ShownBalance | AccountNet[]>;
}

/** An account's net movement (Σ credits − Σ debits, minor units) over some entries. */
export interface AccountNet {
  accountId: string;
  net: string;
}

/** A balance as a report shows it. */
export interface ShownBalance {
  currency: string;
  posted: string;
  pending: string;
}

export interface CheckCounts {
  /** Subjects compared. */
  checked: number;
  /** Subjects that still disagreed when re-checked. */
  mismatches: number;
  /** Of those, how many the report holds (at most MISMATCHES_RECORDED_PER_CHECK_MAX). */
  recorded: number;
}

export type ReconciliationCounts = Record<ReconciliationCheck, CheckCounts>;

export function emptyCounts(): ReconciliationCounts {
  return Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, { checked: 0, mismatches: 0, recorded: 0 }])) as ReconciliationCounts;
}

/**
 * Counts as stored or carried by a run that may predate a check: the checks
 * it lacks count zero (a report written before a check existed never ran it).
 */
export function withAllChecks(counts: Partial<ReconciliationCounts>): ReconciliationCounts {
  return { ...emptyCounts(), ...counts };
}

// ------------------------------------------------------------ ledger balances

export interface LedgerBalanceCheckRow {
  accountId: string;
  currency: string;
  postedMinor: string;
  /** Σ credits − Σ debits of the account's entry lines. */
  postedFromLinesMinor: string;
  pendingMinor: string;
  /** Σ amounts of the holds reserved on the account (as source). */
  pendingFromHoldsMinor: string;
}

export function ledgerBalanceMismatch(row: LedgerBalanceCheckRow): Mismatch | null {
  const posted = BigInt(row.postedMinor) !== BigInt(row.postedFromLinesMinor);
  const pending = BigInt(row.pendingMinor) !== BigInt(row.pendingFromHoldsMinor);
  if (!posted && !pending) return null;
  const detail = {
    currency: row.currency,
    posted: row.postedMinor,
    postedFromEntries: row.postedFromLinesMinor,
    pending: row.pendingMinor,
    pendingFromHolds: row.pendingFromHoldsMinor,
  };
  return { subjectId: row.accountId, kind: differenceKind(posted, pending), detail };
}

// ------------------------------------------------------------ read model vs ledger

export interface BalanceSnapshot {
  currency: string;
  postedMinor: string;
  pendingMinor: string;
}

/**
 * A missing row counts as a zero balance: the read model knows accounts the
 * ledger has never moved (created, never used), and an account the ledger
 * moved back to zero needs no row. A missing row facing a non-zero balance is
 * a mismatch of its own kind (e.g. events the ledger never wrote).
 */
export function readModelMismatch(accountId: string, ledger: BalanceSnapshot | null, readModel: BalanceSnapshot | null): Mismatch | null {
  if (ledger === null && readModel === null) return null;
  const detail = { ledger: shown(ledger), readModel: shown(readModel) };
  if (ledger === null) return readModel === null || isZero(readModel) ? null : { subjectId: accountId, kind: 'missing_in_ledger', detail };
  if (readModel === null) return isZero(ledger) ? null : { subjectId: accountId, kind: 'missing_in_read_model', detail };
  if (ledger.currency !== readModel.currency) return { subjectId: accountId, kind: 'currency_differs', detail };
  const posted = BigInt(ledger.postedMinor) !== BigInt(readModel.postedMinor);
  const pending = BigInt(ledger.pendingMinor) !== BigInt(readModel.pendingMinor);
  if (!posted && !pending) return null;
  return { subjectId: accountId, kind: differenceKind(posted, pending), detail };
}

function shown(balance: BalanceSnapshot | null): ShownBalance | null {
  return balance && { currency: balance.currency, posted: balance.postedMinor, pending: balance.pendingMinor };
}

function isZero(balance: BalanceSnapshot): boolean {
  return BigInt(balance.postedMinor) === 0n && BigInt(balance.pendingMinor) === 0n;
}

function differenceKind(posted: boolean, pending: boolean): string {
  if (posted && pending) return 'posted_and_pending_differ';
  return posted ? 'posted_differs' : 'pending_differs';
}

// ------------------------------------------------------------ transfers vs entries

export interface TransferSnapshot {
  status: TransferStatus;
  entryId: string | null;
}

const SETTLED_STATUSES: readonly TransferStatus[] = ['posted', 'reversed'];

/**
 * `entryIds` are the transfer's non-reversal entries in the ledger (a reversal
 * names the transfer too, and is not a second posting of it).
 */
export function transferEntriesMismatch(transferId: string, transfer: TransferSnapshot | null, entryIds: readonly string[]): Mismatch | null {
  const detail = { status: transfer?.status ?? null, entryId: transfer?.entryId ?? null, ledgerEntryIds: [...entryIds] };
  if (transfer === null) return entryIds.length === 0 ? null : { subjectId: transferId, kind: 'unknown_transfer', detail };
  if (!SETTLED_STATUSES.includes(transfer.status)) {
    return entryIds.length === 0 ? null : { subjectId: transferId, kind: 'entry_for_unposted_transfer', detail };
  }
  if (entryIds.length === 0) return { subjectId: transferId, kind: 'missing_entry', detail };
  if (entryIds.length > 1) return { subjectId: transferId, kind: 'duplicate_entries', detail };
  if (entryIds[0] !== transfer.entryId) return { subjectId: transferId, kind: 'entry_id_differs', detail };
  return null;
}

export function isSettledStatus(status: TransferStatus): boolean {
  return SETTLED_STATUSES.includes(status);
}
