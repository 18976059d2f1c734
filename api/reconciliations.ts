/**
 * The gateway's side of reconciliation on demand: open a report and start its
 * workflow (the worker runs it), and serve the report. The report is opened
 * before the workflow starts, so a GET right after the POST finds it. One run
 * on demand at a time: the database refuses a second running report
 * (migration 011), and the request is answered 409 RECONCILIATION_RUNNING
 * with the running one's Location.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Logger } from 'pino';
import { AppError, notFound, unavailable } from '../lib/errors';
import {
  ReconciliationRunningError,
  CHECK_SUBJECT_FIELDS,
  MISMATCHES_RECORDED_PER_CHECK_MAX,
  RECONCILIATION_CHECKS,
  type CheckCounts,
  type ReconciliationCheck,
  type ReconciliationStore,
  type ReportRecord,
  type ReportWithMismatches,
} from '../lib/reconciliation';
import { RECONCILIATION_WORKFLOW_TYPE, reconciliationWorkflowId, type ReconciliationInput } from '../lib/workflow-contract';

export interface ReconciliationDeps {
  reconciliations: ReconciliationStore;
  temporal: Client;
  logger: Logger;
  /** TEMPORAL_TASK_QUEUE; the worker polls the same one. */
  taskQueue: string;
}

/** The 409 of a run asked for while another one runs; `runningId` is the running one (its Location), when it could be read. */
export class ReconciliationRunningConflict extends AppError {
  constructor(readonly runningId: string | null) {
    super(409, 'reconciliation-running', 'Conflict', runningId
      ? `Reconciliation ${runningId} is running; one runs at a time. Follow its Location, and ask again once it has finished.`
      : 'A reconciliation is running; one runs at a time. Ask again once it has finished.', {
      code: 'RECONCILIATION_RUNNING',
      ...(runningId ? { reconciliationId: runningId } : {}),
    });
  }
}

/**
 * Opens a report and starts the run that fills it; 503 (and the report marked
 * failed) when Temporal cannot take it; ReconciliationRunningConflict while
 * another run on demand is running. A running report whose workflow is gone
 * (terminated in Temporal) would refuse every run for ever: such a report,
 * found by the conflict, is marked failed and the run is opened again, once.
 */
export async function startReconciliation(deps: ReconciliationDeps): Promise<ReportRecord> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await openAndStart(deps);
    } catch (error) {
      if (!(error instanceof ReconciliationRunningError)) throw error;
    }
    const running = await deps.reconciliations.runningReportOnDemand();
    // Null: it finished between the insert and this read, so there is room now.
    if (attempt === 1 && (running === null || (await failedAsAbandoned(deps, running)))) continue;
    throw new ReconciliationRunningConflict(running?.id ?? null);
  }
}

async function openAndStart(deps: ReconciliationDeps): Promise<ReportRecord> {
  const report = await deps.reconciliations.openReport(randomUUID(), 'api');
  const input: ReconciliationInput = { reportId: report.id, trigger: 'api' };
  try {
    await deps.temporal.workflow.start(RECONCILIATION_WORKFLOW_TYPE, { taskQueue: deps.taskQueue, workflowId: reconciliationWorkflowId(report.id), args: [input] });
  } catch (error) {
    deps.logger.warn({ err: error, report_id: report.id }, 'could not start the reconciliation workflow');
    await deps.reconciliations.failReport(report.id, 'its workflow could not be started');
    throw unavailable('temporal', 'The reconciliation could not be started; retry later.');
  }
  deps.logger.info({ report_id: report.id }, 'reconciliation requested');
  return report;
}

/**
 * A report is opened a moment before its workflow starts; one older than this
 * with no running workflow was abandoned (its workflow terminated or timed
 * out), never one whose start is still under way.
 */
const ABANDONED_AFTER_MS = 60_000;

/** Marks the running report failed when its workflow is closed or unknown; false when it runs, is too young to tell, or Temporal cannot say. */
async function failedAsAbandoned(deps: ReconciliationDeps, report: ReportRecord): Promise<boolean> {
  if (Date.now() - report.startedAt.getTime() < ABANDONED_AFTER_MS) return false;
  try {
    const description = await deps.temporal.workflow.getHandle(reconciliationWorkflowId(report.id)).describe();
    if (description.status.name === 'RUNNING') return false;
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) return false;
  }
  deps.logger.warn({ report_id: report.id }, 'reconciliation report left running by a closed workflow; marked failed');
  await deps.reconciliations.failReport(report.id, 'its workflow closed without finishing the report');
  return true;
}

export async function getReconciliationOr404(deps: ReconciliationDeps, id: string): Promise<ReportWithMismatches> {
  const report = await deps.reconciliations.getReport(id, MISMATCHES_RECORDED_PER_CHECK_MAX);
  if (!report) throw notFound('reconciliation', id);
  return report;
}

/** The 202 answer to a POST: the run is accepted and under way. */
export function toStartedResource(report: ReportRecord) {
  return { id: report.id, status: report.status, startedAt: report.startedAt.toISOString() };
}

/**
 * The report as the API shows it: per check, the counts (null while running)
 * and the recorded mismatches, each named by `accountId` or `transferId`.
 * `mismatchesTruncated` says a check found more than it recorded.
 */
export function toReportResource(report: ReportWithMismatches) {
  const counts = report.counts;
  return {
    id: report.id,
    status: report.status,
    trigger: report.trigger,
    startedAt: report.startedAt.toISOString(),
    finishedAt: report.finishedAt?.toISOString() ?? null,
    failureMessage: report.failureMessage,
    counts: counts ? (Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, counts[check]])) as Record<ReconciliationCheck, CheckCounts>) : null,
    mismatches: Object.fromEntries(
      RECONCILIATION_CHECKS.map((check) => [
        check,
        report.mismatches[check].map((m) => ({ [CHECK_SUBJECT_FIELDS[check]]: m.subjectId, kind: m.kind, ...m.detail })),
      ]),
    ),
    mismatchesTruncated: counts ? RECONCILIATION_CHECKS.some((check) => counts[check].mismatches > counts[check].recorded) : false,
  };
}
