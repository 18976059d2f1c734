/**
 * Test helpers for code that writes an outbox and publishes it to Kafka:
 * - an isolated schema in a real database, so a test's outbox rows are seen by
 *   its own relays only (not by a running service's relay, nor by other tests);
 * - a Kafka collector that reads a topic from the offsets it had when the test
 *   started, so earlier runs' messages do not count.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { databaseUrl, type Config } from '../../config';
import type { EventEnvelope } from '../../kafka';
import { createPool, migrate } from '../../pg';

export interface IsolatedSchema {
  /** Connections whose search_path is the schema alone. */
  pool: Pool;
  /** For the relay's LISTEN connection (NOTIFY is per database, so any schema's inserts wake it). */
  connectionString: string;
  schema: string;
  drop(): Promise<void>;
}

/** Creates a fresh schema in `database` and applies the migrations of `directories` to it. */
export async function createIsolatedSchema(config: Config, database: string, directories: string[]): Promise<IsolatedSchema> {
  const schema = `test_${randomUUID().replace(/-/g, '')}`;
  const admin = createPool(config, database, { applicationName: 'test-admin', maxConnections: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const connectionString = databaseUrl(config, database);
  const pool = new Pool({ connectionString, options: `-c search_path=${schema}`, max: 20, application_name: 'test' });
  await migrate(pool, ...directories);
  return {
    pool,
    connectionString,
    schema,
    async drop() {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A topic of the test's own (3 partitions), created before its tests and deleted after them. */
export async function createTestTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
}

export async function deleteTestTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

export interface CollectedMessage {
  key: string;
  partition: number;
  offset: bigint;
  headers: Record<string, string>;
  envelope: EventEnvelope;
}

export interface TopicCollector {
  readonly messages: CollectedMessage[];
  /** Resolves once `done(messages)` holds; rejects after `timeoutMs`. */
  waitFor(done: (messages: CollectedMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Consumes `topic` with a group of its own, from the high watermarks it has
 * now: everything produced after this resolves is collected.
 */
export async function collectTopic(kafka: Kafka, topic: string): Promise<TopicCollector> {
  const admin = kafka.admin();
  await admin.connect();
  const startOffsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();

  const messages: CollectedMessage[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = value.toString();
      messages.push({
        key: message.key?.toString() ?? '',
        partition,
        offset: BigInt(message.offset),
        headers,
        envelope: JSON.parse(message.value?.toString() ?? 'null') as EventEnvelope,
      });
    },
  });
  // Start exactly where the topic ended, whatever offset reset the new group would pick.
  for (const { partition, high } of startOffsets) consumer.seek({ topic, partition, offset: high });
  await joined;

  return {
    messages,
    async waitFor(done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(messages)) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms with ${messages.length} messages collected`);
        await sleep(50);
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/** Polls `check` until it returns true; rejects after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
