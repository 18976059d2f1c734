/**
 * Proves, against the real `ledger` database, that every event a ledger
 * transaction writes carries the same stamp, and that the stamps let a reader
 * rebuild each account exactly: per account the versions run 1, 2, 3... in
 * commit order, each transaction's event count is the number of events
 * written under its id, and the posted and pending changes of all stamps add
 * up to the ledger's own balance. Runs one of every kind of write: a direct
 * entry, a reserve, a capture, a reserve-and-capture, a void and a reversal.
 */
import { randomUUID } from 'node:crypto';
import type { LedgerTxStamp } from '../../../lib/contracts/ledger';
import { firstOf } from '../../../lib/assert';
import { startLedger, transferLines, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

interface Stamped {
  type: string;
  stamp: LedgerTxStamp;
}

/** The outbox events naming any of `accountIds` (as key or in their stamp), in the order written. */
async function eventsOf(accountIds: string[]): Promise<Stamped[]> {
  const { rows } = await ledger.pool.query<{ event_type: string; envelope: { payload: { ledgerTx: LedgerTxStamp } } }>(
    `SELECT event_type, envelope FROM outbox WHERE message_key = ANY($1::text[]) ORDER BY id`,
    [accountIds],
  );
  return rows.map((row) => ({ type: row.event_type, stamp: row.envelope.payload.ledgerTx }));
}

async function ok(path: string, body: unknown) {
  const answer = await ledger.post(path, body);
  expect([200, 201]).toContain(answer.status);
  return answer.body;
}

it('when an account goes through every kind of write, then its stamps give its versions in order and its exact balance', async () => {
  const customer = ledger.directory.add('USD', '100');
  const merchant = ledger.directory.add('USD', '0');
  await ledger.fund(customer, 'USD', 1000n);
  const hold = { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: customer, toAccountId: merchant, amountMinor: '300', currency: 'USD' };
  await ok('/holds', hold);
  await ok(`/holds/${hold.holdId}/capture`, { entryId: randomUUID() });
  await ok('/holds/captured', { ...hold, holdId: randomUUID(), transferId: randomUUID(), amountMinor: '50', entryId: randomUUID() });
  const voided = { ...hold, holdId: randomUUID(), transferId: randomUUID(), amountMinor: '20' };
  await ok('/holds', voided);
  await ok(`/holds/${voided.holdId}/void`, {});
  const direct = { entryId: randomUUID(), currency: 'USD', description: 'refund', lines: transferLines(merchant, customer, '5') };
  await ok('/entries', direct);
  await ok(`/entries/${direct.entryId}/reverse`, { reversalEntryId: randomUUID() });
  const stillOpen = { ...hold, holdId: randomUUID(), transferId: randomUUID(), amountMinor: '7' };
  await ok('/holds', stillOpen);

  const events = await eventsOf([customer, merchant]);
  expect(events.every((event) => event.stamp !== undefined)).toBe(true);
  const byTx = new Map<string, Stamped[]>();
  for (const event of events) byTx.set(event.stamp.txId, [...(byTx.get(event.stamp.txId) ?? []), event]);
  // Each account's events are keyed by it; a transaction's events on other keys (the funding account) are not read here.
  const stampOf = (txEvents: Stamped[]) => firstOf(txEvents, "a transaction's events").stamp;
  for (const txEvents of byTx.values()) expect(txEvents.length).toBeLessThanOrEqual(stampOf(txEvents).eventCount);
  const capture = [...byTx.values()].find((txEvents) => txEvents.some((event) => event.type === 'hold.captured'))!;
  expect(capture.map((event) => event.type).sort()).toEqual(['entry.posted', 'entry.posted', 'hold.captured']);
  expect(stampOf(capture).eventCount).toBe(3);

  for (const accountId of [customer, merchant]) {
    const steps = [...byTx.values()].map((txEvents) => stampOf(txEvents).accounts.find((step) => step.accountId === accountId)).filter((step) => step !== undefined);
    expect(steps.map((step) => step.version)).toEqual(steps.map((_, i) => String(i + 1)));
    const balance = await ledger.balance(accountId);
    expect(steps.reduce((sum, step) => sum + BigInt(step.postedDeltaMinor), 0n)).toBe(balance.posted);
    expect(steps.reduce((sum, step) => sum + BigInt(step.pendingDeltaMinor), 0n)).toBe(balance.pending);
  }
});
