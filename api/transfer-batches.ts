/**
 * The gateway's side of a transfer batch: record it with all its items
 * (idempotently, by the principal's Idempotency-Key), start its one workflow,
 * and read it back. A batch is for routine volume: an item at or above the
 * approval threshold is refused (a 400 naming it), since approvals stay per
 * transfer. `?wait=true` is woken by the batch's status notification
 * (lib/transfers/status-notifications.ts), as for a transfer.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { notFound, unavailable, validationError } from '../lib/errors';
import { amountMinorOf } from '../lib/money';
import { requestHash } from '../lib/request-hash';
import type { BatchRecord, BatchStore } from '../lib/transfers/batch-store';
import type { StatusWatch } from '../lib/transfers/status-notifications';
import {
  batchStartSearchAttributes,
  TRANSFER_BATCH_WORKFLOW_ID_REUSE_POLICY,
  TRANSFER_BATCH_WORKFLOW_TYPE,
  transferBatchWorkflowId,
  type TransferBatchInput,
} from '../lib/workflow-contract/transfer-batch';
import { hiddenFrom } from './authorize';
import type { CreateTransferBatchBody } from './schemas';
import { idempotencyKeyReused, WAIT_MS_MAX, type TransferDeps, type WriteOrigin } from './transfers';

export interface BatchDeps extends Pick<TransferDeps, 'statusListener' | 'temporal' | 'metrics' | 'logger' | 'approvalThresholdMinor' | 'taskQueue'> {
  batches: BatchStore;
  /** BATCH_CHUNK_SIZE: items per ledger transaction of an independent batch. */
  batchChunkSize: number;
}

export async function createBatch(
  deps: BatchDeps,
  body: CreateTransferBatchBody,
  { principal, idempotencyKey, traceId }: WriteOrigin,
  id: string = randomUUID(),
): Promise<{ batch: BatchRecord; replayed: boolean }> {
  refuseApprovalItems(deps, body);
  const result = await deps.batches.createBatch({
    principal,
    idempotencyKey,
    requestHash: requestHash(normalized(body)),
    batch: {
      id,
      mode: body.mode,
      traceId,
      createdBy: principal,
      items: body.transfers.map((item) => ({ ...item, amountMinor: amountMinorOf(item.amount, 'amount'), description: item.description ?? null, metadata: item.metadata ?? {} })),
    },
  });
  if (!result.created && !result.requestHashMatches) {
    throw idempotencyKeyReused('This Idempotency-Key was used with a different batch.');
  }
  // Started on every request that finds the batch pending: the first may have failed after the rows were written.
  if (result.batch.status === 'pending') await startBatchWorkflow(deps, result.batch);
  trace.getActiveSpan()?.setAttributes({ 'ledger.batch.id': result.batch.id, 'ledger.batch.items': result.batch.itemCount });
  if (result.created) deps.logger.info({ batch_id: result.batch.id, mode: body.mode, items: result.batch.itemCount, created_by: principal }, 'transfer batch created');
  else deps.metrics.idempotencyHit('POST /v1/transfer-batches');
  return { batch: result.batch, replayed: !result.created };
}

/** `?wait=true`: the batch once it is final, or after WAIT_MS_MAX as it then stands. Its id is watched before the insert. */
export async function createBatchAndWait(deps: BatchDeps, body: CreateTransferBatchBody, origin: WriteOrigin): Promise<{ batch: BatchRecord; replayed: boolean }> {
  const deadline = Date.now() + WAIT_MS_MAX;
  const id = randomUUID();
  let watch = deps.statusListener.watch(id, () => true);
  try {
    const { batch, replayed } = await createBatch(deps, body, origin, id);
    if (batch.id !== id) {
      // A replay answers with the first request's batch: watch that one, then read it once (it may have moved since).
      watch.close();
      watch = deps.statusListener.watch(batch.id, () => true);
    }
    return { batch: await waitForFinal(deps, watch, batch, deadline), replayed };
  } finally {
    watch.close();
  }
}

async function waitForFinal(deps: BatchDeps, watch: StatusWatch, seen: BatchRecord, deadline: number): Promise<BatchRecord> {
  let current = seen;
  while (current.status === 'pending') {
    const woken = await watch.next(deadline - Date.now());
    current = (await deps.batches.getBatch(current.id).catch(() => null)) ?? current;
    if (!woken) break;
  }
  return current;
}

/** Starts the batch's workflow; a no-op while it runs. Also the resumer's call for a batch left pending. */
export async function startBatchWorkflow(deps: Pick<BatchDeps, 'temporal' | 'taskQueue' | 'logger' | 'batchChunkSize'>, batch: BatchRecord): Promise<boolean> {
  const input: TransferBatchInput = { batchId: batch.id, mode: batch.mode, itemCount: batch.itemCount, chunkSize: deps.batchChunkSize };
  try {
    await deps.temporal.workflow.start(TRANSFER_BATCH_WORKFLOW_TYPE, {
      taskQueue: deps.taskQueue,
      workflowId: transferBatchWorkflowId(batch.id),
      args: [input],
      workflowIdReusePolicy: TRANSFER_BATCH_WORKFLOW_ID_REUSE_POLICY,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: batchStartSearchAttributes(batch.id),
    });
    return true;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
    deps.logger.warn({ err: error, batch_id: batch.id }, 'could not start batch workflow');
    throw unavailable('temporal', 'The batch is recorded but its workflow could not be started yet; retry the same request.');
  }
}

/** The batch; a 404 when there is none, or when the request may see only `owner`'s and another principal created it. */
export async function getBatchOr404(deps: Pick<BatchDeps, 'batches'>, id: string, owner: string | null = null): Promise<BatchRecord> {
  const batch = await deps.batches.getBatch(id);
  if (!batch || hiddenFrom(owner, batch.createdBy)) throw notFound('transfer batch', id);
  return batch;
}

/** Approvals stay per transfer: an item at or above the threshold is refused, naming it, before anything is written. */
function refuseApprovalItems(deps: Pick<BatchDeps, 'approvalThresholdMinor'>, body: CreateTransferBatchBody): void {
  const errors = body.transfers.flatMap((item, index) =>
    amountMinorOf(item.amount, 'amount') >= deps.approvalThresholdMinor
      ? [{ field: `transfers[${index}].amount`, message: `is at or above the approval threshold (${deps.approvalThresholdMinor}): a batch takes no transfer that needs approval; send it alone` }]
      : [],
  );
  if (errors.length > 0) throw validationError(errors);
}

/** What the key stands for: optional fields as the store keeps them. */
function normalized(body: CreateTransferBatchBody) {
  return {
    mode: body.mode,
    transfers: body.transfers.map((item) => ({ ...item, description: item.description ?? null, metadata: item.metadata ?? {}, reference: item.reference ?? null })),
  };
}
