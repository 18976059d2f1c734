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
