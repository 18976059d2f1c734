/**
 * End to end over HTTP against the whole running system (gateway, Temporal
 * dev server and worker, accounts, ledger, Kafka, read model): a transfer is
 * created, runs as a saga, posts, and shows in balances and statements; the
 * failure codes, idempotency, approval and reversal behave as the contract
 * says.
 */
import { firstOf } from '../../lib/assert';
import { api, createAccount, ensureSystem, eventually, fund, newKey, settle, transfer, transferAndSettle } from '../support/system';

beforeAll(() => ensureSystem(), 10 * 60_000);

async function balanceOf(accountId: string) {
  return (await api.get(`/v1/accounts/${accountId}/balance`)).body;
}

describe('a transfer', () => {
  it('when funded and transferred, then it posts and the read model shows balances and a statement', async () => {
    const alice = await createAccount('USD', '0');
    const bob = await createAccount('USD', '0');
    await fund(alice, '5000');

    const res = await transferAndSettle(transfer(alice, bob, '1250', 'USD', { metadata: { invoice: 'A-17' } }));

    expect(res.body).toMatchObject({ status: 'posted', amount: '1250', currency: 'USD', failureCode: null, metadata: { invoice: 'A-17' } });
    expect(res.body.entryId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    const bobBalance = await eventually(() => balanceOf(bob), (b) => b.posted === '1250');
    expect(bobBalance).toMatchObject({ posted: '1250', pending: '0', available: '1250' });
    const aliceBalance = await eventually(() => balanceOf(alice), (b) => b.posted === '3750');
    expect(aliceBalance).toMatchObject({ posted: '3750', available: '3750' });

    const statement = (await api.get(`/v1/accounts/${alice}/statement`)).body;
    expect(statement.items.map((i: { direction: string; amount: string; balanceAfter: string }) => [i.direction, i.amount, i.balanceAfter])).toEqual([
      ['credit', '5000', '5000'],
      ['debit', '1250', '3750'],
    ]);
    expect(statement.items[1].transferId).toBe(res.body.id);
    const account = (await api.get(`/v1/accounts/${bob}`)).body;
    expect(account.balance).toMatchObject({ posted: '1250', available: '1250' });
  });

  it.each([
    ['ACCOUNT_NOT_FOUND', async () => ({ from: await createAccount('USD', '1000'), to: '00000000-0000-4000-8000-000000000000' })],
    ['CURRENCY_MISMATCH', async () => ({ from: await createAccount('USD', '1000'), to: await createAccount('EUR') })],
    ['INSUFFICIENT_FUNDS', async () => ({ from: await createAccount('USD', '10'), to: await createAccount('USD') })],
    [
      'ACCOUNT_FROZEN',
      async () => {
        const to = await createAccount('USD');
        await api.post(`/v1/accounts/${to}/freeze`);
        return { from: await createAccount('USD', '1000'), to };
      },
    ],
  ])('when the transfer cannot happen (%s), then it ends failed with that code and moves nothing', async (code, accounts) => {
    const { from, to } = await accounts();
    const res = await transferAndSettle(transfer(from, to, '500'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', failureCode: code, entryId: null });
    expect((await balanceOf(from)).available).toBe('0');
  });
});

describe('idempotency', () => {
  it('when the same key and body are sent again, then 200 with the same transfer and Idempotent-Replayed', async () => {
    const from = await createAccount('USD', '1000');
    const to = await createAccount('USD');
    const key = newKey();
    const first = await api.post('/v1/transfers', transfer(from, to, '10'), { 'Idempotency-Key': key });
    const again = await api.post('/v1/transfers', transfer(from, to, '10'), { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/v1/transfers/${first.body.id}`);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });

  it('when a key is reused with another body, then 422 idempotency-key-reused', async () => {
    const from = await createAccount('USD', '1000');
    const to = await createAccount('USD');
    const key = newKey();
    await api.post('/v1/transfers', transfer(from, to, '10'), { 'Idempotency-Key': key });
    const reused = await api.post('/v1/transfers', transfer(from, to, '11'), { 'Idempotency-Key': key });
    expect(reused.status).toBe(422);
    expect(reused.body.type).toMatch(/idempotency-key-reused$/);
  });

  it('when 20 identical requests race with one key, then one transfer exists and posts once', async () => {
    const from = await createAccount('USD', '1000');
    const to = await createAccount('USD');
    const key = newKey();
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.post('/v1/transfers', transfer(from, to, '7'), { 'Idempotency-Key': key })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await settle(firstOf(answers, 'the answers').body.id)).body.status).toBe('posted');
    const listed = (await api.get(`/v1/transfers?accountId=${from}`)).body.items;
    expect(listed).toHaveLength(1);
    expect((await eventually(() => balanceOf(to), (b) => b.posted === '7')).posted).toBe('7');
  });
});

describe('approval and reversal', () => {
  it('when an amount at the approval threshold is approved, then it waits, then posts', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const created = await transferAndSettle(transfer(from, to, '1000000'));
    expect(created.body.status).toBe('awaiting_approval');
    expect((await eventually(() => balanceOf(from), (b) => b.pending === '1000000')).available).toBe('-1000000');

    const approved = await api.post(`/v1/transfers/${created.body.id}/approve`);
    expect(approved.status).toBe(200);
    const posted = await eventually(() => api.get(`/v1/transfers/${created.body.id}`), (r) => r.body.status === 'posted');
    expect(posted.body.status).toBe('posted');
    const again = await api.post(`/v1/transfers/${created.body.id}/approve`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: 409, code: 'INVALID_STATE' });
  });

  it('when an awaiting transfer is rejected, then it is cancelled with failureCode REJECTED and its funds are released', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const created = await transferAndSettle(transfer(from, to, '2000000'));
    const rejected = await api.post(`/v1/transfers/${created.body.id}/reject`, {});
    const done = await eventually(() => api.get(`/v1/transfers/${created.body.id}`), (r) => r.body.status === 'cancelled');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
    expect(done.body).toMatchObject({ status: 'cancelled', failureCode: 'REJECTED' });
    expect((await eventually(() => balanceOf(from), (b) => b.pending === '0')).available).toBe('0');
    const cancelRejected = await api.post(`/v1/transfers/${created.body.id}/cancel`);
    expect(cancelRejected.body).toMatchObject({ status: 409, code: 'INVALID_STATE' });
  });

  it('when an awaiting transfer is cancelled, then it is cancelled with no failure code (told apart from a reject)', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const created = await transferAndSettle(transfer(from, to, '2000000'));
    await api.post(`/v1/transfers/${created.body.id}/cancel`, {});
    const done = await eventually(() => api.get(`/v1/transfers/${created.body.id}`), (r) => r.body.status === 'cancelled');
    expect(done.body).toMatchObject({ status: 'cancelled', failureCode: null });
  });

  it('when a posted transfer is reversed, then it becomes reversed and the balances return', async () => {
    const from = await createAccount('USD', '1000');
    const to = await createAccount('USD');
    const posted = await transferAndSettle(transfer(from, to, '300'));
    expect(posted.body.status).toBe('posted');

    const missingKey = await api.post(`/v1/transfers/${posted.body.id}/reverse`);
    expect(missingKey.status).toBe(400);
    const reversing = await api.post(`/v1/transfers/${posted.body.id}/reverse`, undefined, { 'Idempotency-Key': newKey() });
    expect(reversing.status).toBe(200);
    const reversed = await eventually(() => api.get(`/v1/transfers/${posted.body.id}`), (r) => r.body.status === 'reversed');
    expect(reversed.body.status).toBe('reversed');
    expect((await eventually(() => balanceOf(to), (b) => b.posted === '0')).posted).toBe('0');
    const cancelPosted = await api.post(`/v1/transfers/${posted.body.id}/cancel`);
    expect(cancelPosted.status).toBe(409);
  });
});
