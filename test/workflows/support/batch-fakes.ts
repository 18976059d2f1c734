/**
 * In-memory stand-ins for what the batch activities call (activities/
 * transfer-batch.ts): the transfers table's batch rows and the ledger's
 * POST /batches. The ledger fake keeps one balance per source account and
 * refuses an item that would take it below zero, as the real one does with a
 * credit limit of 0; it remembers the entries it posted, so a chunk sent
 * again replays them.
 */
import { randomUUID } from 'node:crypto';
import type { LedgerBatchApi } from '../../../lib/clients';
import type { PostBatchRequest, PostBatchResponse } from '../../../lib/contracts/ledger';
import type { BatchItem, BatchOutcome, BatchRecord, BatchStore, ItemOutcome } from '../../../lib/transfers/batch-store';

export class FakeBatchLedger implements LedgerBatchApi {
  readonly balances = new Map<string, bigint>();
  readonly posted = new Set<string>();
  calls = 0;
  /** Fails this many calls with a transport error first (the step is retried). */
  failNext = 0;

  async postBatch(request: PostBatchRequest): Promise<PostBatchResponse> {
    this.calls += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw Object.assign(new Error('ledger unreachable'), { name: 'TransientServiceError' });
    }
    const balances = new Map(this.balances);
    const items: PostBatchResponse['items'] = [];
    for (const [index, item] of request.items.entries()) {
      if (this.posted.has(item.entryId)) {
        items.push({ status: 'posted', entryId: item.entryId, replayed: true });
        continue;
      }
      const left = (balances.get(item.fromAccountId) ?? 0n) - BigInt(item.amountMinor);
      if (left < 0n) {
        if (request.mode === 'atomic') return { items: [], refusal: { index, code: 'INSUFFICIENT_FUNDS', message: `account ${item.fromAccountId} is short` } };
        items.push({ status: 'refused', code: 'INSUFFICIENT_FUNDS', message: `account ${item.fromAccountId} is short` });
        continue;
      }
      balances.set(item.fromAccountId, left);
      items.push({ status: 'posted', entryId: item.entryId, replayed: false });
    }
    for (const [id, balance] of balances) this.balances.set(id, balance);
    for (const item of items) if (item.status === 'posted') this.posted.add(item.entryId);
    return { items, refusal: null };
  }
}

export class FakeBatchStore implements Pick<BatchStore, 'batchItems' | 'recordItemOutcomes' | 'recordBatchOutcome'> {
  readonly items: BatchItem[] = [];
  outcome: BatchOutcome | null = null;
  outcomeWrites = 0;

  constructor(readonly batchId: string) {}

  /** Adds `count` items from `fromAccountId`, of `amountMinor` each. */
  add(count: number, fromAccountId: string, amountMinor: bigint): this {
    for (let i = 0; i < count; i++) {
      this.items.push({
        transferId: randomUUID(),
        batchIndex: this.items.length,
        fromAccountId,
        toAccountId: randomUUID(),
        amountMinor,
        currency: 'USD',
        description: null,
        status: 'pending',
        entryId: null,
        failureCode: null,
      });
    }
    return this;
  }

  async batchItems(_batchId: string, fromIndex: number, count: number): Promise<BatchItem[]> {
    return this.items.slice(fromIndex, fromIndex + count).map((item) => ({ ...item }));
  }

  async recordItemOutcomes(outcomes: ItemOutcome[]): Promise<number> {
    let moved = 0;
    for (const outcome of outcomes) {
      const item = this.items.find((i) => i.transferId === outcome.transferId);
      if (!item || item.status !== 'pending') continue;
      item.status = outcome.status;
      item.entryId = outcome.status === 'posted' ? outcome.entryId : null;
      item.failureCode = outcome.status === 'failed' ? outcome.failureCode : null;
      moved += 1;
    }
    return moved;
  }

  async recordBatchOutcome(_batchId: string, outcome: BatchOutcome): Promise<BatchRecord | null> {
    this.outcomeWrites += 1;
    if (this.outcome) return null;
    this.outcome = outcome;
    const now = new Date();
    return {
      id: this.batchId,
      mode: 'independent',
      status: outcome.status,
      itemCount: this.items.length,
      postedCount: outcome.postedCount,
      failedCount: outcome.failedCount,
      failureCode: outcome.failureCode,
      failureIndex: outcome.failureIndex,
      traceId: null,
      createdBy: null,
      createdAt: now,
      updatedAt: now,
    };
  }
}
