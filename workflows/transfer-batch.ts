/**
 * A transfer batch (POST /v1/transfer-batches): up to 1,000 transfers run as
 * one workflow, whose steps post them chunk by chunk, each chunk in one
 * ledger transaction. Deterministic code: no I/O, no Node APIs.
 *
 * - `independent`: chunks of `chunkSize` items in order; an item refused (an
 *   account missing, frozen or of another currency; funds short) fails alone.
 *   The batch ends `completed` with its counts.
 * - `atomic`: one step, one ledger transaction for every item: all post, or
 *   the batch ends `failed` with the refused item's code and index, and none
 *   posted.
 *
 * Every step is a local activity (steps.ts: retried without limit on
 * transport trouble, never on a refusal), so a batch of 1,000 costs its few
 * workflow tasks, not one per item. No saga: a batch reserves no holds, and
 * a posted item is final (it may be reversed like any transfer). A run that
 * is terminated leaves the batch pending; the gateway's resumer starts a new
 * run, which repeats the same idempotent steps and finishes it.
 *
 * Versioning: PINNED, as transfers (docs/architecture.md, "Versioning").
 */
import { setWorkflowOptions, upsertSearchAttributes } from '@temporalio/workflow';
import { TransferStatusKey } from '../lib/workflow-contract/transfer';
import type { PostBatchChunkResult, TransferBatchInput, TransferBatchResult } from '../lib/workflow-contract/transfer-batch';
import { batchSteps } from './steps';

export async function transferBatchWorkflow(input: TransferBatchInput): Promise<TransferBatchResult> {
  const result = input.mode === 'atomic' ? await postAtomic(input) : await postIndependent(input);
  upsertSearchAttributes([{ key: TransferStatusKey, value: result.status }]);
  await batchSteps.recordBatchOutcome({ batchId: input.batchId, ...result });
  return result;
}
setWorkflowOptions({ versioningBehavior: 'PINNED' }, transferBatchWorkflow);

async function postAtomic(input: TransferBatchInput): Promise<TransferBatchResult> {
  const chunk = await batchSteps.postBatchChunk({ batchId: input.batchId, mode: 'atomic', fromIndex: 0, count: input.itemCount });
  if (chunk.refusal) {
    return { status: 'failed', postedCount: 0, failedCount: input.itemCount, failureCode: chunk.refusal.code, failureIndex: chunk.refusal.index };
  }
  return completed([chunk]);
}

async function postIndependent(input: TransferBatchInput): Promise<TransferBatchResult> {
  const chunks: PostBatchChunkResult[] = [];
  for (let fromIndex = 0; fromIndex < input.itemCount; fromIndex += input.chunkSize) {
    const count = Math.min(input.chunkSize, input.itemCount - fromIndex);
    chunks.push(await batchSteps.postBatchChunk({ batchId: input.batchId, mode: 'independent', fromIndex, count }));
  }
  return completed(chunks);
}

function completed(chunks: PostBatchChunkResult[]): TransferBatchResult {
  const postedCount = chunks.reduce((sum, chunk) => sum + chunk.posted, 0);
  const failedCount = chunks.reduce((sum, chunk) => sum + chunk.failed, 0);
  return { status: 'completed', postedCount, failedCount, failureCode: null, failureIndex: null };
}
