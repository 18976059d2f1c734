/**
 * Proves how the read model's consumer applies Kafka batches, against the real
 * PostgreSQL and Kafka (the harness: the service's consumer in a schema and a
 * group of its own). To hand the consumer a batch for sure, a test holds a
 * lock on processed_events while it publishes, so the events pile up in Kafka
 * behind the one being applied, and are fetched together once it lets go.
 * - Events that pile up are applied in one transaction (their processed_events
 *   rows share one xmin), each once, with one INFO line per transaction and
 *   none per event, but one for a hold that settles (its transfer's line).
 * - The batches of several partitions fetched together share that transaction.
 * - When the database refuses one event of a batch, the events before it are
 *   applied, it is retried alone, and those after it wait behind it; once it
 *   passes, all are applied.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { PoolClient } from '../../lib/pg';
import { firstOf, required } from '../../lib/assert';
import { entryPosted, holdEvent, newAccount, newHold, TestLedger, type Publication } from '../../test/read-model/support/events';
import { eventually, ReadModelHarness } from '../../test/read-model/support/harness';

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

const lines: LogLine[] = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString('utf8').split('\n')) if (text.trim()) lines.push(JSON.parse(text) as LogLine);
    done();
  },
});

let readModel: ReadModelHarness;

beforeAll(async () => {
  readModel = await ReadModelHarness.start({ level: 'info', destination });
});

afterAll(async () => {
  await readModel?.stop();
});

/** Holds back every apply (they wait on processed_events) until the returned function is called. */
async function holdApplies(): Promise<() => Promise<void>> {
  const client: PoolClient = await readModel.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE processed_events IN EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    client.release();
  };
}

/** The account's own side of an entry: one event on the account's partition. */
function sideOf(accountId: string, ledger: TestLedger, amountMinor: bigint): Publication {
  const entry = ledger.post({ fromAccountId: randomUUID(), toAccountId: accountId, amountMinor, postedAt: new Date().toISOString() });
  return entryPosted(entry).find((p) => p.envelope.aggregateId === accountId)!;
}

async function appliedCount(publications: Publication[]): Promise<number> {
  const { rows } = await readModel.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_events WHERE event_id = ANY($1::text[])', [
    publications.map((p) => p.envelope.eventId),
  ]);
  return firstOf(rows, 'the count').n;
}

async function postedOf(accountId: string): Promise<string | undefined> {
  const { rows } = await readModel.pool.query<{ posted: string }>('SELECT posted_minor::text AS posted FROM balances WHERE account_id = $1', [accountId]);
  return rows[0]?.posted;
}

describe('read model consumer batches', () => {
  it('when 20 events of one account pile up, then they are applied in at most 2 transactions, logged once per batch at INFO and per event at DEBUG only', async () => {
    // Arrange: 18 entries and a hold reserved then captured, all on the account's partition of two topics.
    const account = newAccount();
    const ledger = new TestLedger();
    const entries = Array.from({ length: 18 }, (_, n) => sideOf(account.id, ledger, BigInt(n + 1)));
    const hold = newHold(account.id, randomUUID(), 5n);
    const holdEvents = [holdEvent(hold, 'reserved'), holdEvent(hold, 'captured', randomUUID())];
    const release = await holdApplies();
    const linesBefore = lines.length;

    // Act
    await readModel.publish(...entries, ...holdEvents);
    await release();
    await eventually(async () => expect(await appliedCount([...entries, ...holdEvents])).toBe(20));

    // Assert: the entries (one partition of one topic) in one or two transactions (the first may have been fetched alone).
    const { rows } = await readModel.pool.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM processed_events WHERE event_id = ANY($1::text[])', [
      entries.map((p) => p.envelope.eventId),
    ]);
    expect(firstOf(rows, 'the count').n).toBeLessThanOrEqual(2);
    expect(await postedOf(account.id)).toBe(String((18 * 19) / 2));
    const ours = lines.slice(linesBefore);
    const batchLines = ours.filter((line) => line.msg === 'batch applied');
    expect(batchLines.filter((line) => (line.partitions as string[]).some((p) => p.startsWith(`${firstOf(entries, 'the entries').topic}/`))).length).toBeLessThanOrEqual(2);
    expect(batchLines.reduce((sum, line) => sum + Number(line.applied), 0)).toBe(20);
    expect(ours.filter((line) => line.msg === 'event applied')).toEqual([]);
    expect(ours.filter((line) => line.msg === 'hold settled')).toEqual([]); // per event: DEBUG
  });

  it('when events of many partitions pile up, then the batches of one fetch share one transaction', async () => {
    // Arrange: an entry and a hold for each of 12 accounts, spread over the partitions of two topics.
    const ledger = new TestLedger();
    const publications = Array.from({ length: 12 }, () => newAccount()).flatMap((account) => [
      sideOf(account.id, ledger, 3n),
      holdEvent(newHold(account.id, randomUUID(), 2n), 'reserved'),
    ]);
    const release = await holdApplies();

    // Act
    await readModel.publish(...publications);
    await release();
    await eventually(async () => expect(await appliedCount(publications)).toBe(publications.length));

    // Assert: at least three partitions took part, in at most two transactions (the first event may have been fetched alone).
    const { rows } = await readModel.pool.query<{ partitions: number; transactions: number }>(
      `SELECT count(DISTINCT (topic, partition))::int AS partitions, count(DISTINCT xmin::text)::int AS transactions
         FROM processed_events WHERE event_id = ANY($1::text[])`,
      [publications.map((p) => p.envelope.eventId)],
    );
    const [{ partitions, transactions }] = [firstOf(rows, 'the counts')];
    expect(partitions).toBeGreaterThanOrEqual(3);
    expect(transactions).toBeLessThanOrEqual(2);
  });

  it('when the database refuses one event of a batch, then the events before it are applied, it is retried alone, and once it passes the rest follow', async () => {
    // Arrange: four entries to one account; the database refuses the third's statement line.
    const account = newAccount();
    const ledger = new TestLedger();
    const entries = [1n, 2n, 4n, 8n].map((amountMinor) => sideOf(account.id, ledger, amountMinor));
    const refusedEntryId = (required(entries[2], 'the third entry').envelope.payload as { entryId: string }).entryId;
    const trigger = `refuse_${randomBytes(4).toString('hex')}`;
    await readModel.pool.query(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.entry_id = '${refusedEntryId}' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`);
    await readModel.pool.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON statement_lines FOR EACH ROW EXECUTE FUNCTION ${trigger}()`);
    const release = await holdApplies();
    const linesBefore = lines.length;

    // Act
    await readModel.publish(...entries);
    await release();

    // Assert: the first two applied; the third retried; the fourth waits behind it.
    await eventually(async () => expect(await postedOf(account.id)).toBe('3'));
    await eventually(async () => expect(lines.slice(linesBefore).some((line) => line.msg === 'applying event failed; retrying')).toBe(true));
    expect(await appliedCount(entries)).toBe(2);
    expect(lines.slice(linesBefore).filter((line) => line.msg === 'batch transaction failed; applying its events one by one').length).toBeGreaterThanOrEqual(1);

    // Act: the database accepts it again.
    await readModel.pool.query(`DROP TRIGGER ${trigger} ON statement_lines`);
    await readModel.pool.query(`DROP FUNCTION ${trigger}()`);

    // Assert: all four, once each.
    await eventually(async () => expect(await postedOf(account.id)).toBe('15'), 30_000);
    expect(await appliedCount(entries)).toBe(4);
  });
});
