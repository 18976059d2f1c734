/**
 * Proves the read model does not start projecting from a log that lost
 * events it never applied. Against the real Kafka and PostgreSQL, on topics
 * of this run's own: three accounts are published and the first record of
 * the partition is deleted, as retention would. A consumer group with nothing
 * committed and nothing applied must not start: the service's /readyz answers
 * 503 naming the partition and an ERROR line says what to do. A group whose
 * committed offset, or whose projections' applied position, reaches the log
 * start loses nothing by starting, and starts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { loadConfig } from '../../lib/config';
import { closeServer, listen } from '../../lib/http';
import { createKafka } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { createPool, type Pool } from '../../lib/pg';
import { createRegistry } from '../../lib/telemetry/metrics';
import { bindPoolToSchema, dropSchema, prepareSchema } from './db/schema';
import { createReadModelMetrics } from './metrics';
import { startProjecting } from './projection-start';
import { createReadModelApp } from './server';
import { testCredential } from '../../test/support/credentials';
import { accountCreated, newAccount } from '../../test/read-model/support/events';
import { DedicatedTopics } from '../../test/read-model/support/dedicated-topics';

describe('read model consumer start on an incomplete log', () => {
  const config = loadConfig();
  const kafka = createKafka(config, 'read-model-log-start-test');
  let topics: DedicatedTopics;
  let schema: string;
  let pool: Pool;
  const groups: string[] = [];
  let logLines: Array<{ level: string; msg: string }>;
  const logger = () =>
    createLogger('read-model-log-start-test', 'warn', { write: (line: string) => void logLines.push(JSON.parse(line) as { level: string; msg: string }) });

  const start = (groupId: string) => {
    groups.push(groupId);
    const metrics = createReadModelMetrics(createRegistry('read-model'));
    return startProjecting({ kafka, pool, logger: logger(), metrics, groupId, topics: topics.names });
  };

  beforeAll(async () => {
    topics = await DedicatedTopics.create(config);
    await topics.publish(...[newAccount(), newAccount(), newAccount()].map(accountCreated));
    await topics.deleteBefore(topics.names.account, 1n);
  });

  beforeEach(async () => {
    logLines = [];
    schema = `rm_test_${randomBytes(5).toString('hex')}`;
    pool = createPool(config, 'readmodel', { applicationName: 'read-model-log-start-test', maxConnections: 2 });
    bindPoolToSchema(pool, schema);
    await prepareSchema(pool, schema);
  });

  afterEach(async () => {
    await dropSchema(pool, schema);
    await pool.end();
  });

  afterAll(async () => {
    await topics.admin.deleteGroups(groups).catch(() => undefined);
    await topics.remove();
  });

  it('when a new group would start past deleted events, then it does not project, /readyz answers 503 naming the partition, and an ERROR says what to do', async () => {
    const { consumer, readiness } = await start(`read-model-test-${randomUUID()}`);

    expect(consumer).toBeNull();
    const gap = `${topics.names.account} partition 0 starts at offset 1 (nothing applied or committed)`;
    const app = createReadModelApp({ pool, logger: logger(), registry: createRegistry('read-model'), metrics: createReadModelMetrics(createRegistry('read-model')), readiness, callers: testCredential().callers });
    const server: Server = await listen(app, 0, '127.0.0.1');
    try {
      const address = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${address.port}/readyz`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { detail: string }).detail).toContain(gap);
    } finally {
      await closeServer(server);
    }
    const errors = logLines.filter((line) => line.level === 'error');
    expect(errors).toEqual([expect.objectContaining({ msg: expect.stringContaining(gap) })]);
    expect(errors[0]?.msg).toContain("restore the topics' full history");
  });

  it('when the group has committed the log start, then it starts', async () => {
    const groupId = `read-model-test-${randomUUID()}`;
    await topics.admin.setOffsets({ groupId, topic: topics.names.account, partitions: [{ partition: 0, offset: '1' }] });

    const { consumer, readiness } = await start(groupId);

    expect(readiness).toEqual({});
    await consumer?.stop();
    expect(consumer).not.toBeNull();
  });

  it('when the group has no offsets but the projections applied past the log start, then it starts', async () => {
    await pool.query('INSERT INTO applied_positions (topic, partition, next_offset) VALUES ($1, 0, 3)', [topics.names.account]);

    const { consumer, readiness } = await start(`read-model-test-${randomUUID()}`);

    expect(readiness).toEqual({});
    await consumer?.stop();
    expect(consumer).not.toBeNull();
  });
});
