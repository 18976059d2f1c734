/**
 * Proves that the transfers table and canMoveStatus agree on every pair of
 * statuses: the store's UPDATE (whose WHERE clause is the database's form of
 * the rule) applies a move exactly when canMoveStatus allows it, and leaves
 * the row as it was otherwise. How: for each of the 7 × 7 pairs, a transfer
 * is put in the first status directly in SQL and recordStatus is asked for
 * the second, on the real `transfers` database; fresh random ids, no cleanup.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config';
import { createPool, type Pool } from '../pg';
import { requestHash } from '../request-hash';
import { canMoveStatus, createTransferStore, migrateTransfers, TRANSFER_STATUSES, TRANSFERS_DATABASE, type TransferStatus, type TransferStore } from '.';

let pool: Pool;
let store: TransferStore;

beforeAll(async () => {
  pool = createPool(loadConfig(), TRANSFERS_DATABASE, { applicationName: 'transfer-status-moves-test', maxConnections: 4 });
  await migrateTransfers(pool);
  store = createTransferStore(pool);
});

afterAll(async () => {
  await pool?.end();
});

/** A transfer in `status`, with the columns that status requires (an entry once posted, a code once failed). */
async function transferIn(status: TransferStatus): Promise<string> {
  const transfer = { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1250n, currency: 'USD', description: 'status move', metadata: {} };
  const { transfer: created } = await store.createTransfer({ principal: 'test', idempotencyKey: `key-${randomUUID()}`, requestHash: requestHash(transfer), transfer });
  // Straight SQL, past the store's guard: the starting point of the move under test.
  await pool.query('UPDATE transfers SET status = $2, entry_id = $3, failure_code = $4 WHERE id = $1', [created.id, status, randomUUID(), 'INTERNAL_ERROR']);
  return created.id;
}

const PAIRS = TRANSFER_STATUSES.flatMap((from) => TRANSFER_STATUSES.map((to) => [from, to] as const));

it('the rule allows the moves of the lifecycle, and only those', () => {
  const allowed = PAIRS.filter(([from, to]) => canMoveStatus(from, to)).map(([from, to]) => `${from}->${to}`);

  expect(allowed).toEqual([
    'pending->awaiting_approval',
    'pending->posted',
    'pending->failed',
    'pending->cancelled',
    'pending->expired',
    'pending->reversed',
    'awaiting_approval->posted',
    'awaiting_approval->failed',
    'awaiting_approval->cancelled',
    'awaiting_approval->expired',
    'posted->reversed',
  ]);
});

it.each(PAIRS)('from %s to %s: the table applies the move exactly when canMoveStatus allows it', async (from, to) => {
  const id = await transferIn(from);

  const result = await store.recordStatus(id, { status: to, entryId: randomUUID(), failureCode: 'INTERNAL_ERROR' });

  expect(result.applied).toBe(canMoveStatus(from, to));
  expect(result.transfer?.status).toBe(canMoveStatus(from, to) ? to : from);
});
