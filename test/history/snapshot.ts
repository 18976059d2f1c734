/**
 * The end of a run: wait until the system has settled (no transfer of the
 * groups pending, outboxes empty, the read model equal to the ledger), then
 * read the final snapshot the checks compare the history with: every
 * account's statement, every transfer on the groups' accounts, every batch a
 * batch op was answered with (its items included), and the report of a
 * reconciliation run started now.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { outboxesEmpty, readModelEqualsLedger, type InvariantPools } from '../support/invariants';
import { finalBatch, readStatement } from './api';
import type { FinalBatch, FinalSnapshot, FinalTransfer, SetupValue } from './history';
import { describe, type Http } from './http';

const POLL_MS = 1_000;

const accountsOf = (setup: SetupValue): string[] => Object.values(setup.groups).flatMap((g) => Object.keys(g.accounts));

/** Every transfer touching the account, page by page (the list is served by the gateway's transfers table). */
async function transfersOf(http: Http, account: string, status?: string): Promise<any[]> {
  const found: any[] = [];
  let cursor: string | null = null;
  do {
    const query = `accountId=${account}&limit=200${status ? `&status=${status}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const reply = await http('GET', `/v1/transfers?${query}`);
    if (reply.kind !== 'answer' || reply.status !== 200) throw new Error(`GET /v1/transfers?${query}: ${describe(reply)}`);
    found.push(...reply.body.items);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return found;
}

/** What still keeps the system from being settled; empty once it is. */
export async function unsettled(http: Http, pools: InvariantPools, setup: SetupValue): Promise<string[]> {
  const pending = (await Promise.all(accountsOf(setup).map((a) => transfersOf(http, a, 'pending')))).flat().map((t) => `transfer ${t.id} pending`);
  return [...new Set(pending), ...(await outboxesEmpty(pools)), ...(await readModelEqualsLedger(pools))];
}

/** Waits until settled or the deadline; returns what was still unsettled at the deadline (empty when settled). */
export async function waitSettled(http: Http, pools: InvariantPools, setup: SetupValue, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left: string[] = ['not looked at yet'];
  while (Date.now() < deadline) {
    left = await unsettled(http, pools, setup).catch((error: Error) => [`could not look: ${error.message}`]);
    if (left.length === 0) return [];
    await sleep(POLL_MS);
  }
  return left;
}

function finalTransfer(t: any): FinalTransfer {
  return {
    id: t.id,
    fromAccountId: t.fromAccountId,
    toAccountId: t.toAccountId,
    amountMinor: t.amount,
    status: t.status,
    failureCode: t.failureCode ?? null,
    reversalStatus: t.reversal?.status ?? null,
  };
}

/** Starts a reconciliation (waiting out one already running) and waits for its report. */
export async function reconcile(http: Http, timeoutMs: number): Promise<FinalSnapshot['reconciliation']> {
  const deadline = Date.now() + timeoutMs;
  let id: string | null = null;
  while (!id && Date.now() < deadline) {
    const reply = await http('POST', '/v1/reconciliations', {});
    if (reply.kind === 'answer' && reply.status === 202) id = reply.body.id;
    else await sleep(2_000);
  }
  if (!id) return { id: null, status: 'not started', mismatches: 0, detail: `no reconciliation could be started within ${timeoutMs / 1000} s` };
  while (Date.now() < deadline) {
    const reply = await http('GET', `/v1/reconciliations/${id}`);
    if (reply.kind === 'answer' && reply.status === 200 && reply.body.status !== 'running') {
      const report = reply.body;
      const counts = (report.counts ?? {}) as Record<string, { mismatches: number }>;
      const mismatches = Object.values(counts).reduce((sum, c) => sum + c.mismatches, 0);
      const detail = Object.entries(report.mismatches ?? {})
        .flatMap(([check, list]) => (list as object[]).slice(0, 5).map((m) => `${check} ${JSON.stringify(m)}`))
        .concat(report.failureMessage ? [report.failureMessage] : [])
        .join('; ');
      return { id, status: report.status, mismatches, detail };
    }
    await sleep(POLL_MS);
  }
  return { id, status: 'running', mismatches: 0, detail: `still running after ${timeoutMs / 1000} s` };
}

/** The batches, once final, as the checks compare them with the ops' answers. */
async function readBatches(http: Http, batchIds: string[], timeoutMs: number): Promise<Record<string, FinalBatch>> {
  const batches: Record<string, FinalBatch> = {};
  for (const id of batchIds) {
    const b = await finalBatch(http, id, Date.now() + timeoutMs);
    if (!b) throw new Error(`batch ${id} was still pending or unreadable at the end`);
    const { batchId, ...rest } = b;
    batches[id] = { id: batchId, ...rest, itemCount: rest.items.length };
  }
  return batches;
}

export async function readSnapshot(http: Http, setup: SetupValue, reconciliationTimeoutMs: number, batchIds: string[] = []): Promise<FinalSnapshot> {
  const statements: FinalSnapshot['statements'] = {};
  const transfers: FinalSnapshot['transfers'] = {};
  const balances: FinalSnapshot['balances'] = {};
  for (const account of accountsOf(setup)) {
    const reply = await http('GET', `/v1/accounts/${account}/balance`);
    if (reply.kind !== 'answer' || reply.status !== 200) throw new Error(`the final balance of ${account} could not be read: ${describe(reply)}`);
    balances[account] = { postedMinor: reply.body.posted, pendingMinor: reply.body.pending, availableMinor: reply.body.available };
    const items = await readStatement(http, account);
    if (!items) throw new Error(`the final statement of ${account} could not be read`);
    statements[account] = items;
    for (const t of await transfersOf(http, account)) transfers[t.id] = finalTransfer(t);
  }
  const batches = await readBatches(http, batchIds, reconciliationTimeoutMs);
  return { statements, transfers, balances, batches, reconciliation: await reconcile(http, reconciliationTimeoutMs) };
}
