/**
 * What the gateway, the worker and the reconciliation workflow share: the
 * workflow's type name and ids, the schedule's id, input and result.
 */
import type { ReconciliationCheck, ReconciliationCounts, ReconciliationTrigger } from '../reconciliation/report';

export const RECONCILIATION_WORKFLOW_TYPE = 'reconciliationWorkflow';

/** A run on demand: its workflow id carries the report id. */
export const reconciliationWorkflowId = (reportId: string): string => `reconciliation-${reportId}`;

/** The Temporal Schedule the worker keeps (nightly by default, RECONCILIATION_CRON). */
export const RECONCILIATION_SCHEDULE_ID = 'reconciliation-nightly';
/** Temporal appends the scheduled time to it, so each scheduled run has its own id. */
export const SCHEDULED_RECONCILIATION_WORKFLOW_ID = 'reconciliation-scheduled';

export interface ReconciliationInput {
  /** The report to fill; a scheduled run has none and makes one (a workflow-deterministic UUID). */
  reportId?: string;
  trigger?: ReconciliationTrigger;
  /** Subjects per page, 1..500 (default 500). */
  pageLimit?: number;
  /** How long suspects of the cross-system checks are left to settle before they are read again (default 5 s). */
  settleMs?: number;
  /** Pages per workflow run before it continues as new (default 500), which bounds its history. */
  pagesPerRunMax?: number;
  /** Set only by continue-as-new: where the previous run stopped. */
  resume?: ReconciliationProgress;
}

export interface ReconciliationProgress {
  reportId: string;
  /** Index in RECONCILIATION_CHECKS (the run's list of checks) of the check under way. */
  checkIndex: number;
  cursor: string | null;
  counts: ReconciliationCounts;
  /** Suspects found and not yet confirmed, of the check under way. */
  suspects: string[];
}

export interface ReconciliationResult {
  reportId: string;
  status: 'completed' | 'failed';
  counts: ReconciliationCounts;
}

export type { ReconciliationCheck };
