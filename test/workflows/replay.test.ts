/**
 * Proves that the workflow code still replays every recorded history, so a
 * change that would break running transfers (a reordered, added or removed
 * step) fails CI. How: histories of typical runs (posted, refused, approved,
 * rejected, expired after a day, capture refused, reversed, reversal
 * refused) are committed as JSON and replayed with
 * Worker.runReplayHistories; a deliberately reordered workflow
 * (fixtures/*.ts) must fail the same replay.
 *
 * Five generations of histories, all kept for good:
 * - fixtures/histories/activity-steps: recorded before the local-steps patch
 *   (validateAccounts, then every step an ordinary activity). Never re-recorded:
 *   they stand for workflows still running on that shape.
 * - fixtures/histories/local-steps: recorded before the rejected-code patch (a
 *   reject ended `cancelled` with no failure code). Never re-recorded either.
 * - fixtures/histories/rejected-code: recorded before decisions came as
 *   Workflow Updates (a reject records failureCode REJECTED behind the
 *   `transfer-rejected-code` marker; approve and reject are signals); the
 *   workflows start with the TransferId search attribute, as the gateway
 *   starts them. Never re-recorded: they stand for runs decided by signal
 *   (those from before, and the gateway's fallback).
 * - fixtures/histories/decision-updates: approve, reject and cancel as
 *   Workflow Updates (their accepted and completed events in the history; a
 *   cancel also in the first workflow task, while pending), the other runs as
 *   before. Updates add no command, so no patch marker. The last generation
 *   of the `transferWorkflow` type: never re-recorded.
 * - fixtures/histories/one-step: `transferWorkflowV2`: started with all its
 *   search attributes, no patch marker, below the threshold one
 *   reserve-and-capture step; at or above it reserve, the decision, capture,
 *   as before. A refused reversal records its refusal behind the
 *   `reverse-records-refusal` marker (reverse-refused);
 *   reverse-refused-before-marker.json, recorded by the code before that
 *   marker (it recorded nothing), is never re-recorded: it stands for the
 *   refused reversals of that code. The decisions name no principal and the
 *   input has no createdBy: never re-recorded, they stand for the runs
 *   started and decided before principals.
 * - fixtures/histories/four-eyes: the current shape: the input carries
 *   createdBy and fourEyes, every decision (update or signal) names its
 *   principal, and taking it upserts the `decidedBy` memo (a command the
 *   older generations lack: only a decision naming a principal issues it).
 * The same code replays every generation.
 * `UPDATE_HISTORIES=1 npx jest test/workflows/replay.test.ts` re-records the
 * current generation on the time-skipping server (commit the result only when
 * a change is meant to be incompatible and versioned).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type ReplayResult, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { firstOf } from '../../lib/required';
import {
  approveSignal,
  approveUpdate,
  cancelUpdate,
  rejectUpdate,
  TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  reverseTransferWorkflowId,
  transferStartSearchAttributes,
  transferWorkflowId,
  transferWorkflowStartSearchAttributes,
  type DecisionInput,
  type TransferState,
  type TransferWorkflowInput,
} from '../../workflows/definitions';
import { reverseTransferWorkflow, transferWorkflowV2 } from '../../workflows';
import {
  APPROVAL_THRESHOLD_MINOR,
  APPROVER,
  SUBMITTER_ID,
  bundleWorkflows,
  createTransferTestEnv,
  newFakes,
  quietLogger,
  startTransfer,
  transferInput,
  waitForStatus,
  withWorker,
  type Fakes,
} from './support/harness';
import { historyFromJson, historyToJson } from './support/history-json';

const HISTORIES_ROOT = path.join(__dirname, 'fixtures', 'histories');
const GENERATIONS = ['activity-steps', 'local-steps', 'rejected-code', 'decision-updates', 'one-step', 'four-eyes'] as const;
/** Where UPDATE_HISTORIES writes: the shape the workflow code has now. */
const CURRENT_GENERATION = 'four-eyes';
const HISTORIES_MIN_PER_GENERATION = 7;

interface Scenario {
  name: string;
  arrange?: (fakes: Fakes) => void;
  input: Partial<TransferWorkflowInput>;
  /** Drives the started workflow (updates) and waits for its end; the default just waits. */
  drive?: (env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput) => Promise<string[]>;
}

const large = { amountMinor: APPROVAL_THRESHOLD_MINOR };
/** The transfer's creator, cancelling its own transfer (four-eyes is for approve and reject only). */
const SUBMITTER: DecisionInput = { principalId: SUBMITTER_ID };


const SCENARIOS: Scenario[] = [
  { name: 'transfer-posted', input: {} },
  { name: 'transfer-insufficient-funds', input: {}, arrange: (f) => f.ledger.refuse('reserveAndCaptureHold', 'INSUFFICIENT_FUNDS') },
  { name: 'transfer-account-not-found', input: {}, arrange: (f) => f.accounts.accounts.clear() },
  { name: 'transfer-capture-refused', input: large, arrange: (f) => f.ledger.refuse('captureHold', 'ACCOUNT_FROZEN'), drive: decided(approveUpdate, APPROVER) },
  { name: 'transfer-approved', input: large, drive: decided(approveUpdate, APPROVER) },
  { name: 'transfer-approved-by-signal', input: large, drive: signalled(approveSignal, APPROVER) },
  { name: 'transfer-rejected', input: large, drive: decided(rejectUpdate, APPROVER) },
  { name: 'transfer-cancelled', input: large, drive: decided(cancelUpdate, SUBMITTER) },
  { name: 'transfer-cancelled-while-pending', input: {}, drive: cancelledWithStart },
  { name: 'transfer-expired', input: large },
  { name: 'transfer-transient-retries', input: {}, arrange: (f) => f.ledger.failTransiently('reserveAndCaptureHold', 2) },
  { name: 'reverse-posted', input: {}, drive: reversed },
  { name: 'reverse-refused', input: {}, arrange: (f) => f.ledger.refuse('reverseEntry', 'INSUFFICIENT_FUNDS'), drive: reversed },
];

function decided(update: UpdateDefinition<TransferState, [DecisionInput], string>, by: DecisionInput): NonNullable<Scenario['drive']> {
  return async (env, taskQueue, input) => {
    const handle = await startTransfer(env, taskQueue, input);
    await waitForStatus(handle, 'awaiting_approval');
    await handle.executeUpdate(update, { args: [by] });
    await handle.result();
    return [handle.workflowId];
  };
}

/** The gateway's fallback: the decision as a signal. */
function signalled(signal: SignalDefinition<[DecisionInput]>, by: DecisionInput): NonNullable<Scenario['drive']> {
  return async (env, taskQueue, input) => {
    const handle = await startTransfer(env, taskQueue, input);
    await waitForStatus(handle, 'awaiting_approval');
    await handle.signal(signal, by);
    await handle.result();
    return [handle.workflowId];
  };
}

/** A cancel in the very first workflow task, while the transfer is pending: the update runs as its handler is set. */
async function cancelledWithStart(env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput): Promise<string[]> {
  const start = new WithStartWorkflowOperation(transferWorkflowV2, {
    taskQueue,
    workflowId: transferWorkflowId(input.transferId),
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: TRANSFER_WORKFLOW_ID_REUSE_POLICY,
    args: [input],
    typedSearchAttributes: transferWorkflowStartSearchAttributes(input),
  });
  await env.client.workflow.executeUpdateWithStart(cancelUpdate, { args: [SUBMITTER], startWorkflowOperation: start });
  const handle = await start.workflowHandle();
  await handle.result();
  return [handle.workflowId];
}

async function reversed(env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput): Promise<string[]> {
  const handle = await startTransfer(env, taskQueue, input);
  await handle.result();
  const reverse = await env.client.workflow.start(reverseTransferWorkflow, {
    taskQueue,
    workflowId: reverseTransferWorkflowId(input.transferId),
    args: [{ transferId: input.transferId, description: 'refund' }],
    typedSearchAttributes: transferStartSearchAttributes(input.transferId),
  });
  await reverse.result();
  return [reverse.workflowId];
}

/** Runs every scenario on a fresh time-skipping server and writes the histories it produced. */
async function recordHistories(workflowBundle: WorkflowBundleWithSourceMap): Promise<void> {
  const env = await createTransferTestEnv();
  const dir = path.join(HISTORIES_ROOT, CURRENT_GENERATION);
  try {
    mkdirSync(dir, { recursive: true });
    for (const scenario of SCENARIOS) {
      const fakes = newFakes();
      scenario.arrange?.(fakes);
      const input = transferInput(scenario.input);
      const workflowIds = await withWorker(env, workflowBundle, fakes, async (taskQueue) => {
        if (scenario.drive) return scenario.drive(env, taskQueue, input);
        const handle = await startTransfer(env, taskQueue, input);
        await handle.result();
        return [handle.workflowId];
      });
      const history = await env.client.workflow.getHandle(firstOf(workflowIds, `the workflows of ${scenario.name}`)).fetchHistory();
      writeFileSync(path.join(dir, `${scenario.name}.json`), historyToJson(history));
    }
  } finally {
    await env.teardown();
  }
}

/** The histories of one generation; each named `<generation>/<scenario>.json`. */
function loadHistories(generation: (typeof GENERATIONS)[number]) {
  const dir = path.join(HISTORIES_ROOT, generation);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ workflowId: `${generation}/${file}`, history: historyFromJson(readFileSync(path.join(dir, file), 'utf8')) }));
}

async function replayAll(workflowBundle: WorkflowBundleWithSourceMap, histories: ReturnType<typeof loadHistories>): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) results.push(result);
  return results;
}

let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflows();
  if (process.env.UPDATE_HISTORIES === '1') await recordHistories(workflowBundle);
}, 120_000);

describe('workflow replay', () => {
  it.each(GENERATIONS)('when the committed %s histories are replayed against the current workflow code, then every one replays without error', async (generation) => {
    const histories = loadHistories(generation);
    expect(histories.length).toBeGreaterThanOrEqual(HISTORIES_MIN_PER_GENERATION);

    const results = await replayAll(workflowBundle, histories);

    expect(results.map((r) => ({ workflowId: r.workflowId, error: r.error?.message }))).toEqual(
      histories.map((h) => ({ workflowId: h.workflowId, error: undefined })),
    );
  });

  const reordered: Array<[string, (typeof GENERATIONS)[number], string, string]> = [
    ['reserving before validating', 'activity-steps', 'transfer-posted', './fixtures/workflows'],
    ['capturing before reserving', 'local-steps', 'transfer-posted', './fixtures/local-steps-reordered'],
    ['reserving and capturing in two steps', 'one-step', 'transfer-posted', './fixtures/one-step-split'],
    ['recording a refused reversal without its marker', 'one-step', 'reverse-refused-before-marker', './fixtures/reverse-unmarked'],
  ];

  it.each(reordered)('when the workflow is edited by %s, then replaying the %s %s history reports non-determinism', async (_edit, generation, name, fixture) => {
    const reorderedBundle = await bundleWorkflowCode({ workflowsPath: require.resolve(fixture), logger: quietLogger() });
    const recorded = loadHistories(generation).filter((h) => h.workflowId === `${generation}/${name}.json`);
    expect(recorded).toHaveLength(1);

    const [result] = await replayAll(reorderedBundle, recorded);

    expect(result?.error).toBeDefined();
    expect(result?.error?.name).toMatch(/DeterminismViolationError|ReplayError/);
  });
});
