/**
 * The load the metrics, dashboard and dropped-span tests run through the
 * gateway: 100 transfers of every kind the design counts (posted, refused by
 * the ledger for funds, refused for a frozen account, held for approval and
 * approved), idempotent replays, a refused account creation, balance and
 * statement queries, and one independent transfer batch (BATCH: items that
 * post and one refused for funds), through the public API like the rest.
 * Ten transfers run at a time; every one, and the batch, is settled.
 */
import { api, config, createAccount, eventually, newKey, transfer } from '../../support/system';
import { required } from '../../../lib/assert';

export type Outcome = 'posted' | 'approved' | 'insufficient_funds' | 'account_frozen';

export const PLAN: Record<Outcome, number> = { posted: 80, approved: 5, insufficient_funds: 10, account_frozen: 5 };
export const REPLAYS = 10;
/** The transfer batch of the load: independent, so its posted items and its refused one are counted apart. */
export const BATCH = { posted: 4, failed: 1 };
const CONCURRENCY = 10;
/** How long one transfer may take to settle: generous, because a benchmark may share the stack. */
const SETTLE_TIMEOUT_MS = 120_000;

export interface LoadedTransfer {
  outcome: Outcome;
  id: string;
  traceId: string;
  /** The terminal status and failure code it reached, e.g. "posted:null". */
  ended: string;
}

export interface LoadResult {
  startedAtMs: number;
  finishedAtMs: number;
  transfers: LoadedTransfer[];
  replayStatuses: number[];
  duplicateCodeStatus: number;
  /** The batch as it ended: its status and counts, e.g. "completed:4:1". */
  batchEnded: string;
}

interface Accounts {
  source: string;
  poor: string;
  frozen: string;
  targets: string[];
}

async function openAccounts(): Promise<Accounts> {
  const [source, poor, frozen, ...targets] = await Promise.all([
    createAccount('USD', 'unlimited'),
    createAccount('USD', '0'),
    createAccount('USD'),
    ...Array.from({ length: 4 }, () => createAccount('USD')),
  ]);
  const freeze = await api.post(`/v1/accounts/${frozen}/freeze`);
  if (freeze.status !== 200) throw new Error(`freeze failed: ${freeze.status}`);
  return { source, poor, frozen, targets };
}

/** The request body of the i-th transfer of an outcome. */
function bodyFor(outcome: Outcome, i: number, accounts: Accounts) {
  const target = required(accounts.targets[i % accounts.targets.length], 'a target account');
  switch (outcome) {
    case 'posted':
      return transfer(accounts.source, target, String(100 + i));
    case 'approved':
      return transfer(accounts.source, target, config.APPROVAL_THRESHOLD_MINOR);
    case 'insufficient_funds':
      return transfer(accounts.poor, target, '500');
    case 'account_frozen':
      return transfer(accounts.source, accounts.frozen, '100');
  }
}

/** The transfer once it has left `pending` (and `awaiting_approval`, when `approve` is set). */
async function settled(id: string, approve: boolean) {
  const waiting = approve ? ['pending', 'awaiting_approval'] : ['pending'];
  return eventually(() => api.get(`/v1/transfers/${id}`), (r) => r.status === 200 && !waiting.includes(r.body.status), SETTLE_TIMEOUT_MS);
}

async function runOne(outcome: Outcome, body: unknown, key: string): Promise<LoadedTransfer> {
  const created = await api.post('/v1/transfers?wait=true', body, { 'Idempotency-Key': key });
  if (created.status !== 201) throw new Error(`transfer not created: ${created.status} ${JSON.stringify(created.body)}`);
  let ended = await settled(created.body.id, false);
  if (outcome === 'approved' && ended.body.status === 'awaiting_approval') {
    await api.post(`/v1/transfers/${created.body.id}/approve`);
    ended = await settled(created.body.id, true);
  }
  return { outcome, id: created.body.id, traceId: created.body.traceId, ended: `${ended.body.status}:${ended.body.failureCode}` };
}

/** An independent batch of BATCH.posted items from the funding account and BATCH.failed from the poor one, run until final. */
async function runBatch(accounts: Accounts): Promise<string> {
  const target = (i: number) => required(accounts.targets[i % accounts.targets.length], 'a target account');
  const transfers = [
    ...Array.from({ length: BATCH.posted }, (_, i) => ({ ...transfer(accounts.source, target(i), String(200 + i)), reference: `obs-line-${i}` })),
    ...Array.from({ length: BATCH.failed }, (_, i) => ({ ...transfer(accounts.poor, target(i), '500'), reference: `obs-refused-${i}` })),
  ];
  const created = await api.post('/v1/transfer-batches?wait=true', { mode: 'independent', transfers }, { 'Idempotency-Key': newKey() });
  if (created.status !== 201) throw new Error(`batch not created: ${created.status} ${JSON.stringify(created.body)}`);
  const ended = await eventually(() => api.get(`/v1/transfer-batches/${created.body.id}`), (r) => r.status === 200 && r.body.status !== 'pending', SETTLE_TIMEOUT_MS);
  return `${ended.body.status}:${ended.body.counts?.posted}:${ended.body.counts?.failed}`;
}

/** Runs `tasks` with at most `limit` in flight, in order of the list. */
async function inPool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  // One iterator shared by the workers: each takes the next task not yet taken.
  const queue = tasks.entries();
  const worker = async () => {
    for (const [at, task] of queue) results[at] = await task();
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

export async function runLoad(): Promise<LoadResult> {
  const startedAtMs = Date.now();
  const accounts = await openAccounts();
  const plan = (Object.entries(PLAN) as Array<[Outcome, number]>).flatMap(([outcome, count]) =>
    Array.from({ length: count }, (_, i) => ({ outcome, body: bodyFor(outcome, i, accounts), key: newKey() })),
  );
  const transfers = await inPool(plan.map((p) => () => runOne(p.outcome, p.body, p.key)), CONCURRENCY);
  const batchEnded = await runBatch(accounts);

  // The same key and body again: answered from the first request, counted as idempotency hits.
  const replayed = plan.filter((p) => p.outcome === 'posted').slice(0, REPLAYS);
  const replays = await Promise.all(replayed.map((p) => api.post('/v1/transfers', p.body, { 'Idempotency-Key': p.key })));

  // A second account with a code already taken: account_creation_errors_total{reason="code_taken"}.
  const code = `obs-dup-${newKey()}`;
  await api.post('/v1/accounts', { code, name: 'Observability', currency: 'USD', creditLimit: '0' });
  const duplicate = await api.post('/v1/accounts', { code, name: 'Observability', currency: 'USD', creditLimit: '0' });

  // The read model's queries: balances and a statement.
  await Promise.all(accounts.targets.map((id) => api.get(`/v1/accounts/${id}/balance`)));
  await api.get(`/v1/accounts/${accounts.targets[0]}/statement`);

  return {
    startedAtMs,
    finishedAtMs: Date.now(),
    transfers,
    replayStatuses: replays.map((r) => (r.headers.get('idempotent-replayed') === 'true' ? r.status : -r.status)),
    duplicateCodeStatus: duplicate.status,
    batchEnded,
  };
}

/** How each outcome should end, as "status:failureCode". */
export const EXPECTED_END: Record<Outcome, string> = {
  posted: 'posted:null',
  approved: 'posted:null',
  insufficient_funds: 'failed:INSUFFICIENT_FUNDS',
  account_frozen: 'failed:ACCOUNT_FROZEN',
};
