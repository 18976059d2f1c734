/**
 * Proves the transfers store's rules against the real `transfers` database:
 * one idempotency key creates one transfer even when 20 requests race, a key
 * replayed with another body is reported, a terminal status never moves
 * backwards, pagination is newest first without gaps or repeats, amounts
 * survive as bigint up to the 64-bit maximum, and a reversal is claimed once
 * per key, recorded refused once, and claimed anew under a new key after a
 * refusal while every key that claimed one keeps naming it. How: the real migrations and
 * store on PostgreSQL; each test uses fresh random ids and keys, so it needs
 * no cleanup and cannot collide with other tests sharing the database (every
 * reversal claimed here ends reversed or refused, so a gateway's resumer
 * running meanwhile finds none to start).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config';
import { AMOUNT_MINOR_MAX } from '../money';
import { createPool, type Pool } from '../pg';
import { requestHash } from '../request-hash';
import {
  createTransferStore,
  InvalidCursorError,
  migrateTransfers,
  toTransferResource,
  TRANSFERS_DATABASE,
  type NewTransfer,
  type TransferRecord,
  type TransferStore,
} from '.';

const CONCURRENT_REQUESTS = 20;

let pool: Pool;
let store: TransferStore;

beforeAll(async () => {
  pool = createPool(loadConfig(), TRANSFERS_DATABASE, { applicationName: 'transfer-store-test', maxConnections: CONCURRENT_REQUESTS + 5 });
  await migrateTransfers(pool);
  store = createTransferStore(pool);
});

afterAll(async () => {
  await pool?.end();
});

function newTransfer(overrides: Partial<NewTransfer> = {}): NewTransfer {
  return { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1250n, currency: 'USD', description: 'rent', metadata: { invoice: 'A-17' }, ...overrides };
}

async function createOne(transfer = newTransfer()) {
  const result = await store.createTransfer({ principal: 'test', idempotencyKey: `key-${randomUUID()}`, requestHash: requestHash(transfer), transfer });
  return result.transfer;
}

describe('createTransfer and idempotency', () => {
  it('when 20 requests with one key arrive at once, then exactly one transfer is created and all of them return it', async () => {
    const idempotencyKey = `key-${randomUUID()}`;
    const transfer = newTransfer();
    const bodyHash = requestHash({ ...transfer, amountMinor: transfer.amountMinor.toString() });

    const results = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => store.createTransfer({ principal: 'test', idempotencyKey, requestHash: bodyHash, transfer })),
    );

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1);
    expect(results.every((r) => r.created || r.requestHashMatches)).toBe(true);
    const rows = await pool.query('SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1', [transfer.fromAccountId]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('when a key is replayed with another body, then the existing transfer is returned with requestHashMatches false and nothing is written', async () => {
    const idempotencyKey = `key-${randomUUID()}`;
    const first = newTransfer();
    const second = newTransfer({ amountMinor: 999n });
    const created = await store.createTransfer({ principal: 'test', idempotencyKey, requestHash: requestHash({ amount: '1250' }), transfer: first });

    const replayed = await store.createTransfer({ principal: 'test', idempotencyKey, requestHash: requestHash({ amount: '999' }), transfer: second });

    expect(replayed).toMatchObject({ created: false, requestHashMatches: false });
    expect(replayed.transfer.id).toBe(created.transfer.id);
    const rows = await pool.query('SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1', [second.fromAccountId]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('when a key is replayed with the same body, then the same transfer is returned with requestHashMatches true', async () => {
    const idempotencyKey = `key-${randomUUID()}`;
    const transfer = newTransfer();
    const created = await store.createTransfer({ principal: 'test', idempotencyKey, requestHash: 'h1', transfer });

    const replayed = await store.createTransfer({ principal: 'test', idempotencyKey, requestHash: 'h1', transfer });

    expect(replayed).toEqual({ created: false, requestHashMatches: true, transfer: created.transfer });
  });

  it('when a transfer is created, then it is pending with the given fields, and the amount at the 64-bit maximum survives as bigint', async () => {
    const transfer = newTransfer({ amountMinor: AMOUNT_MINOR_MAX, traceId: 'a'.repeat(32) });

    const created = await createOne(transfer);
    const read = await store.getTransfer(created.id);

    expect(read).toEqual(created);
    expect(read).toMatchObject({ status: 'pending', amountMinor: AMOUNT_MINOR_MAX, currency: 'USD', metadata: { invoice: 'A-17' }, failureCode: null, entryId: null });
    expect(toTransferResource(read!)).toMatchObject({ amount: '9223372036854775807', status: 'pending', traceId: 'a'.repeat(32) });
  });

  it('when request bodies differ only in key order, then their hashes are equal', () => {
    expect(requestHash({ a: 1, b: { c: 2, d: [1, 2] } })).toBe(requestHash({ b: { d: [1, 2], c: 2 }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});

describe('recordStatus', () => {
  it('when a posted transfer is recorded failed or pending again, then nothing moves and the move reports not applied', async () => {
    const transfer = await createOne();
    const entryId = randomUUID();
    const posted = await store.recordStatus(transfer.id, { status: 'posted', entryId });

    const failedLate = await store.recordStatus(transfer.id, { status: 'failed', failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'late' });
    const pendingLate = await store.recordStatus(transfer.id, { status: 'pending' });

    expect(posted.applied).toBe(true);
    expect(failedLate.applied).toBe(false);
    expect(pendingLate.applied).toBe(false);
    expect(await store.getTransfer(transfer.id)).toMatchObject({ status: 'posted', entryId, failureCode: null, failureMessage: null });
  });

  it('when a transfer goes pending → awaiting_approval → posted → reversed, then every move applies', async () => {
    const transfer = await createOne();
    const entryId = randomUUID();
    const reversalEntryId = randomUUID();

    const awaiting = await store.recordStatus(transfer.id, { status: 'awaiting_approval' });
    const posted = await store.recordStatus(transfer.id, { status: 'posted', entryId });
    const reversed = await store.recordStatus(transfer.id, { status: 'reversed', reversalEntryId });

    expect([awaiting, posted, reversed].map((m) => m.applied)).toEqual([true, true, true]);
    expect(reversed.transfer).toMatchObject({ status: 'reversed', entryId, reversalEntryId });
    expect(reversed.transfer!.updatedAt.getTime()).toBeGreaterThanOrEqual(transfer.createdAt.getTime());
  });

  it('when a failed, cancelled or expired transfer is recorded with another status, then it stays as it is', async () => {
    for (const terminal of ['failed', 'cancelled', 'expired'] as const) {
      const transfer = await createOne();
      await store.recordStatus(transfer.id, { status: terminal, failureCode: terminal === 'failed' ? 'ACCOUNT_FROZEN' : null });

      const later = await store.recordStatus(transfer.id, { status: 'awaiting_approval' });
      const posted = await store.recordStatus(transfer.id, { status: 'posted', entryId: randomUUID() });

      expect([later.applied, posted.applied]).toEqual([false, false]);
      expect(posted.transfer).toMatchObject({ status: terminal, entryId: null });
    }
  });

  it('when the same terminal status is recorded twice (an activity retry), then the second reports not applied', async () => {
    const transfer = await createOne();
    const update = { status: 'failed' as const, failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'no funds' };

    const first = await store.recordStatus(transfer.id, update);
    const second = await store.recordStatus(transfer.id, update);

    expect([first.applied, second.applied]).toEqual([true, false]);
    expect(second.transfer).toMatchObject(update);
  });

  it('when the transfer does not exist, then nothing is recorded and the result says so', async () => {
    expect(await store.recordStatus(randomUUID(), { status: 'posted', entryId: randomUUID() })).toEqual({ applied: false, transfer: null });
  });
});

describe('reversals: claim, refusal, a new claim', () => {
  const newKey = () => `reversal-key-${randomUUID()}`;
  const claim = (transferId: string, idempotencyKey: string) => store.claimReversal(transferId, { reversalId: randomUUID(), principal: 'test', idempotencyKey, traceId: null });
  const refuse = (transferId: string) => store.recordReversalRefused(transferId, { failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'no funds' });

  async function postedOne() {
    const transfer = await createOne();
    await store.recordStatus(transfer.id, { status: 'posted', entryId: randomUUID() });
    return transfer.id;
  }

  it('when a claimed reversal is recorded refused, then the transfer stays posted with the refusal, updatedAt unchanged, and a second record is not applied', async () => {
    const id = await postedOne();
    const claimed = await claim(id, newKey());
    expect(claimed.outcome).toBe('claimed');

    const first = await refuse(id);
    const second = await store.recordReversalRefused(id, { failureCode: 'OTHER', failureMessage: 'late' });

    expect([first.applied, second.applied]).toEqual([true, false]);
    expect(second.transfer).toMatchObject({ status: 'posted', reversal: { refusal: { code: 'INSUFFICIENT_FUNDS', message: 'no funds' } } });
    expect(second.transfer!.updatedAt).toEqual((claimed as { transfer: TransferRecord }).transfer.updatedAt);
    expect(toTransferResource(second.transfer!).reversal).toMatchObject({ status: 'refused', entryId: null, failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'no funds' });
  });

  it('when no reversal was claimed, or the transfer is reversed, then a refusal is not recorded', async () => {
    const unclaimed = await postedOne();
    const reversed = await postedOne();
    await claim(reversed, newKey());
    await store.recordStatus(reversed, { status: 'reversed', reversalEntryId: randomUUID() });

    expect((await refuse(unclaimed)).applied).toBe(false);
    expect((await refuse(reversed)).applied).toBe(false);
    expect((await store.getTransfer(unclaimed))!.reversal).toBeNull();
    expect(toTransferResource((await store.getTransfer(reversed))!).reversal).toMatchObject({ status: 'posted', failureCode: null, failureMessage: null });
  });

  it('when a refused reversal is claimed under a new key, then it is a new reversal (new id, refusal and resume state cleared), and the old key still replays and names no other reversal', async () => {
    const id = await postedOne();
    const other = await postedOne();
    const [firstKey, secondKey, thirdKey] = [newKey(), newKey(), newKey()];
    const first = await claim(id, firstKey);
    expect(await claim(id, secondKey)).toMatchObject({ outcome: 'not-allowed' });
    await refuse(id);
    await pool.query('UPDATE transfers SET reversal_resume_attempts = 3, reversal_resume_after = now() + interval \'1 hour\' WHERE id = $1', [id]);
    expect(await claim(id, firstKey)).toMatchObject({ outcome: 'replayed', transfer: { reversal: { refusal: { code: 'INSUFFICIENT_FUNDS' } } } });

    const second = await claim(id, secondKey);

    expect(second.outcome).toBe('claimed');
    const reversal = (second as { transfer: TransferRecord }).transfer.reversal!;
    expect(reversal).toMatchObject({ idempotencyKey: secondKey, refusal: null });
    expect(reversal.id).not.toBe((first as { transfer: TransferRecord }).transfer.reversal!.id);
    const { rows } = await pool.query('SELECT reversal_resume_attempts, reversal_resume_after FROM transfers WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ reversal_resume_attempts: 0, reversal_resume_after: null });
    expect(await claim(id, firstKey)).toMatchObject({ outcome: 'replayed', transfer: { reversal: { id: reversal.id } } });
    expect(await claim(id, thirdKey)).toMatchObject({ outcome: 'not-allowed' });
    expect(await claim(other, firstKey)).toEqual({ outcome: 'key-reused' });
    expect((await store.getTransfer(other))!.reversal).toBeNull();
    await store.recordStatus(id, { status: 'reversed', reversalEntryId: randomUUID() });
  });

  it('when 10 claims with distinct keys race for a refused reversal, then exactly one claims it', async () => {
    const id = await postedOne();
    await claim(id, newKey());
    await refuse(id);

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => claim(id, newKey())));

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['claimed', ...Array(9).fill('not-allowed')]);
    await store.recordStatus(id, { status: 'reversed', reversalEntryId: randomUUID() });
  });

  it('when 10 claims with one new key race for a refused reversal, then one claims it and the others replay it', async () => {
    const id = await postedOne();
    await claim(id, newKey());
    await refuse(id);
    const key = newKey();

    const outcomes = await Promise.all(Array.from({ length: 10 }, () => claim(id, key)));

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['claimed', ...Array(9).fill('replayed')]);
    expect(new Set(outcomes.map((o) => (o as { transfer: TransferRecord }).transfer.reversal!.id)).size).toBe(1);
    await store.recordStatus(id, { status: 'reversed', reversalEntryId: randomUUID() });
  });

  it('when the transfer is not posted, then not-allowed; an unknown one, not-found', async () => {
    const pending = await createOne();

    expect(await claim(pending.id, newKey())).toMatchObject({ outcome: 'not-allowed', transfer: { status: 'pending', reversal: null } });
    expect(await claim(randomUUID(), newKey())).toEqual({ outcome: 'not-found' });
  });
});

describe('listTransfers', () => {
  it('when one account has more transfers than a page, then pages come newest first with no gap or repeat', async () => {
    const accountId = randomUUID();
    const created = [];
    for (let i = 0; i < 5; i += 1) {
      // The account is on either side: the filter covers both.
      created.push(await createOne(newTransfer(i % 2 === 0 ? { fromAccountId: accountId } : { toAccountId: accountId })));
    }

    const first = await store.listTransfers({ accountId, limit: 2 });
    const second = await store.listTransfers({ accountId, limit: 2, cursor: first.nextCursor });
    const third = await store.listTransfers({ accountId, limit: 2, cursor: second.nextCursor });

    const ids = [...first.items, ...second.items, ...third.items].map((t) => t.id);
    expect(ids).toEqual(created.map((t) => t.id).reverse());
    expect(third.nextCursor).toBeNull();
  });

  it('when filtered by status, then only transfers in that status are listed', async () => {
    const accountId = randomUUID();
    const posted = await createOne(newTransfer({ fromAccountId: accountId }));
    await createOne(newTransfer({ fromAccountId: accountId }));
    await store.recordStatus(posted.id, { status: 'posted', entryId: randomUUID() });

    const page = await store.listTransfers({ accountId, status: 'posted', limit: 50 });

    expect(page.items.map((t) => t.id)).toEqual([posted.id]);
    expect(page.nextCursor).toBeNull();
  });

  it('when the cursor was not issued by the store, then InvalidCursorError is thrown', async () => {
    await expect(store.listTransfers({ limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
