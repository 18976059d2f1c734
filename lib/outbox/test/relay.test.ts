/**
 * Proves the outbox relay's delivery promises against real PostgreSQL (the
 * accounts database, in a schema of this file's own) and the real Kafka broker:
 * - while Kafka cannot be reached, rows stay unpublished and the oldest-row age
 *   gauge grows; a relay that can reach Kafka then publishes every one of them
 *   and the gauge falls back to 0 (nothing is lost);
 * - two relays draining one backlog concurrently publish each row exactly once
 *   (FOR UPDATE SKIP LOCKED), counted on the consumed messages by eventId;
 * - a row's traceparent travels as the message header.
 * Rows go to a topic made for this run, so no real consumer sees test payloads.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { loadConfig } from '../../config';
import { createKafka, type Topic } from '../../kafka';
import { createLogger } from '../../logger';
import { inTransaction } from '../../pg';
import { firstOf } from '../../assert';
import { OUTBOX_MIGRATIONS_DIR, OutboxRelay, appendToOutbox, type OutboxEvent } from '..';
import { collectTopic, createIsolatedSchema, createTestTopic, deleteTestTopic, eventually, type IsolatedSchema, type TopicCollector } from './support';

const config = loadConfig();
const kafka = createKafka(config, 'outbox-relay-test');
// appendToOutbox accepts the design's topics only; this run's own topic stands in for one.
const topic = `outbox-test.${randomUUID()}` as Topic;
const silentLogger = createLogger('outbox-relay-test', 'silent');

let db: IsolatedSchema;
let collector: TopicCollector;
const relays: OutboxRelay[] = [];

beforeAll(async () => {
  await createTestTopic(kafka, topic);
  db = await createIsolatedSchema(config, 'accounts', [OUTBOX_MIGRATIONS_DIR]);
  collector = await collectTopic(kafka, topic);
});

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

afterAll(async () => {
  await collector?.stop();
  await db?.drop();
  await deleteTestTopic(kafka, topic);
});

function newRelay(options: {
  kafka: Kafka;
  registry?: Registry;
  logger?: pino.Logger;
  batchSizeMax?: number;
  backoffMaxMs?: number;
  pollIntervalMs?: number;
}) {
  const relay = new OutboxRelay({
    pool: db.pool,
    listenConnectionString: db.connectionString,
    logger: silentLogger,
    registry: new Registry(),
    pollIntervalMs: 100,
    ...options,
  });
  relays.push(relay);
  return relay;
}

async function appendEvents(count: number): Promise<string[]> {
  const events: OutboxEvent<{ n: number }>[] = Array.from({ length: count }, (_, n) => ({
    topic,
    type: 'test.event',
    aggregateId: randomUUID(),
    payload: { n },
  }));
  await inTransaction(db.pool, (client) => appendToOutbox(client, events));
  const { rows } = await db.pool.query<{ event_id: string }>(
    'SELECT event_id FROM outbox WHERE message_key = ANY($1::text[]) ORDER BY id',
    [events.map((e) => e.aggregateId)],
  );
  return rows.map((r) => r.event_id);
}

async function unpublishedCount(eventIds: string[]): Promise<number> {
  const { rows } = await db.pool.query<{ count: number }>(
    'SELECT count(*)::int AS count FROM outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NULL',
    [eventIds],
  );
  return firstOf(rows, 'the count').count;
}

async function oldestUnpublishedAgeSeconds(registry: Registry): Promise<number> {
  const gauge = registry.getSingleMetric('outbox_oldest_unpublished_age_seconds');
  if (!gauge) throw new Error('outbox_oldest_unpublished_age_seconds is not registered');
  return firstOf((await gauge.get()).values, 'the gauge values').value;
}

function consumedCountById(eventIds: string[]): Map<string, number> {
  const wanted = new Set(eventIds);
  const counts = new Map<string, number>();
  for (const message of collector.messages) {
    if (wanted.has(message.envelope.eventId)) counts.set(message.envelope.eventId, (counts.get(message.envelope.eventId) ?? 0) + 1);
  }
  return counts;
}

describe('outbox relay', () => {
  it('when Kafka is unreachable, then rows wait unpublished; when a relay reaches Kafka, then it publishes all of them', async () => {
    // Arrange: rows written while the only relay points at a port where no broker listens.
    const warnings: string[] = [];
    const warnLogger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const unreachable = new Kafka({
      clientId: 'outbox-relay-test-unreachable',
      brokers: ['127.0.0.1:1'],
      connectionTimeout: 200,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const downRegistry = new Registry();
    const downRelay = newRelay({ kafka: unreachable, registry: downRegistry, logger: warnLogger, backoffMaxMs: 200 });
    const eventIds = await appendEvents(25);

    // Act: let the relay try (and fail) several times.
    downRelay.start();
    await eventually(async () => warnings.length >= 3, 10_000, 'three failed attempts');

    // Assert: nothing published, nothing lost, and the wait is visible.
    expect(await unpublishedCount(eventIds)).toBe(25);
    expect(await oldestUnpublishedAgeSeconds(downRegistry)).toBeGreaterThan(0);
    expect(JSON.parse(firstOf(warnings, 'the warnings'))).toMatchObject({ level: 40, msg: 'outbox relay could not publish; rows wait for the next try' });
    await downRelay.stop();

    // Act: a relay with the real broker takes over.
    const upRegistry = new Registry();
    newRelay({ kafka, registry: upRegistry }).start();

    // Assert: every row published, every event consumed, the gauge back at 0.
    await eventually(async () => (await unpublishedCount(eventIds)) === 0, 20_000, 'rows to be published');
    await collector.waitFor(() => consumedCountById(eventIds).size === 25);
    expect(await oldestUnpublishedAgeSeconds(upRegistry)).toBe(0);
  });

  it('when two relays drain the same 200 rows concurrently, then each row is published exactly once', async () => {
    // Arrange: a backlog of 200 rows, small batches so both relays take turns.
    const eventIds = await appendEvents(200);
    const registries = [new Registry(), new Registry()];
    const relays = registries.map((registry) => newRelay({ kafka, registry, batchSizeMax: 20 }));

    // Act
    for (const relay of relays) relay.start();
    await eventually(async () => (await unpublishedCount(eventIds)) === 0, 30_000, 'the backlog to drain');
    await collector.waitFor(() => consumedCountById(eventIds).size === 200);
    // A duplicate, if any, would be produced alongside the original; give it time to arrive.
    await sleep(1_000);

    // Assert: 200 distinct eventIds consumed, none twice; the relays' own counts add up to 200.
    const counts = consumedCountById(eventIds);
    const duplicated = [...counts.entries()].filter(([, count]) => count > 1);
    expect(counts.size).toBe(200);
    expect(duplicated).toEqual([]);
    const publishedByRelay = await Promise.all(registries.map((registry) => publishedTotal(registry)));
    expect(publishedByRelay.reduce((sum, n) => sum + n, 0)).toBe(200);
    // Both took part, or the test would not have proven anything about concurrency.
    expect(Math.min(...publishedByRelay)).toBeGreaterThan(0);
  });

  it('when rows commit while the relay is busy publishing, then they are published at once, not at the next poll', async () => {
    // Arrange: a relay that only polls once a minute, so only LISTEN/NOTIFY can wake it in time.
    newRelay({ kafka, pollIntervalMs: 60_000 }).start();
    await sleep(200);

    // Act: commits in quick succession, many of them landing while a batch is being published.
    const eventIds: string[] = [];
    for (let i = 0; i < 30; i++) eventIds.push(...(await appendEvents(1)));

    // Assert
    await eventually(async () => (await unpublishedCount(eventIds)) === 0, 5_000, 'rows committed mid-batch to be published');
  });

  it('when one send of a batch fails, then no later row of the batch is published before it', async () => {
    // Arrange: three events of one account; the broker refuses the second (larger than its 1 MiB message limit).
    const accountId = randomUUID();
    const events: OutboxEvent<{ n: number; padding?: string }>[] = [1, 2, 3].map((n) => ({
      topic,
      type: 'test.event',
      aggregateId: accountId,
      payload: n === 2 ? { n, padding: 'x'.repeat(1_100_000) } : { n },
    }));
    await inTransaction(db.pool, async (client) => {
      for (const event of events) await appendToOutbox(client, [event]);
    });
    const payloadsSeen = () =>
      collector.messages.filter((m) => m.envelope.aggregateId === accountId).map((m) => (m.envelope.payload as { n: number }).n);

    // Act: the relay keeps failing on row 2 ...
    newRelay({ kafka, backoffMaxMs: 100 }).start();
    await collector.waitFor(() => payloadsSeen().includes(1));
    await sleep(1_000);
    const seenWhileBlocked = payloadsSeen();
    // ... until an operator removes it.
    await db.pool.query(`DELETE FROM outbox WHERE message_key = $1 AND envelope->'payload'->>'n' = '2'`, [accountId]);
    await collector.waitFor(() => payloadsSeen().includes(3));

    // Assert: row 3 waited behind row 2 (row 1 may repeat: delivery is at least once), then went out once.
    expect(new Set(seenWhileBlocked)).toEqual(new Set([1]));
    expect(payloadsSeen().filter((n) => n === 3)).toHaveLength(1);
  });

  it('when a row carries a traceparent, then its message carries it as a header, keyed by the aggregate id', async () => {
    // Arrange: a row written with a known traceparent (what appendToOutbox stores from the active span).
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const aggregateId = randomUUID();
    const eventId = randomUUID();
    const envelope = { eventId, type: 'test.event', occurredAt: new Date().toISOString(), aggregateId, payload: { n: 1 } };
    await db.pool.query(
      `INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, traceparent) VALUES ($1, $2, $3, $4, $5, $6)`,
      [eventId, topic, aggregateId, 'test.event', JSON.stringify(envelope), traceparent],
    );

    // Act
    newRelay({ kafka }).start();
    await collector.waitFor((messages) => messages.some((m) => m.envelope.eventId === eventId));

    // Assert
    const message = collector.messages.find((m) => m.envelope.eventId === eventId)!;
    expect(message.key).toBe(aggregateId);
    expect(message.headers.traceparent).toBe(traceparent);
    expect(message.envelope).toEqual(envelope);
  });
});

async function publishedTotal(registry: Registry): Promise<number> {
  const counter = registry.getSingleMetric('outbox_events_published_total');
  if (!counter) throw new Error('outbox_events_published_total is not registered');
  return (await counter.get()).values.reduce((sum, value) => sum + value.value, 0);
}
