/**
 * What the gateway, the worker, the activities and the batch workflow share
 * about transfer batches (POST /v1/transfer-batches): the workflow's type, id
 * and start policy, its input and result, and its steps' inputs and results.
 *
 * A batch is one workflow, whatever its size: its items are read from the
 * transfers table by its steps, so neither its input nor its history grows
 * with them (a 1,000-item input would be a 200 KB payload in every history).
 */
import type { SearchAttributePair } from '@temporalio/common';
import { BatchIdKey, TransferStatusKey } from './transfer';

export const TRANSFER_BATCH_WORKFLOW_TYPE = 'transferBatchWorkflow';

export const transferBatchWorkflowId = (batchId: string): string => `transfer-batch-${batchId}`;

/**
 * A batch workflow whose run closed without completing (terminated, timed
 * out, failed, cancelled) may run again under its id: the gateway's resumer
 * starts a batch left pending, and the new run finishes it. Safe because
 * every step repeats the same idempotent request (entry ids come from the
 * batch id and the item's index, status moves are guarded), so a second run
 * posts nothing twice. A run that completed recorded the outcome: never again.
 */
export const TRANSFER_BATCH_WORKFLOW_ID_REUSE_POLICY = 'ALLOW_DUPLICATE_FAILED_ONLY' as const;

export type BatchMode = 'atomic' | 'independent';

export interface TransferBatchInput {
  batchId: string;
  mode: BatchMode;
  itemCount: number;
  /** Items per ledger transaction for an `independent` batch (an `atomic` one is one transaction). */
  chunkSize: number;
}

export interface TransferBatchResult {
  status: 'completed' | 'failed';
  postedCount: number;
  failedCount: number;
  /** An atomic batch's refusal: its code and the item refused; null otherwise. */
  failureCode: string | null;
  failureIndex: number | null;
}

/** One step: items `fromIndex` to `fromIndex + count − 1` posted in one ledger transaction, their statuses recorded. */
export interface PostBatchChunkInput {
  batchId: string;
  mode: BatchMode;
  fromIndex: number;
  count: number;
}

export interface PostBatchChunkResult {
  posted: number;
  failed: number;
  /** An atomic batch's refusal (nothing posted, every item recorded failed). */
  refusal: { index: number; code: string } | null;
}

/** What the gateway starts a batch's workflow with (start options: no workflow command). */
export const batchStartSearchAttributes = (batchId: string): SearchAttributePair[] => [
  { key: BatchIdKey, value: batchId },
  { key: TransferStatusKey, value: 'pending' },
];
