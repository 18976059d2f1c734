/**
 * The gateway calls the workload and the resolver share: polling a transfer
 * until a condition holds, reading a statement page by page, the answers as
 * the history records them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatementItem } from './history';
import type { Http } from './http';

const POLL_MS = 300;

/** The body of a transfer op; the resolver sends it again, byte for byte, with the op's key. */
export const transferBody = (from: string, to: string, amountMinor: string) => ({ fromAccountId: from, toAccountId: to, amount: amountMinor, currency: 'USD', description: 'history' });

/** GETs the transfer until `done` holds for it (answers with errors are retried); undefined past the deadline. */
export async function pollTransfer(http: Http, id: string, deadline: number, done: (t: any) => boolean): Promise<any | undefined> {
  while (Date.now() < deadline) {
    const reply = await http('GET', `/v1/transfers/${id}`);
    if (reply.kind === 'answer' && reply.status === 200 && done(reply.body)) return reply.body;
    await sleep(POLL_MS);
  }
  return undefined;
}

export const notPending = (t: any): boolean => t.status !== 'pending';
export const decided = (t: any): boolean => t.status !== 'pending' && t.status !== 'awaiting_approval';
export const reversalSettled = (t: any): boolean => t.reversal?.status !== 'pending';

export const transferOutcome = (t: any) => ({ transferId: t.id as string, status: t.status as string, failureCode: (t.failureCode ?? null) as string | null });
export const decisionOutcome = (t: any) => ({ status: t.status as string, failureCode: (t.failureCode ?? null) as string | null });
export const reversalOutcome = (t: any) => ({
  status: t.status as string,
  reversalStatus: (t.reversal?.status ?? null) as string | null,
  failureCode: (t.reversal?.failureCode ?? null) as string | null,
});

/** Every page of an account's statement; undefined when a page could not be read. */
export async function readStatement(http: Http, account: string): Promise<StatementItem[] | undefined> {
  const items: StatementItem[] = [];
  let cursor: string | null = null;
  do {
    const reply = await http('GET', `/v1/accounts/${account}/statement?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (reply.kind !== 'answer' || reply.status !== 200) return undefined;
    for (const i of reply.body.items) {
      items.push({ entryId: i.entryId, transferId: i.transferId, postedAt: i.postedAt, direction: i.direction, amountMinor: i.amount, balanceAfterMinor: i.balanceAfter });
    }
    cursor = reply.body.nextCursor;
  } while (cursor);
  return items;
}

/** One item of a batch op as the history records it (the invoke's `items`). */
export interface BatchItemInput {
  from: string;
  to: string;
  amountMinor: string;
}

/** The body of a batch op; the resolver sends it again, byte for byte, with the op's key. */
export const batchBody = (mode: string, items: BatchItemInput[]) => ({
  mode,
  transfers: items.map((i) => ({ fromAccountId: i.from, toAccountId: i.to, amount: i.amountMinor, currency: 'USD', description: 'history batch' })),
});

const ITEM_PAGE_LIMIT = 200;

/**
 * Polls the batch until it is final, then reads its items page by page: the
 * answer as the history records it (ok value or resolution); undefined when
 * it was still pending at the deadline or a page could not be read.
 */
export async function finalBatch(http: Http, id: string, deadline: number): Promise<any | undefined> {
  let batch: any;
  while (Date.now() < deadline) {
    const reply = await http('GET', `/v1/transfer-batches/${id}`);
    if (reply.kind === 'answer' && reply.status === 200 && reply.body.status !== 'pending') {
      batch = reply.body;
      break;
    }
    await sleep(POLL_MS);
  }
  if (!batch) return undefined;
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const reply = await http('GET', `/v1/transfer-batches/${id}/transfers?limit=${ITEM_PAGE_LIMIT}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (reply.kind !== 'answer' || reply.status !== 200) return undefined;
    items.push(...reply.body.items);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return batchOutcome(batch, items);
}

export const batchOutcome = (b: any, items: any[]) => ({
  batchId: b.id as string,
  mode: b.mode as string,
  status: b.status as string,
  postedCount: b.counts.posted as number,
  failedCount: b.counts.failed as number,
  failureCode: (b.failureCode ?? null) as string | null,
  failureIndex: (b.failureIndex ?? null) as number | null,
  items: items.map((t) => ({ transferId: t.id as string, batchIndex: t.batchIndex as number, status: t.status as string, failureCode: (t.failureCode ?? null) as string | null })),
});
