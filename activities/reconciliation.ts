/**
 * The reconciliation activities: read one bounded page of a check and name
 * its suspects, re-check suspects and record the ones that still disagree,
 * open and finish the report. They come from a factory that receives the
 * clients and the store (the worker passes real ones, tests pass fakes).
 *
 * A scan compares what the systems say at slightly different instants, so a
 * suspect may be a write in flight (an event not yet projected, a transfer
 * captured but not yet recorded `posted`). The workflow lets suspects settle,
 * then `confirmMismatches` reads them again; only what still disagrees is a
 * mismatch: recorded in the report and logged at ERROR, one line each.
 */
import type { Logger } from 'pino';
import type { BalanceRowDto } from '../lib/contracts/ledger';
import type { LedgerReconciliationApi, ReadModelApi } from '../lib/clients';
import {
  CHECK_METRIC_LABELS,
  CHECK_SUBJECT_FIELDS,
  RECONCILIATION_CHECKS,
  isSettledStatus,
  ledgerBalanceMismatch,
  readModelMismatch,
  transferEntriesMismatch,
  type BalanceSnapshot,
  type Mismatch,
  type ReconciliationCheck,
  type ReconciliationCounts,
  type ReconciliationTrigger,
  type SubjectField,
} from '../lib/reconciliation/report';
import { keyAfterFullPage } from '../lib/pages';
import type { ReconciliationStore, TransferRow } from '../lib/reconciliation/store';
import type { ReconciliationMetrics } from './metrics';
import { decodePassCursor, encodePassCursor, inChunks, notNull, type Check, type PassCursor, type ScanPageResult } from './reconciliation-check';
import { entryTransfersCheck, reservedHoldsCheck, transferReversalsCheck, transferWorkflowsCheck, type TransferWorkflowsApi } from './reconciliation-saga-checks';

export type { ScanPageResult } from './reconciliation-check';

export interface ReconciliationDeps {
  ledger: LedgerReconciliationApi;
  readModel: ReadModelApi;
  store: ReconciliationStore;
  /** What Temporal says of transfers' workflows. */
  workflows: TransferWorkflowsApi;
  logger: Logger;
  /** Where the reconciliation_mismatches gauge lives; without it nothing is shown. */
  metrics?: ReconciliationMetrics;
}

export interface OpenReportInput {
  reportId: string;
  trigger: ReconciliationTrigger;
}

export interface ScanPageInput {
  check: ReconciliationCheck;
  /** Opaque; null for the first page of a check. */
  cursor: string | null;
  limit: number;
}

export interface ConfirmInput {
  check: ReconciliationCheck;
  reportId: string;
  subjectIds: string[];
  /** How many more mismatches this check may record in the report (the rest are only counted). */
  recordLimit: number;
}

export interface ConfirmResult {
  mismatches: number;
  recorded: number;
}

export interface CompleteReportInput {
  reportId: string;
  counts: ReconciliationCounts;
}

export interface FailReportInput {
  reportId: string;
  failureMessage: string;
}

export type ReconciliationActivities = ReturnType<typeof createReconciliationActivities>;

export function createReconciliationActivities(deps: ReconciliationDeps) {
  const checks: Record<ReconciliationCheck, Check> = {
    ledgerBalances: ledgerBalancesCheck(deps),
    readModelBalances: readModelBalancesCheck(deps),
    transferEntries: transferEntriesCheck(deps),
    entryTransfers: entryTransfersCheck(deps),
    transferReversals: transferReversalsCheck(deps),
    transferWorkflows: transferWorkflowsCheck(deps),
    reservedHolds: reservedHoldsCheck(deps),
  };

  return {
    async openReconciliationReport(input: OpenReportInput): Promise<{ startedAt: string }> {
      const report = await deps.store.openReport(input.reportId, input.trigger);
      deps.logger.info({ report_id: report.id, trigger: report.trigger }, 'reconciliation started');
      return { startedAt: report.startedAt.toISOString() };
    },

    async scanReconciliationPage(input: ScanPageInput): Promise<ScanPageResult> {
      return checks[input.check].scan(input.cursor, input.limit);
    },

    async confirmMismatches(input: ConfirmInput): Promise<ConfirmResult> {
      const mismatches = (await checks[input.check].evaluate([...new Set(input.subjectIds)])).sort((a, b) => (a.subjectId < b.subjectId ? -1 : 1));
      const recorded = mismatches.slice(0, Math.max(0, input.recordLimit));
      await deps.store.recordMismatches(input.reportId, input.check, recorded);
      logMismatches(deps.logger, input, recorded, mismatches.length - recorded.length);
      return { mismatches: mismatches.length, recorded: recorded.length };
    },

    async completeReconciliationReport(input: CompleteReportInput): Promise<void> {
      const report = await deps.store.completeReport(input.reportId, input.counts);
      // The report as stored decides: a repeat of this activity shows the first completion's counts again.
      const counts = report?.counts ?? input.counts;
      deps.metrics?.show(Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [CHECK_METRIC_LABELS[check], counts[check].mismatches])));
      const total = RECONCILIATION_CHECKS.reduce((sum, check) => sum + counts[check].mismatches, 0);
      deps.logger[total > 0 ? 'warn' : 'info']({ report_id: input.reportId, counts, mismatches: total }, 'reconciliation completed');
    },

    async failReconciliationReport(input: FailReportInput): Promise<void> {
      await deps.store.failReport(input.reportId, input.failureMessage);
      deps.logger.error({ report_id: input.reportId, failure_message: input.failureMessage }, 'reconciliation failed');
    },
  };
}

const LOG_SUBJECT_FIELDS: Readonly<Record<SubjectField, string>> = { accountId: 'account_id', transferId: 'transfer_id', entryId: 'entry_id', holdId: 'hold_id' };

/** One ERROR line per recorded mismatch, named by its subject; one more for those past the record limit. */
function logMismatches(logger: Logger, input: ConfirmInput, recorded: Mismatch[], unrecorded: number): void {
  const field = LOG_SUBJECT_FIELDS[CHECK_SUBJECT_FIELDS[input.check]];
  const log = logger.child({ report_id: input.reportId, check: CHECK_METRIC_LABELS[input.check] });
  for (const mismatch of recorded) log.error({ [field]: mismatch.subjectId, kind: mismatch.kind, detail: mismatch.detail }, 'reconciliation mismatch');
  if (unrecorded > 0) log.error({ unrecorded }, 'reconciliation mismatches past the record limit: counted, not recorded or logged one by one');
}

// ------------------------------------------------------------ ledger balances vs journal

/** The ledger recomputes each balance from its journal in one statement; the rows it returns disagree. */
function ledgerBalancesCheck(deps: ReconciliationDeps): Check {
  return {
    async scan(cursor, limit) {
      const page = await deps.ledger.checkBalances({ cursor, limit });
      return { checked: page.checked, suspects: page.items.map((row) => row.accountId), nextCursor: page.nextCursor };
    },
    async evaluate(ids) {
      const rows = await inChunks(ids, async (chunk) => (await deps.ledger.checkBalances({ ids: chunk })).items);
      return rows.map(ledgerBalanceMismatch).filter(notNull);
    },
  };
}

// ------------------------------------------------------------ read model vs ledger

/** Where the merge of the two id-ordered lists stands: the last id consumed on each side. */
interface MergeCursor {
  ledger: string | null;
  readModel: string | null;
}

const encodeMerge = (cursor: MergeCursor): string => JSON.stringify(cursor);
const decodeMerge = (text: string | null): MergeCursor => (text === null ? { ledger: null, readModel: null } : (JSON.parse(text) as MergeCursor));

function snapshot(row: BalanceRowDto): BalanceSnapshot {
  return { currency: row.currency, postedMinor: row.postedMinor, pendingMinor: row.pendingMinor };
}

/**
 * A merge join of the ledger's and the read model's balance rows, both in
 * account-id order, so an account either side lacks is seen too. Each scan
 * reads one page from each side and compares the ids up to the smaller of the
 * two pages' last ids (past it, the other side has not been read yet).
 */
function readModelBalancesCheck(deps: ReconciliationDeps): Check {
  return {
    async scan(cursorText, limit) {
      const cursor = decodeMerge(cursorText);
      const [ledger, readModel] = await Promise.all([
        deps.ledger.listBalances({ cursor: cursor.ledger, limit }),
        deps.readModel.listBalances({ cursor: cursor.readModel, limit }),
      ]);
      const bounds = [ledger.nextCursor, readModel.nextCursor].filter(notNull).sort();
      const upper = bounds[0] ?? null;
      const within = (row: BalanceRowDto) => upper === null || row.accountId <= upper;
      const ledgerRows = new Map(ledger.items.filter(within).map((row) => [row.accountId, snapshot(row)]));
      const readModelRows = new Map(readModel.items.filter(within).map((row) => [row.accountId, snapshot(row)]));
      const ids = [...new Set([...ledgerRows.keys(), ...readModelRows.keys()])].sort();
      const suspects = ids.filter((id) => readModelMismatch(id, ledgerRows.get(id) ?? null, readModelRows.get(id) ?? null) !== null);
      const next: MergeCursor = { ledger: lastKey(ledgerRows) ?? cursor.ledger, readModel: lastKey(readModelRows) ?? cursor.readModel };
      return { checked: ids.length, suspects, nextCursor: upper === null ? null : encodeMerge(next) };
    },
    async evaluate(ids) {
      const [ledgerRows, readModelRows] = await Promise.all([
        inChunks(ids, async (chunk) => (await deps.ledger.listBalances({ ids: chunk })).items),
        inChunks(ids, async (chunk) => (await deps.readModel.listBalances({ ids: chunk })).items),
      ]);
      const ledger = new Map(ledgerRows.map((row) => [row.accountId, snapshot(row)]));
      const readModel = new Map(readModelRows.map((row) => [row.accountId, snapshot(row)]));
      return ids.map((id) => readModelMismatch(id, ledger.get(id) ?? null, readModel.get(id) ?? null)).filter(notNull);
    },
  };
}

function lastKey<K>(map: Map<K, unknown>): K | undefined {
  let last: K | undefined;
  for (const key of map.keys()) last = key;
  return last;
}

// ------------------------------------------------------------ transfers vs entries

/**
 * Two passes. `transfers`: every posted or reversed transfer, in id order,
 * against the ledger's entries for it. `entries`: every transfer id the
 * ledger has entries for, in id order; those whose transfer is missing or not
 * settled disagree (the settled ones were compared in the first pass).
 */
type TransferCursor = PassCursor<'transfers' | 'entries'>;
const encodeTransferCursor = (cursor: TransferCursor): string => encodePassCursor(cursor);
const decodeTransferCursor = (text: string | null): TransferCursor => decodePassCursor(text, 'transfers');

function transferEntriesCheck(deps: ReconciliationDeps): Check {
  const entriesOf = async (transferIds: string[]): Promise<Map<string, string[]>> => {
    const items = await inChunks(transferIds, async (chunk) => (await deps.ledger.listTransferEntries({ ids: chunk })).items);
    return new Map(items.map((item) => [item.transferId, item.entryIds]));
  };
  const classify = (transfers: TransferRow[], ids: string[], entries: Map<string, string[]>): Mismatch[] => {
    const byId = new Map(transfers.map((t) => [t.id, t]));
    return ids.map((id) => transferEntriesMismatch(id, byId.get(id) ?? null, entries.get(id) ?? [])).filter(notNull);
  };

  return {
    async scan(cursorText, limit) {
      const cursor = decodeTransferCursor(cursorText);
      if (cursor.pass === 'transfers') {
        const transfers = await deps.store.settledTransfersPage(cursor.after, limit);
        const ids = transfers.map((t) => t.id);
        const suspects = classify(transfers, ids, await entriesOf(ids)).map((m) => m.subjectId);
        const after = keyAfterFullPage(ids, limit);
        const next: TransferCursor = after !== null ? { pass: 'transfers', after } : { pass: 'entries', after: null };
        return { checked: transfers.length, suspects, nextCursor: encodeTransferCursor(next) };
      }
      const page = await deps.ledger.listTransferEntries({ cursor: cursor.after, limit });
      const transfers = await deps.store.transfersByIds(page.items.map((item) => item.transferId));
      const settled = new Set(transfers.filter((t) => isSettledStatus(t.status)).map((t) => t.id));
      const unsettled = page.items.filter((item) => !settled.has(item.transferId));
      const ids = unsettled.map((item) => item.transferId);
      const suspects = classify(transfers, ids, new Map(unsettled.map((item) => [item.transferId, item.entryIds]))).map((m) => m.subjectId);
      const next = page.nextCursor === null ? null : encodeTransferCursor({ pass: 'entries', after: page.nextCursor });
      return { checked: unsettled.length, suspects, nextCursor: next };
    },
    async evaluate(ids) {
      const [transfers, entries] = await Promise.all([deps.store.transfersByIds(ids), entriesOf(ids)]);
      return classify(transfers, ids, entries);
    },
  };
}
