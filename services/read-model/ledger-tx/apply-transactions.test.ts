/**
 * Proves the parking of ledger transactions against the real PostgreSQL, in a
 * schema made for this run, calling applyEvents as the consumer does, one
 * batch at a time: a transaction's events arriving in three batches leave the
 * balances untouched and wait in parked_events until the last one, which
 * applies the transaction and empties the parked rows; an account's
 * transactions arriving newest first are applied, oldest first, by the batch
 * that brings the oldest; a batch that fails parks and records nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../lib/config';
import { createPool, type Pool } from '../../../lib/pg';
import { firstOf } from '../../../lib/assert';
import { newHold, type Publication } from '../../../test/read-model/support/events';
import { StampedLedger } from '../../../test/read-model/support/ledger-transactions';
import { applyEvents, type PositionedEvent } from '../apply';
import { bindPoolToSchema, dropSchema, prepareSchema } from '../db/schema';
import { parseEvent } from '../events';

const schema = `rm_ledger_tx_${randomBytes(5).toString('hex')}`;
let pool: Pool;
let nextOffset = 0n;

beforeAll(async () => {
  pool = createPool(loadConfig(), 'readmodel', { applicationName: 'read-model-ledger-tx-test', maxConnections: 4 });
  bindPoolToSchema(pool, schema);
  await prepareSchema(pool, schema);
});

afterAll(async () => {
  await dropSchema(pool, schema);
  await pool.end();
});

function positioned(...publications: Publication[]): PositionedEvent[] {
  return publications.map(({ topic, envelope }) => {
    const parsed = parseEvent(topic, Buffer.from(JSON.stringify(envelope)));
    if (!parsed.ok) throw new Error(parsed.reason);
    return { event: parsed.event, position: { topic, partition: 0, offset: nextOffset++ } };
  });
}

async function stateOf(accountId: string) {
  const { rows } = await pool.query<{ posted: string; pending: string; version: string }>(
    'SELECT posted_minor::text AS posted, pending_minor::text AS pending, version::text FROM balances WHERE account_id = $1',
    [accountId],
  );
  return rows[0] ?? null;
}

async function parkedCount(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT (SELECT count(*) FROM parked_events) + (SELECT count(*) FROM parked_steps) AS n');
  return Number(firstOf(rows, 'the count').n);
}

const newId = () => `acc-${randomBytes(6).toString('hex')}`;
const ids = (): [string, string, string] => [newId(), newId(), newId()];

it('when a capture\'s three events come in three batches, then nothing moves until the last, which applies it whole and unparks it', async () => {
  const [customer, merchant, funding] = ids();
  const ledger = new StampedLedger();
  const hold = newHold(customer, merchant, 100n);
  await applyEvents(pool, positioned(...ledger.transfer(funding, customer, 100n), ...ledger.reserve(hold)));
  const [sourceLeg, destinationLeg, captured] = ledger.capture(hold);

  await applyEvents(pool, positioned(sourceLeg));
  await applyEvents(pool, positioned(destinationLeg));
  expect(await stateOf(customer)).toEqual({ posted: '100', pending: '100', version: '2' });
  expect(await stateOf(merchant)).toBeNull();
  expect(await parkedCount()).toBe(2 + 2);

  const [outcome] = await applyEvents(pool, positioned(captured));
  expect(outcome).toMatchObject({ applied: true, holdSettled: true });
  expect(await stateOf(customer)).toEqual({ posted: '0', pending: '0', version: '3' });
  expect(await stateOf(merchant)).toEqual({ posted: '100', pending: '0', version: '1' });
  expect(await parkedCount()).toBe(0);
});

it('when an account\'s three transactions come newest first, each in its own batch, then the oldest\'s batch applies all three in order', async () => {
  const [customer, funding] = ids();
  const ledger = new StampedLedger();
  const oldest = ledger.transfer(funding, customer, 1n);
  const middle = ledger.transfer(funding, customer, 2n);
  const newest = ledger.transfer(funding, customer, 4n);

  await applyEvents(pool, positioned(...newest));
  await applyEvents(pool, positioned(...middle));
  expect(await stateOf(customer)).toBeNull();
  await applyEvents(pool, positioned(...oldest));

  expect(await stateOf(customer)).toEqual({ posted: '7', pending: '0', version: '3' });
  expect(await stateOf(funding)).toEqual({ posted: '-7', pending: '0', version: '3' });
  const { rows } = await pool.query<{ balance: string }>('SELECT balance_after_minor::text AS balance FROM statement_lines WHERE account_id = $1 ORDER BY balance_after_minor', [customer]);
  expect(rows.map((row) => row.balance)).toEqual(['1', '3', '7']);
  expect(await parkedCount()).toBe(0);
});

it('when a batch fails, then none of its events is parked or recorded, and their redelivery parks them', async () => {
  const [customer, merchant, funding] = ids();
  const ledger = new StampedLedger();
  const [waitingLeg] = ledger.transfer(funding, customer, 5n);
  // Accounts of their own, so this transaction can be applied at once.
  const batch = positioned(waitingLeg, ...ledger.transfer(merchant, newId(), 6n));
  const failing = async <T>(index: number, work: () => Promise<T>): Promise<T> => {
    const result = await work();
    if (index === 2) throw new Error('injected failure after a projection');
    return result;
  };

  await expect(applyEvents(pool, batch, failing)).rejects.toThrow('injected failure');
  expect(await parkedCount()).toBe(0);
  const { rowCount } = await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [waitingLeg.envelope.eventId]);
  expect(rowCount).toBe(0);

  await applyEvents(pool, batch.slice(0, 1));
  expect(await parkedCount()).toBe(1 + 2);
});
