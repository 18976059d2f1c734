/**
 * Proves the batch application of apply.ts against the real PostgreSQL, in a
 * schema made for this run: the events of a batch commit in one transaction
 * (their rows share one xmin), a batch that fails midway applies nothing, a
 * batch delivered again (whole, or overlapping the last one) applies nothing
 * twice, a hold reserved and captured in one batch nets out, and a batch locks
 * the balance rows it moves in account-id order (so batches of different
 * partitions, applied concurrently, never deadlock).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../../lib/config';
import { createPool, type Pool } from '../../lib/pg';
import { firstOf, lastOf, required } from '../../lib/assert';
import { accountCreated, entryPosted, holdEvent, newAccount, newHold, TestLedger, type Publication } from '../../test/read-model/support/events';
import { applyEvents, type PositionedEvent } from './apply';
import { bindPoolToSchema, dropSchema, prepareSchema } from './db/schema';
import { parseEvent } from './events';

const schema = `rm_apply_${randomBytes(5).toString('hex')}`;
let pool: Pool;
let nextOffset = 0n;

beforeAll(async () => {
  pool = createPool(loadConfig(), 'readmodel', { applicationName: 'read-model-apply-test', maxConnections: 6 });
  bindPoolToSchema(pool, schema);
  await prepareSchema(pool, schema);
});

afterAll(async () => {
  await dropSchema(pool, schema);
  await pool.end();
});

/** The publications as the consumer hands them to applyEvents: parsed, at increasing offsets of one partition. */
function positioned(...publications: Publication[]): PositionedEvent[] {
  return publications.map(({ topic, envelope }) => {
    const parsed = parseEvent(topic, Buffer.from(JSON.stringify(envelope)));
    if (!parsed.ok) throw new Error(parsed.reason);
    return { event: parsed.event, position: { topic, partition: 0, offset: nextOffset++ } };
  });
}

async function balanceOf(accountId: string): Promise<{ posted: string; pending: string } | undefined> {
  const { rows } = await pool.query<{ posted: string; pending: string }>(
    'SELECT posted_minor::text AS posted, pending_minor::text AS pending FROM balances WHERE account_id = $1',
    [accountId],
  );
  return rows[0];
}

async function transactionsOf(events: PositionedEvent[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM processed_events WHERE event_id = ANY($1::text[])', [
    events.map((e) => e.event.envelope.eventId),
  ]);
  return firstOf(rows, 'the count').n;
}

/** Until a session of this test waits on a row lock. */
async function waitUntilBlocked(): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'read-model-apply-test' AND wait_event_type = 'Lock'`,
    );
    if (firstOf(rows, 'the count').n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the batch never waited on the held row');
}

/** Makes the database refuse the statement lines of one entry, as a constraint would. */
async function refuseEntry(entryId: string): Promise<() => Promise<void>> {
  const name = `refuse_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.entry_id = '${entryId}' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`);
  await pool.query(`CREATE TRIGGER ${name} BEFORE INSERT ON statement_lines FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return async () => {
    await pool.query(`DROP TRIGGER ${name} ON statement_lines`);
    await pool.query(`DROP FUNCTION ${name}()`);
  };
}

describe('applying a batch of events', () => {
  it('when 12 events are applied together, then they commit in one transaction and each counts once', async () => {
    const account = newAccount();
    const ledger = new TestLedger();
    const entries = Array.from({ length: 5 }, (_, n) => ledger.post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor: BigInt(n + 1), postedAt: new Date().toISOString() }));
    const batch = positioned(accountCreated(account), ...entries.flatMap(entryPosted), holdEvent(newHold(account.id, randomUUID(), 7n), 'reserved'));

    const outcomes = await applyEvents(pool, batch);

    expect(outcomes.every((o) => o.applied)).toBe(true);
    expect(await transactionsOf(batch)).toBe(1);
    expect(await balanceOf(account.id)).toEqual({ posted: '15', pending: '7' });
  });

  it('when an event of a batch fails in the database, then none of the batch is applied; delivered again once it passes, each is applied once', async () => {
    // Arrange: three entries to one account, the database refusing the second.
    const account = newAccount();
    const ledger = new TestLedger();
    const entries = [10n, 20n, 30n].map((amountMinor) => ledger.post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor, postedAt: new Date().toISOString() }));
    const batch = positioned(...entries.map((entry) => entryPosted(entry).find((p) => p.envelope.aggregateId === account.id)!));
    const allow = await refuseEntry(required(entries[1], 'the second entry').entryId);

    // Act / Assert: the batch fails whole.
    await expect(applyEvents(pool, batch)).rejects.toThrow('refused for the test');
    expect(await balanceOf(account.id)).toBeUndefined();
    expect(await transactionsOf(batch)).toBe(0);

    // Act / Assert: redelivered after the fix, everything once.
    await allow();
    expect((await applyEvents(pool, batch)).map((o) => o.applied)).toEqual([true, true, true]);
    expect(await balanceOf(account.id)).toEqual({ posted: '60', pending: '0' });
  });

  it('when a batch is delivered again, whole or overlapping the next one, then nothing in it is applied twice', async () => {
    const account = newAccount();
    const ledger = new TestLedger();
    const events = positioned(
      ...[1n, 2n, 4n, 8n, 16n].map((amountMinor) =>
        entryPosted(ledger.post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor, postedAt: new Date().toISOString() })).find(
          (p) => p.envelope.aggregateId === account.id,
        )!,
      ),
    );

    await applyEvents(pool, events.slice(0, 3));
    const again = await applyEvents(pool, events.slice(0, 3));
    const overlapping = await applyEvents(pool, events.slice(1));
    // The same event twice within one batch (a relay's duplicate) counts once too.
    const last = lastOf(events, 'the events');
    const twiceInOne = await applyEvents(pool, [last, last]);

    expect(again.map((o) => o.applied)).toEqual([false, false, false]);
    expect(overlapping.map((o) => o.applied)).toEqual([false, false, true, true]);
    expect(twiceInOne.map((o) => o.applied)).toEqual([false, false]);
    expect(await balanceOf(account.id)).toEqual({ posted: '31', pending: '0' });
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM statement_lines WHERE account_id = $1', [account.id]);
    expect(rows).toEqual([{ n: 5 }]);
  });

  it('when a hold is reserved and captured in one batch, then pending nets to 0 and the hold is captured', async () => {
    const payer = newAccount();
    const hold = newHold(payer.id, randomUUID(), 300n);
    const capture = new TestLedger().post({ fromAccountId: payer.id, toAccountId: hold.toAccountId, amountMinor: 300n, postedAt: new Date().toISOString(), transferId: hold.transferId });
    const batch = positioned(holdEvent(hold, 'reserved'), holdEvent(hold, 'captured', capture.entryId), ...entryPosted(capture));

    const outcomes = await applyEvents(pool, batch);

    expect(outcomes.map((o) => o.applied && o.holdSettled)).toEqual([false, true, false, false]);
    expect(await balanceOf(payer.id)).toEqual({ posted: '-300', pending: '0' });
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM holds WHERE hold_id = $1', [hold.holdId]);
    expect(rows).toEqual([{ status: 'captured' }]);
  });

  it('when a batch moves several balances, then it locks their rows in account-id order, so two batches never wait on each other in a cycle', async () => {
    // Arrange: five accounts whose balance rows are created in reverse id order; another session holds the middle one.
    const accounts = Array.from({ length: 5 }, () => newAccount()).sort((a, b) => (a.id < b.id ? -1 : 1));
    await applyEvents(pool, positioned(...[...accounts].reverse().map(accountCreated)));
    const held = required(accounts[2], 'the middle account');
    const holder = await pool.connect();
    const probe = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM balances WHERE account_id = $1 FOR UPDATE', [held.id]);

      // Act: a batch naming the accounts in reverse order moves every balance; it must stop at the held row.
      const applying = applyEvents(pool, positioned(...[...accounts].reverse().map((a) => holdEvent(newHold(a.id, randomUUID(), 5n), 'reserved'))));
      await waitUntilBlocked();
      const lockedByBatch: boolean[] = [];
      await probe.query('BEGIN');
      for (const account of accounts.filter((a) => a !== held)) {
        await probe.query('SAVEPOINT look');
        const taken = await probe.query('SELECT 1 FROM balances WHERE account_id = $1 FOR UPDATE NOWAIT', [account.id]).then(
          () => false,
          () => true,
        );
        await probe.query('ROLLBACK TO SAVEPOINT look');
        lockedByBatch.push(taken);
      }
      await probe.query('ROLLBACK');
      await holder.query('ROLLBACK');
      await applying;

      // Assert: the rows before the held one were locked, those after it not yet.
      expect(lockedByBatch).toEqual([true, true, false, false]);
      for (const account of accounts) expect(await balanceOf(account.id)).toEqual({ posted: '0', pending: '5' });
    } finally {
      holder.release();
      probe.release();
    }
  });
});
