/**
 * Proves that the workflow code replays every committed history, so a change
 * that would break a workflow moved onto the new build (a reordered, added or
 * removed command) fails CI. How: histories of typical runs are committed as
 * JSON and replayed with Worker.runReplayHistories; a deliberately reordered
 * transfer workflow (fixtures/one-step-split.ts) must fail the same replay.
 *
 * Histories come in generations, one folder each under fixtures/histories,
 * named `<date>-<what changed>`, and every committed generation is replayed
 * against the current code. Which must replay what (docs/architecture.md,
 * "Versioning"):
 * - The transfer, reversal and transfer batch workflows are PINNED to the worker build that
 *   started them, so an incompatible change of them is allowed: it comes with
 *   a new generation and the deletion of those it breaks, in one commit, and
 *   the builds that recorded them keep their workers until their pinned runs
 *   are drained. A generation kept means that its runs may be moved onto the
 *   current build.
 * - The reconciliation and purge workflows are AUTO_UPGRADE: their running
 *   runs move to the current build at their next task, so their histories of
 *   every build still running must replay (a patch marker, if need be).
 *
 * `RECORD_HISTORIES=<date>-<name> npx jest test/workflows/replay.test.ts`
 * records every scenario below, on the time-skipping server, into that
 * generation's folder.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type ReplayResult, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createReconciliationActivities } from '../../activities';
import { createReconciliationMetrics } from '../../activities/metrics';
import { createLogger } from '../../lib/logger';
import { required } from '../../lib/assert';
import {
  approveSignal,
  approveUpdate,
  cancelUpdate,
  rejectUpdate,
  TRANSFER_WORKFLOW_ID_REUSE_POLICY,
  batchStartSearchAttributes,
  reverseTransferWorkflowId,
  transferBatchWorkflowId,
  transferStartSearchAttributes,
  transferWorkflowId,
  transferWorkflowStartSearchAttributes,
  type DecisionInput,
  type TransferState,
  type TransferWorkflowInput,
} from '../../lib/workflow-contract';
import { idempotencyPurgeWorkflow, reconciliationWorkflow, reverseTransferWorkflow, transferBatchWorkflow, transferWorkflow } from '../../workflows';
import { createBatchActivities } from '../../activities/transfer-batch';
import { FakeBatchLedger, FakeBatchStore } from './support/batch-fakes';
import { account } from './support/fakes';
import {
  APPROVAL_THRESHOLD_MINOR,
  APPROVER,
  FROM_ACCOUNT_ID,
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
import { FakeLedgerReconciliation, FakeReadModel, FakeReconciliationStore, FakeTransferWorkflows } from './support/reconciliation-fakes';

const HISTORIES_ROOT = path.join(__dirname, 'fixtures', 'histories');
const GENERATION_NAME = /^\d{4}-\d{2}-\d{2}-[a-z0-9-]+$/;
/** Every committed generation: each folder of HISTORIES_ROOT. */
const GENERATIONS = readdirSync(HISTORIES_ROOT, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** Drives one run on the time-skipping server; answers the id of the workflow whose history is kept. */
type Record = (env: TestWorkflowEnvironment, workflowBundle: WorkflowBundleWithSourceMap) => Promise<string>;

interface Scenario {
  name: string;
  record: Record;
}

interface TransferScenario {
  arrange?: (fakes: Fakes) => void;
  input?: Partial<TransferWorkflowInput>;
  /** Drives the started workflow (decisions) and waits for its end; the default starts it and waits. */
  drive?: (env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput) => Promise<string>;
}

const large = { amountMinor: APPROVAL_THRESHOLD_MINOR };
/** The transfer's creator, cancelling its own transfer (four-eyes is for approve and reject only). */
const SUBMITTER: DecisionInput = { principalId: SUBMITTER_ID };

const SCENARIOS: Scenario[] = [
  transfer('transfer-posted', {}),
  transfer('transfer-insufficient-funds', { arrange: (f) => f.ledger.refuse('reserveAndCaptureHold', 'INSUFFICIENT_FUNDS') }),
  transfer('transfer-account-frozen', { arrange: (f) => f.accounts.add(account(FROM_ACCOUNT_ID, { status: 'frozen' })) }),
  transfer('transfer-account-not-found', { arrange: (f) => f.accounts.accounts.clear() }),
  transfer('transfer-transient-retries', { arrange: (f) => f.ledger.failTransiently('reserveAndCaptureHold', 2) }),
  transfer('transfer-cancelled-while-pending', { drive: cancelledWithStart }),
  transfer('transfer-approved', { input: large, drive: decided(approveUpdate, APPROVER) }),
  transfer('transfer-approved-by-signal', { input: large, drive: signalled(approveSignal, APPROVER) }),
  transfer('transfer-rejected', { input: large, drive: decided(rejectUpdate, APPROVER) }),
  transfer('transfer-cancelled', { input: large, drive: decided(cancelUpdate, SUBMITTER) }),
  transfer('transfer-expired', { input: large }),
  transfer('transfer-capture-refused', { input: large, arrange: (f) => f.ledger.refuse('captureHold', 'ACCOUNT_FROZEN'), drive: decided(approveUpdate, APPROVER) }),
  transfer('reverse-posted', { drive: reversed }),
  transfer('reverse-refused', { arrange: (f) => f.ledger.refuse('reverseEntry', 'INSUFFICIENT_FUNDS'), drive: reversed }),
  { name: 'reconciliation-completed', record: reconciled },
  { name: 'idempotency-purge', record: purged },
  { name: 'batch-independent', record: batch('independent', 250n) },
  { name: 'batch-atomic-refused', record: batch('atomic', 150n) },
];

function transfer(name: string, scenario: TransferScenario): Scenario {
  return {
    name,
    record: (env, workflowBundle) => {
      const fakes = newFakes();
      scenario.arrange?.(fakes);
      const input = transferInput(scenario.input);
      return withWorker(env, workflowBundle, fakes, async (taskQueue) => {
        if (scenario.drive) return scenario.drive(env, taskQueue, input);
        const handle = await startTransfer(env, taskQueue, input);
        await handle.result();
        return handle.workflowId;
      });
    },
  };
}

function decided(update: UpdateDefinition<TransferState, [DecisionInput], string>, by: DecisionInput): NonNullable<TransferScenario['drive']> {
  return async (env, taskQueue, input) => {
    const handle = await startTransfer(env, taskQueue, input);
    await waitForStatus(handle, 'awaiting_approval');
    await handle.executeUpdate(update, { args: [by] });
    await handle.result();
    return handle.workflowId;
  };
}

/** The gateway's fallback when an update is not answered in time: the decision as a signal. */
function signalled(signal: SignalDefinition<[DecisionInput]>, by: DecisionInput): NonNullable<TransferScenario['drive']> {
  return async (env, taskQueue, input) => {
    const handle = await startTransfer(env, taskQueue, input);
    await waitForStatus(handle, 'awaiting_approval');
    await handle.signal(signal, by);
    await handle.result();
    return handle.workflowId;
  };
}

/** A cancel in the very first workflow task, while the transfer is pending: the update runs as its handler is set. */
async function cancelledWithStart(env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput): Promise<string> {
  const start = new WithStartWorkflowOperation(transferWorkflow, {
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
  return handle.workflowId;
}

async function reversed(env: TestWorkflowEnvironment, taskQueue: string, input: TransferWorkflowInput): Promise<string> {
  const handle = await startTransfer(env, taskQueue, input);
  await handle.result();
  const reverse = await env.client.workflow.start(reverseTransferWorkflow, {
    taskQueue,
    workflowId: reverseTransferWorkflowId(input.transferId),
    args: [{ transferId: input.transferId, description: 'refund' }],
    typedSearchAttributes: transferStartSearchAttributes(input.transferId),
  });
  await reverse.result();
  return reverse.workflowId;
}

/** A reconciliation of one account the read model agrees with: every check scans one page and the report completes. */
async function reconciled(env: TestWorkflowEnvironment, workflowBundle: WorkflowBundleWithSourceMap): Promise<string> {
  const ledger = new FakeLedgerReconciliation().account('acct-01', '100');
  const readModel = new FakeReadModel().account('acct-01', '100');
  const activities = createReconciliationActivities({
    ledger,
    readModel,
    store: new FakeReconciliationStore(),
    workflows: new FakeTransferWorkflows(),
    logger: createLogger('test', 'silent'),
    metrics: createReconciliationMetrics(new Registry()),
  });
  return runWorker(env, workflowBundle, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(reconciliationWorkflow, { taskQueue, workflowId: `reconciliation-${randomUUID()}`, args: [{ trigger: 'schedule' }] });
    await handle.result();
    return handle.workflowId;
  });
}

/** The purge's one activity, answered without a database (what it deletes is idempotency-purge.test.ts's). */
async function purged(env: TestWorkflowEnvironment, workflowBundle: WorkflowBundleWithSourceMap): Promise<string> {
  const activities = { purgeIdempotencyKeys: async () => ({ idempotency_keys: 3, reversal_idempotency_keys: 1, batches: 2 }) };
  return runWorker(env, workflowBundle, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start(idempotencyPurgeWorkflow, { taskQueue, workflowId: `idempotency-purge-${randomUUID()}`, args: [{ retentionMs: 7 * 86_400_000 }] });
    await handle.result();
    return handle.workflowId;
  });
}

/** A batch of three items of 100 from one payer holding `balanceMinor`, in chunks of two: some refused unless it holds 300. */
function batch(mode: 'atomic' | 'independent', balanceMinor: bigint): Record {
  return (env, workflowBundle) => {
    const store = new FakeBatchStore(randomUUID()).add(3, 'payer', 100n);
    const ledger = new FakeBatchLedger();
    ledger.balances.set('payer', balanceMinor);
    const activities = createBatchActivities({ ledger, batches: store, logger: createLogger('test', 'silent') });
    return runWorker(env, workflowBundle, activities, async (taskQueue) => {
      const handle = await env.client.workflow.start(transferBatchWorkflow, {
        taskQueue,
        workflowId: transferBatchWorkflowId(store.batchId),
        args: [{ batchId: store.batchId, mode, itemCount: 3, chunkSize: 2 }],
        typedSearchAttributes: batchStartSearchAttributes(store.batchId),
      });
      await handle.result();
      return handle.workflowId;
    });
  };
}

async function runWorker<T>(env: TestWorkflowEnvironment, workflowBundle: WorkflowBundleWithSourceMap, activities: object, work: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `replay-record-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(work(taskQueue));
}

/** Runs every scenario on a fresh time-skipping server and writes the histories it produced into `generation`'s folder. */
async function recordHistories(workflowBundle: WorkflowBundleWithSourceMap, generation: string): Promise<void> {
  if (!GENERATION_NAME.test(generation)) throw new Error(`RECORD_HISTORIES must name a generation as <yyyy-mm-dd>-<name>: ${generation}`);
  const env = await createTransferTestEnv();
  const dir = path.join(HISTORIES_ROOT, generation);
  try {
    mkdirSync(dir, { recursive: true });
    for (const scenario of SCENARIOS) {
      const workflowId = await scenario.record(env, workflowBundle);
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      writeFileSync(path.join(dir, `${scenario.name}.json`), historyToJson(history));
    }
  } finally {
    await env.teardown();
  }
}

/** The histories of one generation; each named `<generation>/<scenario>.json`. */
function loadHistories(generation: string) {
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
  const generation = process.env.RECORD_HISTORIES;
  if (generation) {
    await recordHistories(workflowBundle, generation);
    if (!GENERATIONS.includes(generation)) GENERATIONS.push(generation);
  }
}, 300_000);

describe('workflow replay', () => {
  it('when the committed generations are listed, then there is at least one, each named <date>-<name>', () => {
    expect(GENERATIONS.length).toBeGreaterThan(0);
    for (const generation of GENERATIONS) expect(generation).toMatch(GENERATION_NAME);
  });

  it.each(GENERATIONS)('when the committed %s histories are replayed against the current workflow code, then every one replays without error', async (generation) => {
    const histories = loadHistories(generation);
    expect(histories.length).toBeGreaterThan(0);

    const results = await replayAll(workflowBundle, histories);

    expect(results.map((r) => ({ workflowId: r.workflowId, error: r.error?.message }))).toEqual(
      histories.map((h) => ({ workflowId: h.workflowId, error: undefined })),
    );
  });

  it('when the transfer workflow is edited to reserve and capture in two steps, then replaying the newest generation transfer-posted history reports non-determinism', async () => {
    const newest = required(GENERATIONS.at(-1), 'a committed generation of histories');
    const editedBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/one-step-split'), logger: quietLogger() });
    const recorded = loadHistories(newest).filter((h) => h.workflowId === `${newest}/transfer-posted.json`);
    expect(recorded).toHaveLength(1);

    const [result] = await replayAll(editedBundle, recorded);

    expect(result?.error).toBeDefined();
    expect(result?.error?.name).toMatch(/DeterminismViolationError|ReplayError/);
  });
});
