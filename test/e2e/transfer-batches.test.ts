/**
 * Proves transfer batches through the real gateway, worker, ledger, Kafka,
 * read model and Temporal: an independent batch posts each transfer it can
 * and fails the others with their codes, in order; an atomic batch posts all
 * or none (the refused item named, the others BATCH_ABORTED); the items are
 * ordinary transfers (GET, statements in the batch's order, reverse) that
 * take no decisions; a replay answers the same batch, another body under the
 * key is a 422; an invalid item or one needing approval is a 400 naming it,
 * and nothing is written; a batch whose run is terminated is finished by the
 * resumer, posting nothing twice; every money invariant holds after.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { resumePendingBatches } from '../../api/resume-batches';
import { createLogger } from '../../lib/logger';
import { createBatchStore } from '../../lib/transfers';
import { transferBatchWorkflowId } from '../../lib/workflow-contract';
import {
  invariantPools,
  ledgerBalancesMatchEntries,
  noTransferPostedTwice,
  postedSumsAreZero,
  readModelMatchesLedger,
  type InvariantPools,
} from '../support/invariants';
import { api, config, createAccount, ensureSystem, eventually, fund, newKey } from '../support/system';

let connection: Connection;
let temporal: Client;
let pools: InvariantPools;

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  pools = invariantPools();
}, 10 * 60_000);

afterAll(async () => {
  await connection?.close();
  await pools?.close();
});

const item = (fromAccountId: string, toAccountId: string, amount: string, extra: Record<string, unknown> = {}) => ({ fromAccountId, toAccountId, amount, currency: 'USD', ...extra });
/** The read model's posted balance, once it shows `expected` (it follows the ledger by Kafka, a moment behind). */
const postedOnceCaughtUp = async (accountId: string, expected: string) =>
  (await eventually(() => api.get(`/v1/accounts/${accountId}/balance`), (r) => r.body.posted === expected)).body.posted;
const postBatch = (body: unknown, key = newKey(), wait = true) => api.post(`/v1/transfer-batches${wait ? '?wait=true' : ''}`, body, { 'Idempotency-Key': key });

async function itemsOf(batchId: string): Promise<Array<{ id: string; status: string; failureCode: string | null; batchIndex: number; reference: string | null; entryId: string | null }>> {
  const items = [];
  let cursor: string | null = null;
  do {
    const page = await api.get(`/v1/transfer-batches/${batchId}/transfers?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

it('when an independent batch holds transfers the rules refuse, then the others post in order and each failure has its code', async () => {
  const employer = await createAccount('USD');
  const [alice, bob, frozen] = [await createAccount('USD'), await createAccount('USD'), await createAccount('USD')];
  const euro = await createAccount('EUR');
  await fund(employer, '1000');
  expect((await api.post(`/v1/accounts/${frozen}/freeze`)).status).toBe(200);

  const answer = await postBatch({
    mode: 'independent',
    transfers: [
      item(employer, alice, '600', { reference: 'line-1' }),
      item(employer, bob, '600', { reference: 'line-2' }),
      item(alice, bob, '100', { reference: 'line-3', description: 'alice pays bob from what line 1 brought' }),
      item(employer, frozen, '10'),
      item(employer, euro, '10'),
      item(employer, bob, '400', { metadata: { line: 6 } }),
    ],
  });

  expect(answer.status).toBe(201);
  expect(answer.headers.get('location')).toBe(`/v1/transfer-batches/${answer.body.id}`);
  expect(answer.body).toMatchObject({ mode: 'independent', status: 'completed', itemCount: 6, counts: { posted: 3, failed: 3 }, failureCode: null, failureIndex: null });
  const items = await itemsOf(answer.body.id);
  expect(items.map((i) => [i.batchIndex, i.status, i.failureCode])).toEqual([
    [0, 'posted', null],
    [1, 'failed', 'INSUFFICIENT_FUNDS'],
    [2, 'posted', null],
    [3, 'failed', 'ACCOUNT_FROZEN'],
    [4, 'failed', 'CURRENCY_MISMATCH'],
    [5, 'posted', null],
  ]);
  expect(items.map((i) => i.reference)).toEqual(['line-1', 'line-2', 'line-3', null, null, null]);
  const single = await api.get(`/v1/transfers/${items[2]!.id}`);
  expect(single.body).toMatchObject({ batchId: answer.body.id, batchIndex: 2, status: 'posted', description: 'alice pays bob from what line 1 brought' });

  // The statement lists bob's lines in the batch's order, each with the balance it left.
  const statement = await eventually(() => api.get(`/v1/accounts/${bob}/statement`), (r) => r.status === 200 && r.body.items.length === 2);
  expect(statement.body.items.map((l: { amount: string; balanceAfter: string }) => [l.amount, l.balanceAfter])).toEqual([
    ['100', '100'],
    ['400', '500'],
  ]);
  // As of the last line's time (to the millisecond, as clients see it), the balance is the one that line left.
  const last = statement.body.items[1] as { postedAt: string; balanceAfter: string };
  expect((await api.get(`/v1/accounts/${bob}/balance?asOf=${encodeURIComponent(last.postedAt)}`)).body.posted).toBe(last.balanceAfter);
  expect(await readModelMatchesLedger(pools, [employer, alice, bob])).toEqual([]);
});

it('when an item of an atomic batch is refused, then none posts, the batch names the item, and the others fail BATCH_ABORTED', async () => {
  const payer = await createAccount('USD');
  const payee = await createAccount('USD');
  await fund(payer, '100');

  const answer = await postBatch({ mode: 'atomic', transfers: [item(payer, payee, '60'), item(payer, payee, '30'), item(payer, payee, '20')] });

  expect(answer.body).toMatchObject({ mode: 'atomic', status: 'failed', counts: { posted: 0, failed: 3 }, failureCode: 'INSUFFICIENT_FUNDS', failureIndex: 2 });
  expect((await itemsOf(answer.body.id)).map((i) => i.failureCode)).toEqual(['BATCH_ABORTED', 'BATCH_ABORTED', 'INSUFFICIENT_FUNDS']);
  // The funding shows once the read model has it; the refused batch moved nothing on top of it.
  expect(await postedOnceCaughtUp(payer, '100')).toBe('100');
  const { rows } = await pools.ledger.query('SELECT posted_minor::text AS posted, pending_minor::text AS pending FROM ledger_accounts WHERE account_id = $1', [payer]);
  expect(rows[0]).toEqual({ posted: '100', pending: '0' });
});

it('when an atomic batch fits, then every item posts; a posted item is reversed like any transfer, and takes no decision', async () => {
  const payer = await createAccount('USD');
  const payee = await createAccount('USD');
  await fund(payer, '100');

  const answer = await postBatch({ mode: 'atomic', transfers: [item(payer, payee, '60'), item(payer, payee, '40')] });
  expect(answer.body).toMatchObject({ status: 'completed', counts: { posted: 2, failed: 0 } });
  const [first] = await itemsOf(answer.body.id);

  const cancel = await api.post(`/v1/transfers/${first!.id}/cancel`);
  const reversed = await api.post(`/v1/transfers/${first!.id}/reverse`, undefined, { 'Idempotency-Key': newKey() });

  expect([cancel.status, cancel.body.code]).toEqual([409, 'INVALID_STATE']);
  expect(cancel.body.detail).toContain(`transfer batch ${answer.body.id}`);
  expect(reversed.body).toMatchObject({ status: 'reversed', reversal: { status: 'posted' } });
  expect(await postedOnceCaughtUp(payer, '60')).toBe('60');
});

it('when the same batch is sent again, then it is replayed; another body under its key is a 422', async () => {
  const payer = await createAccount('USD');
  const payee = await createAccount('USD');
  await fund(payer, '100');
  const key = newKey();
  const body = { mode: 'independent', transfers: [item(payer, payee, '10')] };

  const first = await postBatch(body, key);
  const again = await postBatch(body, key);
  const other = await postBatch({ ...body, transfers: [item(payer, payee, '11')] }, key);

  expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 200, 'true']);
  expect(again.body.id).toBe(first.body.id);
  expect([other.status, other.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  expect(await postedOnceCaughtUp(payee, '10')).toBe('10');
  const { rows } = await pools.ledger.query('SELECT posted_minor::text AS posted FROM ledger_accounts WHERE account_id = $1', [payee]);
  expect(rows[0].posted).toBe('10');
});

it('when an item is invalid or needs approval, then the batch is a 400 naming its index and field, and nothing is written', async () => {
  const payer = await createAccount('USD');
  const payee = await createAccount('USD');
  const key = newKey();

  const invalid = await postBatch({ mode: 'independent', transfers: [item(payer, payee, '10'), item(payer, payee, '0'), item(payer, payer, '5')] }, key);
  const approval = await postBatch({ mode: 'independent', transfers: [item(payer, payee, '10'), item(payer, payee, '5000000')] });
  const tooMany = await postBatch({ mode: 'independent', transfers: Array.from({ length: 1001 }, () => item(payer, payee, '1')) });
  const empty = await postBatch({ mode: 'atomic', transfers: [] });

  const fields = (answer: { body: { errors?: Array<{ field: string }> } }) => answer.body.errors?.map((e) => e.field);
  expect([invalid.status, fields(invalid)]).toEqual([400, ['transfers[1].amount', 'transfers[2].toAccountId']]);
  expect([approval.status, fields(approval)]).toEqual([400, ['transfers[1].amount']]);
  expect([tooMany.status, fields(tooMany)]).toEqual([400, ['transfers']]);
  expect(tooMany.body.errors[0].message).toContain('1000');
  expect([empty.status, fields(empty)]).toEqual([400, ['transfers']]);
  // The key of the refused request was not taken: it creates the batch once the body is valid.
  const valid = await postBatch({ mode: 'independent', transfers: [item(payer, payee, '10')] }, key);
  expect(valid.status).toBe(201);
  const { rows } = await pools.transfers.query('SELECT count(*)::int AS n FROM transfers WHERE to_account_id = $1', [payee]);
  expect(rows[0].n).toBe(1);
});

it('when a batch run is terminated before it posts, then the resumer finishes it with a new run, and nothing posts twice', async () => {
  const payer = await createAccount('USD');
  const payees = [await createAccount('USD'), await createAccount('USD')];
  await fund(payer, '1000');
  const answer = await postBatch({ mode: 'independent', transfers: payees.map((p) => item(payer, p, '100')) }, newKey(), false);
  expect(answer.status).toBe(201);
  const handle = temporal.workflow.getHandle(transferBatchWorkflowId(answer.body.id));
  // Terminated whatever it reached: posted nothing, some chunk, or all (then the batch is final and the resumer leaves it).
  await handle.terminate('e2e: an operator terminates the batch').catch(() => undefined);

  const deps = { batches: createBatchStore(pools.transfers), temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger: createLogger('resume-batches-test', 'silent'), batchChunkSize: 1 };
  await resumePendingBatches(deps, 0);

  const final = await eventually(() => api.get(`/v1/transfer-batches/${answer.body.id}`), (r) => r.body.status !== 'pending', 30_000);
  expect(final.body).toMatchObject({ status: 'completed', counts: { posted: 2, failed: 0 } });
  for (const payee of payees) expect(await postedOnceCaughtUp(payee, '100')).toBe('100');
  expect(await noTransferPostedTwice(pools)).toEqual([]);
});

it('after the batches, the money invariants hold', async () => {
  expect(await postedSumsAreZero(pools)).toEqual([]);
  expect(await ledgerBalancesMatchEntries(pools)).toEqual([]);
});

it('when a batch id names nothing, then GET is a 404', async () => {
  expect((await api.get(`/v1/transfer-batches/${randomUUID()}`)).status).toBe(404);
  expect((await api.get('/v1/transfer-batches/not-a-uuid/transfers')).status).toBe(404);
});
