/**
 * Proves POST /batches against the real `ledger` database: an independent
 * batch posts each item it can, in order (a later item may spend what an
 * earlier one brought), and says why not of the others; an atomic batch posts
 * all or nothing and names the refused item; a batch sent again posts nothing
 * twice; each item is a ledger transaction of its own in the outbox (its own
 * stamp, each account's versions running on by one per item), its posting
 * times strictly increasing to the microsecond, and balances, running
 * balances and stamps agree with the ledger.
 */
import { randomUUID } from 'node:crypto';
import type { LedgerTxStamp } from '../../../lib/contracts/ledger';
import { startLedger, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

function item(fromAccountId: string, toAccountId: string, amountMinor: string, currency = 'USD') {
  return { entryId: randomUUID(), transferId: randomUUID(), fromAccountId, toAccountId, amountMinor, currency, description: 'payroll' };
}

async function postBatch(body: unknown) {
  const answer = await ledger.post('/batches', body);
  expect(answer.status).toBe(200);
  return answer.body as { items: Array<{ status: string; entryId?: string; code?: string; replayed?: boolean }>; refusal: { index: number; code: string } | null };
}

it('when an independent batch has items the rules refuse, then the others post in order and each refusal says why', async () => {
  const employer = ledger.directory.add('USD', '0');
  const alice = ledger.directory.add('USD', '0');
  const bob = ledger.directory.add('USD', '0');
  const frozen = ledger.directory.add('USD', '0');
  const euro = ledger.directory.add('EUR', '0');
  ledger.directory.setStatus(frozen, 'frozen');
  await ledger.fund(employer, 'USD', 1000n);

  const result = await postBatch({
    mode: 'independent',
    items: [
      item(employer, alice, '600'),
      item(employer, bob, '600'), // only 400 left
      item(alice, bob, '100'), // alice got 600 two items ago
      item(employer, frozen, '10'),
      item(employer, euro, '10'),
      item(employer, randomUUID(), '10'),
      item(employer, bob, '400'),
    ],
  });

  expect(result.refusal).toBeNull();
  expect(result.items.map((i) => i.status === 'posted' ? 'posted' : i.code)).toEqual([
    'posted', 'INSUFFICIENT_FUNDS', 'posted', 'ACCOUNT_FROZEN', 'CURRENCY_MISMATCH', 'ACCOUNT_NOT_FOUND', 'posted',
  ]);
  expect(await ledger.balance(employer)).toEqual({ posted: 0n, pending: 0n, available: 0n });
  expect((await ledger.balance(alice)).posted).toBe(500n);
  expect((await ledger.balance(bob)).posted).toBe(500n);
  // The accounts only refused items named moved nothing: no balance row the read model would never hear of.
  const { rows } = await ledger.pool.query('SELECT count(*)::int AS n FROM ledger_accounts WHERE account_id = ANY($1::uuid[])', [[frozen, euro]]);
  expect(rows[0].n).toBe(0);
});

it('when an item of an atomic batch is refused, then nothing posts and the refusal names the item', async () => {
  const payer = ledger.directory.add('USD', '0');
  const payee = ledger.directory.add('USD', '0');
  await ledger.fund(payer, 'USD', 100n);

  const result = await postBatch({ mode: 'atomic', items: [item(payer, payee, '60'), item(payer, payee, '30'), item(payer, payee, '20')] });

  expect(result).toEqual({ items: [], refusal: expect.objectContaining({ index: 2, code: 'INSUFFICIENT_FUNDS' }) });
  expect(await ledger.balance(payer)).toEqual({ posted: 100n, pending: 0n, available: 100n });
  const { rows } = await ledger.pool.query('SELECT count(*)::int AS n FROM entry_lines WHERE account_id = $1', [payee]);
  expect(rows[0].n).toBe(0);
  const { rows: balanceRows } = await ledger.pool.query('SELECT count(*)::int AS n FROM ledger_accounts WHERE account_id = $1', [payee]);
  expect(balanceRows[0].n).toBe(0);
});

it('when the same batch is sent again, then its posted items replay and nothing posts twice', async () => {
  const payer = ledger.directory.add('USD', '0');
  const payee = ledger.directory.add('USD', '0');
  await ledger.fund(payer, 'USD', 100n);
  const items = [item(payer, payee, '70'), item(payer, payee, '50')];

  const first = await postBatch({ mode: 'independent', items });
  await ledger.fund(payer, 'USD', 100n);
  const again = await postBatch({ mode: 'independent', items });

  expect(first.items.map((i) => i.status)).toEqual(['posted', 'refused']);
  // The refused item is decided again (nothing of it was written): funded since, it posts now; the first replays.
  expect(again.items.map((i) => [i.status, i.replayed])).toEqual([['posted', true], ['posted', false]]);
  expect((await ledger.balance(payee)).posted).toBe(120n);
  const changed = await ledger.post('/batches', { mode: 'independent', items: [{ ...items[0], amountMinor: '71' }] });
  expect(changed.status).toBe(409);
});

it('when a batch posts, then each item is its own ledger transaction: one stamp per item, versions one step per item, running balances in order', async () => {
  const payer = ledger.directory.add('USD', '0');
  const payees = [ledger.directory.add('USD', '0'), ledger.directory.add('USD', '0')];
  await ledger.fund(payer, 'USD', 1000n);
  const items = [item(payer, payees[0]!, '100'), item(payer, payees[1]!, '200'), item(payer, payees[0]!, '300')];

  await postBatch({ mode: 'atomic', items });

  const { rows } = await ledger.pool.query<{ envelope: { payload: { ledgerTx: LedgerTxStamp; entryId: string; postedAt: string; lines: Array<{ accountId: string; balanceAfterMinor: string }> } } }>(
    `SELECT envelope FROM outbox WHERE message_key = $1 ORDER BY id`,
    [payer],
  );
  const batchEvents = rows.map((row) => row.envelope.payload).filter((payload) => items.some((i) => i.entryId === payload.entryId));
  expect(batchEvents.map((p) => p.entryId)).toEqual(items.map((i) => i.entryId));
  expect(new Set(batchEvents.map((p) => p.ledgerTx.txId)).size).toBe(3);
  expect(batchEvents.map((p) => p.ledgerTx.eventCount)).toEqual([2, 2, 2]);
  // The funding entry took the payer to version 1; the batch's items to 2, 3, 4.
  expect(batchEvents.map((p) => p.ledgerTx.accounts.find((a) => a.accountId === payer)?.version)).toEqual(['2', '3', '4']);
  expect(batchEvents.map((p) => p.lines.find((l) => l.accountId === payer)?.balanceAfterMinor)).toEqual(['900', '700', '400']);
  // Posted within one transaction, microseconds apart: the times carry their microseconds and follow the batch's order.
  const postedAt = batchEvents.map((p) => p.postedAt);
  expect(postedAt.every((t) => /\.\d{6}Z$/.test(t))).toBe(true);
  expect([...postedAt].sort()).toEqual(postedAt);
  expect(new Set(postedAt).size).toBe(3);
  const { rows: [row] } = await ledger.pool.query('SELECT version::text, posted_minor::text FROM ledger_accounts WHERE account_id = $1', [payer]);
  expect(row).toEqual({ version: '4', posted_minor: '400' });
  const { rows: [payee0] } = await ledger.pool.query('SELECT version::text FROM ledger_accounts WHERE account_id = $1', [payees[0]]);
  expect(payee0.version).toBe('2');
});

it('when a batch is malformed, then it is a 400 naming the item and nothing posts', async () => {
  const payer = ledger.directory.add('USD', '0');
  const answer = await ledger.post('/batches', { mode: 'independent', items: [item(payer, payer, '5')] });
  expect(answer.status).toBe(400);
  expect(JSON.stringify(answer.body)).toContain('items');
});
