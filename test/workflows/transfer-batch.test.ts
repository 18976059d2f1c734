/**
 * Proves the transfer batch workflow on the time-skipping test server, with
 * its real activities over in-memory fakes (support/batch-fakes.ts): an
 * independent batch is posted chunk by chunk in order, each refused item
 * failed alone, and the outcome recorded once with the counts; an atomic
 * batch is one step that posts all or none, the refused item named; a
 * ledger that fails transiently delays a chunk and posts nothing twice; a
 * second run of a batch (what the gateway's resumer starts after a run was
 * terminated) reads its recorded chunks back, posts nothing again and leaves
 * the recorded outcome as it was.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createBatchActivities } from '../../activities/transfer-batch';
import { createLogger } from '../../lib/logger';
import { BATCH_ABORTED_FAILURE_CODE } from '../../lib/transfers/refusal-codes';
import { batchStartSearchAttributes, transferBatchWorkflowId, type TransferBatchInput, type TransferBatchResult } from '../../lib/workflow-contract';
import { transferBatchWorkflow } from '../../workflows';
import { FakeBatchLedger, FakeBatchStore } from './support/batch-fakes';
import { bundleWorkflows, createTransferTestEnv } from './support/harness';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await createTransferTestEnv();
  workflowBundle = await bundleWorkflows();
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

const PAYER = 'payer-account';

async function runBatch(ledger: FakeBatchLedger, store: FakeBatchStore, input: Omit<TransferBatchInput, 'batchId' | 'itemCount'>): Promise<TransferBatchResult> {
  const taskQueue = `batch-test-${randomUUID()}`;
  const activities = createBatchActivities({ ledger, batches: store, logger: createLogger('test', 'silent') });
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  return worker.runUntil(
    env.client.workflow.execute(transferBatchWorkflow, {
      taskQueue,
      workflowId: transferBatchWorkflowId(store.batchId),
      args: [{ ...input, batchId: store.batchId, itemCount: store.items.length }],
      typedSearchAttributes: batchStartSearchAttributes(store.batchId),
    }),
  );
}

it('when an independent batch runs, then its chunks post in order, the items the ledger refuses fail alone, and the outcome is recorded once', async () => {
  const store = new FakeBatchStore(randomUUID()).add(7, PAYER, 100n);
  const ledger = new FakeBatchLedger();
  ledger.balances.set(PAYER, 500n);

  const result = await runBatch(ledger, store, { mode: 'independent', chunkSize: 3 });

  expect(result).toEqual({ status: 'completed', postedCount: 5, failedCount: 2, failureCode: null, failureIndex: null });
  expect(ledger.calls).toBe(3);
  expect(store.items.map((i) => i.status)).toEqual(['posted', 'posted', 'posted', 'posted', 'posted', 'failed', 'failed']);
  expect(store.items.slice(5).map((i) => i.failureCode)).toEqual(['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS']);
  expect([store.outcome, store.outcomeWrites]).toEqual([{ ...result }, 1]);
  expect(new Set(store.items.map((i) => i.entryId).filter(Boolean)).size).toBe(5);
});

it('when an item of an atomic batch is refused, then nothing posts, the batch fails naming it, and the others are BATCH_ABORTED', async () => {
  const store = new FakeBatchStore(randomUUID()).add(4, PAYER, 100n);
  const ledger = new FakeBatchLedger();
  ledger.balances.set(PAYER, 250n);

  const result = await runBatch(ledger, store, { mode: 'atomic', chunkSize: 2 });

  expect(result).toEqual({ status: 'failed', postedCount: 0, failedCount: 4, failureCode: 'INSUFFICIENT_FUNDS', failureIndex: 2 });
  expect(ledger.calls).toBe(1);
  expect(ledger.posted.size).toBe(0);
  expect(store.items.map((i) => i.failureCode)).toEqual([BATCH_ABORTED_FAILURE_CODE, BATCH_ABORTED_FAILURE_CODE, 'INSUFFICIENT_FUNDS', BATCH_ABORTED_FAILURE_CODE]);
});

it('when the ledger fails transiently, then the chunk is retried and posts once', async () => {
  const store = new FakeBatchStore(randomUUID()).add(2, PAYER, 10n);
  const ledger = new FakeBatchLedger();
  ledger.balances.set(PAYER, 100n);
  ledger.failNext = 2;

  const result = await runBatch(ledger, store, { mode: 'independent', chunkSize: 250 });

  expect(result.postedCount).toBe(2);
  expect(ledger.calls).toBe(3);
  expect(ledger.balances.get(PAYER)).toBe(80n);
});

it('when a batch runs a second time (a new run after the first was terminated late), then its chunks are read back, nothing posts again and the outcome stands', async () => {
  const store = new FakeBatchStore(randomUUID()).add(3, PAYER, 10n);
  const ledger = new FakeBatchLedger();
  ledger.balances.set(PAYER, 100n);
  const first = await runBatch(ledger, store, { mode: 'independent', chunkSize: 2 });
  const callsAfterFirst = ledger.calls;

  const second = await runBatch(ledger, store, { mode: 'independent', chunkSize: 2 });

  expect(second).toEqual(first);
  expect(ledger.calls).toBe(callsAfterFirst);
  expect(ledger.balances.get(PAYER)).toBe(70n);
  expect(store.outcomeWrites).toBe(2);
  expect(store.outcome).toEqual({ ...first });
});
