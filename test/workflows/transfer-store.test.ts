/**
 * Proves the transfers store's rules against the real `transfers` database:
 * one idempotency key creates one transfer even when 20 requests race, a key
 * replayed with another body is reported, a terminal status never moves
 * backwards, pagination is newest first without gaps or repeats, and amounts
 * survive as bigint up to the 64-bit maximum. How: the real migrations and
 * store on PostgreSQL; each test uses fresh random ids and keys, so it needs
 * no cleanup and cannot collide with other tests sharing the database.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import { AMOUNT_MINOR_MAX } from '../../lib/money';
import { createPool, type Pool } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import {
  createTransferStore,
  InvalidCursorError,
  migrateTransfers,
  toTransferResource,
  TRANSFERS_DATABASE,
  type NewTransfer,
  type TransferStore,
} from '../../lib/transfers';

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
  const result = await store.createTransfer({ idempotencyKey: `key-${randomUUID()}`, requestHash: requestHash(transfer), transfer });
  return result.transfer;
}

describe('createTransfer and idempotency', () => {
  it('when 20 requests with one key arrive at once, then exactly one transfer is created and all of them return it', async () => {
    const idempotencyKey = `key-${randomUUID()}`;
    const transfer = newTransfer();
    const bodyHash = requestHash({ ...transfer, amountMinor: transfer.amountMinor.toString() });

    const results = await Promise.all(
      Array.from({ length: CONCURRENT_REQUESTS }, () => store.createTransfer({ idempotencyKey, requestHash: bodyHash, transfer })),
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
    const created = await store.createTransfer({ idempotencyKey, requestHash: requestHash({ amount: '1250' }), transfer: first });

    const replayed = await store.createTransfer({ idempotencyKey, requestHash: requestHash({ amount: '999' }), transfer: second });

    expect(replayed).toMatchObject({ created: false, requestHashMatches: false });
    expect(replayed.transfer.id).toBe(created.transfer.id);
    const rows = await pool.query('SELECT count(*)::int AS n FROM transfers WHERE from_account_id = $1', [second.fromAccountId]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('when a key is replayed with the same body, then the same transfer is returned with requestHashMatches true', async () => {
    const idempotencyKey = `key-${randomUUID()}`;
    const transfer = newTransfer();
    const created = await store.createTransfer({ idempotencyKey, requestHash: 'h1', transfer });

    const replayed = await store.createTransfer({ idempotencyKey, requestHash: 'h1', transfer });

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

    const moves = [
      await store.recordStatus(transfer.id, { status: 'awaiting_approval' }),
      await store.recordStatus(transfer.id, { status: 'posted', entryId }),
      await store.recordStatus(transfer.id, { status: 'reversed', reversalEntryId }),
    ];

    expect(moves.map((m) => m.applied)).toEqual([true, true, true]);
    expect(moves[2].transfer).toMatchObject({ status: 'reversed', entryId, reversalEntryId });
    expect(moves[2].transfer!.updatedAt.getTime()).toBeGreaterThanOrEqual(transfer.createdAt.getTime());
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
