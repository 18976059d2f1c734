/**
 * Data access of reconciliation in the `transfers` database: the reports and
 * their mismatches (migration lib/transfers/migrations/002), and the reads of
 * the transfers table the transfer check needs. Shared by the gateway (which
 * opens a report for a run on demand and serves it) and the worker's
 * activities (which record and finish it). Plain objects out.
 */
import { present } from '../assert';
import type { Pool } from '../pg';
import type { TransferStatus } from '../transfers/status';
import {
  RECONCILIATION_CHECKS,
  type Mismatch,
  type ReconciliationCheck,
  type ReconciliationCounts,
  type ReconciliationStatus,
  type ReconciliationTrigger,
  type TransferSnapshot,
  withAllChecks,
} from './report';
import type { ReversalSnapshot } from './saga-mismatches';

export interface ReportRecord {
  id: string;
  trigger: ReconciliationTrigger;
  status: ReconciliationStatus;
  startedAt: Date;
  finishedAt: Date | null;
  /** Null while running. */
  counts: ReconciliationCounts | null;
  failureMessage: string | null;
}

export interface ReportWithMismatches extends ReportRecord {
  /** Per check, ordered by subject id, at most the limit asked for. */
  mismatches: Record<ReconciliationCheck, Mismatch[]>;
}

export interface TransferRow extends TransferSnapshot, ReversalSnapshot {
  id: string;
  /** The batch whose workflow runs it (a batch item has no workflow of its own); null or absent for a transfer created alone. */
  batchId?: string | null;
}

export interface ReconciliationStore {
  /**
   * Opens the report as `running`; opening one that exists changes nothing and returns it.
   * Throws ReconciliationRunningError when it is a run on demand and another one is running (migration 011).
   */
  openReport(id: string, trigger: ReconciliationTrigger): Promise<ReportRecord>;
  /** The run on demand that is `running`, or null (there is at most one). */
  runningReportOnDemand(): Promise<ReportRecord | null>;
  /** Records mismatches; one already recorded for the same subject is left as it is. */
  recordMismatches(reportId: string, check: ReconciliationCheck, mismatches: Mismatch[]): Promise<void>;
  /** Moves a running report to completed with its counts; a report already finished is returned unchanged. */
  completeReport(reportId: string, counts: ReconciliationCounts): Promise<ReportRecord | null>;
  failReport(reportId: string, failureMessage: string): Promise<ReportRecord | null>;
  getReport(id: string, mismatchesPerCheckMax: number): Promise<ReportWithMismatches | null>;
  latestCompletedReport(): Promise<ReportRecord | null>;
  /** Posted and reversed transfers after `cursor` in id order. */
  settledTransfersPage(cursor: string | null, limit: number): Promise<TransferRow[]>;
  /** Transfers in one of `statuses` after `cursor` in id order (the few reversed or not yet final ones). */
  transfersInStatusPage(statuses: readonly TransferStatus[], cursor: string | null, limit: number): Promise<TransferRow[]>;
  transfersByIds(ids: string[]): Promise<TransferRow[]>;
}

/** A run on demand was asked for while another one runs; the index of migration 011 said so. */
export class ReconciliationRunningError extends Error {
  constructor() {
    super('a reconciliation on demand is running');
    this.name = 'ReconciliationRunningError';
  }
}

const ONE_RUNNING_INDEX = 'reconciliation_reports_one_api_running_idx';

function isOneRunningViolation(error: unknown): boolean {
  const pgError = error as { code?: string; constraint?: string };
  return pgError.code === '23505' && pgError.constraint === ONE_RUNNING_INDEX;
}

const REPORT_COLUMNS = 'id, trigger, status, started_at, finished_at, counts, failure_message';

interface ReportRow {
  id: string;
  trigger: ReconciliationTrigger;
  status: ReconciliationStatus;
  started_at: Date;
  finished_at: Date | null;
  counts: ReconciliationCounts | null;
  failure_message: string | null;
}

function toReport(row: ReportRow): ReportRecord {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    counts: row.counts === null ? null : withAllChecks(row.counts),
    failureMessage: row.failure_message,
  };
}

const TRANSFER_COLUMNS = 'id, status, entry_id, reversal_entry_id, reversal_failure_code, batch_id';

interface TransferDbRow {
  id: string;
  status: TransferStatus;
  entry_id: string | null;
  reversal_entry_id: string | null;
  reversal_failure_code: string | null;
  batch_id: string | null;
}

function toTransferRow(r: TransferDbRow): TransferRow {
  return { id: r.id, status: r.status, entryId: r.entry_id, reversalEntryId: r.reversal_entry_id, reversalFailureCode: r.reversal_failure_code, batchId: r.batch_id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createReconciliationStore(pool: Pool): ReconciliationStore {
  const getHeader = async (id: string): Promise<ReportRecord | null> => {
    const { rows } = await pool.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reconciliation_reports WHERE id = $1`, [id]);
    return rows[0] ? toReport(rows[0]) : null;
  };
  const finish = async (reportId: string, status: 'completed' | 'failed', counts: ReconciliationCounts | null, failureMessage: string | null) => {
    const { rows } = await pool.query<ReportRow>(
      `UPDATE reconciliation_reports SET status = $2, counts = $3, failure_message = $4, finished_at = now()
        WHERE id = $1 AND status = 'running' RETURNING ${REPORT_COLUMNS}`,
      [reportId, status, counts === null ? null : JSON.stringify(counts), failureMessage],
    );
    return rows[0] ? toReport(rows[0]) : getHeader(reportId);
  };

  return {
    async openReport(id, trigger) {
      try {
        // ON CONFLICT names the id only: a second running report on demand still violates the other index.
        await pool.query(`INSERT INTO reconciliation_reports (id, trigger) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [id, trigger]);
      } catch (error) {
        throw isOneRunningViolation(error) ? new ReconciliationRunningError() : error;
      }
      return present(await getHeader(id), `reconciliation report ${id}, inserted or there already`);
    },

    async runningReportOnDemand() {
      const { rows } = await pool.query<ReportRow>(`SELECT ${REPORT_COLUMNS} FROM reconciliation_reports WHERE trigger = 'api' AND status = 'running'`);
      return rows[0] ? toReport(rows[0]) : null;
    },

    async recordMismatches(reportId, check, mismatches) {
      if (mismatches.length === 0) return;
      await pool.query(
        `INSERT INTO reconciliation_mismatches (report_id, check_name, subject_id, kind, detail)
         SELECT $1, $2, m.subject_id, m.kind, m.detail
           FROM jsonb_to_recordset($3::jsonb) AS m(subject_id text, kind text, detail jsonb)
         ON CONFLICT (report_id, check_name, subject_id) DO NOTHING`,
        [reportId, check, JSON.stringify(mismatches.map((m) => ({ subject_id: m.subjectId, kind: m.kind, detail: m.detail })))],
      );
    },

    completeReport: (reportId, counts) => finish(reportId, 'completed', counts, null),
    failReport: (reportId, failureMessage) => finish(reportId, 'failed', null, failureMessage),

    async getReport(id, mismatchesPerCheckMax) {
      // An id that is not a UUID names no report (and would fail the uuid cast).
      if (!UUID.test(id)) return null;
      const header = await getHeader(id);
      if (!header) return null;
      const { rows } = await pool.query<{ check_name: ReconciliationCheck; subject_id: string; kind: string; detail: Mismatch['detail'] }>(
        `SELECT check_name, subject_id, kind, detail FROM (
           SELECT m.*, row_number() OVER (PARTITION BY check_name ORDER BY subject_id) AS n
             FROM reconciliation_mismatches m WHERE report_id = $1) ranked
          WHERE n <= $2 ORDER BY check_name, subject_id`,
        [id, mismatchesPerCheckMax],
      );
      const mismatches = Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, [] as Mismatch[]])) as Record<ReconciliationCheck, Mismatch[]>;
      for (const row of rows) mismatches[row.check_name].push({ subjectId: row.subject_id, kind: row.kind, detail: row.detail });
      return { ...header, mismatches };
    },

    async latestCompletedReport() {
      const { rows } = await pool.query<ReportRow>(
        `SELECT ${REPORT_COLUMNS} FROM reconciliation_reports WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 1`,
      );
      return rows[0] ? toReport(rows[0]) : null;
    },

    async settledTransfersPage(cursor, limit) {
      const { rows } = await pool.query<TransferDbRow>(
        `SELECT ${TRANSFER_COLUMNS} FROM transfers
          WHERE status IN ('posted', 'reversed') AND ($1::uuid IS NULL OR id > $1::uuid)
          ORDER BY id LIMIT $2`,
        [cursor, limit],
      );
      return rows.map(toTransferRow);
    },

    async transfersInStatusPage(statuses, cursor, limit) {
      const { rows } = await pool.query<TransferDbRow>(
        `SELECT ${TRANSFER_COLUMNS} FROM transfers
          WHERE status = ANY($1::text[]) AND ($2::uuid IS NULL OR id > $2::uuid)
          ORDER BY id LIMIT $3`,
        [statuses, cursor, limit],
      );
      return rows.map(toTransferRow);
    },

    async transfersByIds(ids) {
      const { rows } = await pool.query<TransferDbRow>(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ANY($1::uuid[])`, [ids.filter((id) => UUID.test(id))]);
      return rows.map(toTransferRow);
    },
  };
}
