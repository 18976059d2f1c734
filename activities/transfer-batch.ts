/**
 * The transfer batch's activities (workflows/transfer-batch.ts): post a chunk
 * of items in one ledger call and record their statuses in one statement;
 * record the batch's outcome. Both are safe to repeat: entry ids come from
 * the batch and the item's index (ids.ts), so the ledger replays what an
 * earlier attempt posted; status moves are guarded, so nothing is recorded
 * twice; and a chunk found recorded already (an attempt that recorded it and
 * then lost its answer) is read back, not sent again.
 *
 * A refusal is an item's outcome (status `failed` with its code), never an
 * activity failure; transport trouble and 5xx are retried without limit, as
 * for transfers (workflows/steps.ts).
 */
import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { LedgerBatchApi } from '../lib/clients';
import type { BatchItemResultDto, PostBatchResponse } from '../lib/contracts/ledger';
import { assert } from '../lib/assert';
import type { BatchItem, BatchOutcome, BatchStore, ItemOutcome } from '../lib/transfers/batch-store';
import { BATCH_ABORTED_FAILURE_CODE } from '../lib/transfers/refusal-codes';
import { isTerminalStatus } from '../lib/transfers/status';
import type { PostBatchChunkInput, PostBatchChunkResult, TransferBatchResult } from '../lib/workflow-contract/transfer-batch';
import { batchEntryIdFor } from './ids';
import { createBatchMetrics } from './metrics';

export interface BatchActivityDeps {
  ledger: LedgerBatchApi;
  batches: Pick<BatchStore, 'batchItems' | 'recordItemOutcomes' | 'recordBatchOutcome'>;
  logger: Logger;
  /** Where the batch counters are registered; without it nothing is counted. */
  registry?: Registry;
}

export interface RecordBatchOutcomeInput extends TransferBatchResult {
  batchId: string;
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;

export function createBatchActivities(deps: BatchActivityDeps) {
  const metrics = deps.registry ? createBatchMetrics(deps.registry) : undefined;

  return {
    async postBatchChunk(input: PostBatchChunkInput): Promise<PostBatchChunkResult> {
      const items = await deps.batches.batchItems(input.batchId, input.fromIndex, input.count);
      assert(items.length === input.count, `batch ${input.batchId} holds items ${input.fromIndex} to ${input.fromIndex + input.count - 1} (found ${items.length})`);
      const log = deps.logger.child({ batch_id: input.batchId, from_index: input.fromIndex, items: input.count });
      // One span per chunk (this activity's), never one per item: the chunk's size and outcome are its attributes.
      const span = trace.getActiveSpan();
      span?.setAttributes({ 'ledger.batch.id': input.batchId, 'ledger.batch.mode': input.mode, 'ledger.batch.from_index': input.fromIndex, 'ledger.batch.items': input.count });
      // Recorded in one statement, so a chunk is recorded whole or not at all.
      if (items.every((item) => isTerminalStatus(item.status))) {
        log.info('batch chunk recorded already; read back');
        return resultOf(items, input.mode);
      }
      const answer = await deps.ledger.postBatch({ mode: input.mode, items: items.map((item) => ledgerItem(input.batchId, item)) });
      const outcomes = outcomesOf(items, answer);
      const moved = await deps.batches.recordItemOutcomes(outcomes);
      const result = countOutcomes(outcomes, answer, items);
      log.info({ posted: result.posted, failed: result.failed, recorded: moved, failure_code: result.refusal?.code }, 'batch chunk posted');
      span?.setAttributes({ 'ledger.batch.posted': result.posted, 'ledger.batch.failed': result.failed });
      if (metrics && moved > 0) metrics.itemsRecorded(outcomes);
      return result;
    },

    /** Records the batch's outcome once; a repeat changes and counts nothing. */
    async recordBatchOutcome(input: RecordBatchOutcomeInput): Promise<void> {
      const { batchId, ...result } = input;
      const outcome: BatchOutcome = result;
      const recorded = await deps.batches.recordBatchOutcome(batchId, outcome);
      const log = deps.logger.child({ batch_id: batchId });
      if (!recorded) {
        log.info({ status: result.status }, 'batch outcome recorded already');
        return;
      }
      log.info({ status: recorded.status, posted: recorded.postedCount, failed: recorded.failedCount, failure_code: recorded.failureCode ?? undefined }, 'batch outcome recorded');
      metrics?.batchFinished(recorded);
    },
  };
}

function ledgerItem(batchId: string, item: BatchItem) {
  return {
    entryId: batchEntryIdFor(batchId, item.batchIndex),
    transferId: item.transferId,
    fromAccountId: item.fromAccountId,
    toAccountId: item.toAccountId,
    amountMinor: item.amountMinor.toString(),
    currency: item.currency,
    description: item.description ?? '',
  };
}

/** Each item's status from the ledger's answer: an atomic refusal fails every item, the refused one with its code. */
function outcomesOf(items: BatchItem[], answer: PostBatchResponse): ItemOutcome[] {
  const { refusal } = answer;
  if (refusal) {
    return items.map((item, i) =>
      i === refusal.index
        ? { transferId: item.transferId, status: 'failed', failureCode: refusal.code, failureMessage: refusal.message }
        : { transferId: item.transferId, status: 'failed', failureCode: BATCH_ABORTED_FAILURE_CODE, failureMessage: `item ${items[refusal.index]?.batchIndex} of the atomic batch was refused (${refusal.code}); nothing was posted` },
    );
  }
  assert(answer.items.length === items.length, `the ledger answered each of the chunk's ${items.length} items (got ${answer.items.length})`);
  return items.map((item, i) => outcomeOf(item, answer.items[i] as BatchItemResultDto));
}

function outcomeOf(item: BatchItem, result: BatchItemResultDto): ItemOutcome {
  if (result.status === 'posted') return { transferId: item.transferId, status: 'posted', entryId: result.entryId };
  return { transferId: item.transferId, status: 'failed', failureCode: result.code, failureMessage: result.message };
}

function countOutcomes(outcomes: ItemOutcome[], answer: PostBatchResponse, items: BatchItem[]): PostBatchChunkResult {
  const posted = outcomes.filter((o) => o.status === 'posted').length;
  const refusal = answer.refusal ? { index: items[answer.refusal.index]?.batchIndex ?? answer.refusal.index, code: answer.refusal.code } : null;
  return { posted, failed: outcomes.length - posted, refusal };
}

/** A chunk recorded already, read back: its counts, and an atomic batch's refusal (the item failed with a code of its own). */
function resultOf(items: BatchItem[], mode: PostBatchChunkInput['mode']): PostBatchChunkResult {
  const posted = items.filter((item) => item.status === 'posted' || item.status === 'reversed').length;
  const refused = items.find((item) => item.status === 'failed' && item.failureCode !== BATCH_ABORTED_FAILURE_CODE);
  // An atomic chunk is the whole batch: failed, it posted none.
  const refusal = mode === 'atomic' && posted === 0 && refused ? { index: refused.batchIndex, code: refused.failureCode ?? 'UNKNOWN' } : null;
  return { posted, failed: items.length - posted, refusal };
}
