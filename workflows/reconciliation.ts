/**
 * The reconciliation workflow: compares the ledger's balances with its own
 * journal, the read model's balances with the ledger's, transfers with
 * entries, entries and reversals with transfers, unfinished transfers with
 * their workflows and reserved holds with their transfers
 * (lib/reconciliation/report.ts), page by bounded page, and records what
 * disagrees in a report. Deterministic code: no I/O, no Node APIs; every
 * read is an activity.
 *
 * Per check: scan a page → keep its suspects → once enough are kept (or the
 * check is through), let them settle for the cross-system checks, then read
 * them again and record those that still disagree. A snapshot of two systems
 * taken milliseconds apart always shows writes in flight; a second look a few
 * seconds later does not show them twice. The run continues as new after
 * `pagesPerRunMax` pages, so its history stays bounded however large the
 * ledger grows; the report id travels with it.
 *
 * AUTO_UPGRADE (docs/architecture.md, "Versioning"): a run, and each run it
 * continues as, moves to the current worker build at its next workflow task,
 * so a change here must replay the histories of the build before (a patch
 * marker, or a change that adds no command), unlike the pinned transfer
 * workflows.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  log,
  proxyActivities,
  setWorkflowOptions,
  sleep,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/reconciliation';
import { emptyCounts, MISMATCHES_RECORDED_PER_CHECK_MAX, RECONCILIATION_CHECKS, withAllChecks, type ReconciliationCheck } from '../lib/reconciliation/report';
import { required } from '../lib/assert';
import type { ReconciliationInput, ReconciliationProgress, ReconciliationResult } from '../lib/workflow-contract/reconciliation';
import { SERVICE_RETRY_POLICY } from './steps';

/**
 * A page is two or three internal calls of at most 500 rows each (30 s deadline each), or a few of up to 100 ids.
 * Retried as the transfer's steps are (steps.ts): a service that is down delays the report, it does not fail it;
 * a contract mismatch (an unexpected answer) is not retried and fails the run.
 */
const ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: '1 minute', retry: SERVICE_RETRY_POLICY };

const activities = proxyActivities<ReconciliationActivities>(ACTIVITY_OPTIONS);

const PAGE_LIMIT_DEFAULT = 500;
const PAGE_LIMIT_MAX = 500;
const SETTLE_MS_DEFAULT = 5_000;
const PAGES_PER_RUN_MAX_DEFAULT = 500;
/** Suspects kept before they are confirmed in one go (one settle wait covers them all). */
const SUSPECTS_PER_CONFIRM_MAX = 200;

/**
 * Which checks compare two systems (and so see writes in flight). The ledger
 * check reads a balance and its journal in one statement: what it finds is real.
 */
const NEEDS_SETTLING: Readonly<Record<ReconciliationCheck, boolean>> = {
  ledgerBalances: false,
  readModelBalances: true,
  transferEntries: true,
  entryTransfers: true,
  transferReversals: true,
  transferWorkflows: true,
  reservedHolds: true,
};

interface Options {
  pageLimit: number;
  settleMs: number;
  pagesPerRunMax: number;
}

export async function reconciliationWorkflow(input: ReconciliationInput = {}): Promise<ReconciliationResult> {
  const options = optionsOf(input);
  const progress: ReconciliationProgress = input.resume ? { ...input.resume, counts: withAllChecks(input.resume.counts) } : {
    reportId: input.reportId ?? uuid4(),
    checkIndex: 0,
    cursor: null,
    counts: emptyCounts(),
    suspects: [],
  };
  const { reportId } = progress;
  if (!input.resume) await activities.openReconciliationReport({ reportId, trigger: input.trigger ?? 'schedule' });

  try {
    await runChecks(progress, options, input);
  } catch (error) {
    // A contract mismatch between services: the report says the run failed instead of staying `running`.
    if (!(error instanceof ActivityFailure)) throw error;
    const failureMessage = error.cause?.message ?? error.message;
    log.error('reconciliation failed', { reportId, failureMessage });
    await activities.failReconciliationReport({ reportId, failureMessage });
    return { reportId, status: 'failed', counts: progress.counts };
  }
  await activities.completeReconciliationReport({ reportId, counts: progress.counts });
  return { reportId, status: 'completed', counts: progress.counts };
}
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, reconciliationWorkflow);

async function runChecks(progress: ReconciliationProgress, options: Options, input: ReconciliationInput): Promise<void> {
  let pages = 0;
  while (progress.checkIndex < RECONCILIATION_CHECKS.length) {
    if (pages >= options.pagesPerRunMax || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<(input: ReconciliationInput) => Promise<ReconciliationResult>>({ ...input, resume: progress });
    }
    const check = required(RECONCILIATION_CHECKS[progress.checkIndex], `reconciliation check ${progress.checkIndex}`);
    const page = await activities.scanReconciliationPage({ check, cursor: progress.cursor, limit: options.pageLimit });
    pages += 1;
    progress.counts[check].checked += page.checked;
    progress.suspects.push(...page.suspects);
    progress.cursor = page.nextCursor;

    const checkDone = page.nextCursor === null;
    if (progress.suspects.length >= SUSPECTS_PER_CONFIRM_MAX || (checkDone && progress.suspects.length > 0)) {
      await confirmSuspects(check, progress, options);
    }
    if (checkDone) {
      progress.checkIndex += 1;
      progress.cursor = null;
    }
  }
}

async function confirmSuspects(check: ReconciliationCheck, progress: ReconciliationProgress, options: Options): Promise<void> {
  if (NEEDS_SETTLING[check] && options.settleMs > 0) await sleep(options.settleMs);
  const counts = progress.counts[check];
  const confirmed = await activities.confirmMismatches({
    check,
    reportId: progress.reportId,
    subjectIds: progress.suspects,
    recordLimit: MISMATCHES_RECORDED_PER_CHECK_MAX - counts.recorded,
  });
  counts.mismatches += confirmed.mismatches;
  counts.recorded += confirmed.recorded;
  progress.suspects = [];
}

function optionsOf(input: ReconciliationInput): Options {
  const pageLimit = input.pageLimit ?? PAGE_LIMIT_DEFAULT;
  const settleMs = input.settleMs ?? SETTLE_MS_DEFAULT;
  const pagesPerRunMax = input.pagesPerRunMax ?? PAGES_PER_RUN_MAX_DEFAULT;
  // A bad input is a programmer error: fail the workflow at once rather than retry its task forever.
  const invalid = (message: string) => ApplicationFailure.nonRetryable(message, 'InvalidInput');
  if (!Number.isInteger(pageLimit) || pageLimit < 1 || pageLimit > PAGE_LIMIT_MAX) throw invalid(`pageLimit must be 1..${PAGE_LIMIT_MAX}: ${pageLimit}`);
  if (!Number.isInteger(settleMs) || settleMs < 0) throw invalid(`settleMs must be a whole number of milliseconds: ${settleMs}`);
  if (!Number.isInteger(pagesPerRunMax) || pagesPerRunMax < 1) throw invalid(`pagesPerRunMax must be at least 1: ${pagesPerRunMax}`);
  return { pageLimit, settleMs, pagesPerRunMax };
}
