/**
 * The gateway's side of reconciliation on demand: open a report and start its
 * workflow (the worker runs it), and serve the report. The report is opened
 * before the workflow starts, so a GET right after the POST finds it.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { notFound, unavailable } from '../lib/errors';
import {
  CHECK_SUBJECT_FIELDS,
  MISMATCHES_RECORDED_PER_CHECK_MAX,
  RECONCILIATION_CHECKS,
  type CheckCounts,
  type ReconciliationCheck,
  type ReconciliationStore,
  type ReportRecord,
  type ReportWithMismatches,
} from '../lib/reconciliation';
import { RECONCILIATION_WORKFLOW_TYPE, reconciliationWorkflowId, type ReconciliationInput } from '../workflows/reconciliation-definitions';

export interface ReconciliationDeps {
  reconciliations: ReconciliationStore;
  temporal: Client;
  logger: Logger;
  /** TEMPORAL_TASK_QUEUE; the worker polls the same one. */
  taskQueue: string;
}

/** Opens a report and starts the run that fills it; 503 (and the report marked failed) when Temporal cannot take it. */
export async function startReconciliation(deps: ReconciliationDeps): Promise<ReportRecord> {
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
