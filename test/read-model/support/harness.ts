/**
 * Boots the read model as the service runs it, against the real PostgreSQL and
 * Kafka: its app (server.ts) on port 0 and its consumer with a group id of its
 * own that starts at the current end of the topics, in a schema of its own,
 * so a test run neither sees nor disturbs other data. Also gives the tests a producer and an HTTP helper.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Admin, Producer } from 'kafkajs';
import type { DestinationStream } from 'pino';
import { loadConfig, type Config } from '../../../lib/config';
import { closeServer, listen } from '../../../lib/http';
import { createKafka } from '../../../lib/kafka';
import { createLogger, type Logger } from '../../../lib/logger';
import { createPool, type Pool } from '../../../lib/pg';
import { createRegistry, registerPoolGauges } from '../../../lib/telemetry/metrics';
import { CONSUMED_TOPICS, startProjectionConsumer, type ProjectionConsumer } from '../../../services/read-model/consumer';
import { bindPoolToSchema, dropSchema, prepareSchema } from '../../../services/read-model/db/schema';
import { createReadModelMetrics, registerConsumerLagGauge } from '../../../services/read-model/metrics';
import { createReadModelApp } from '../../../services/read-model/server';
import { testCredential } from '../../support/credentials';
import type { Publication } from './events';

export interface HttpAnswer<B = Record<string, unknown>> {
  status: number;
  contentType: string;
  body: B;
}

export class ReadModelHarness {
  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly schema: string,
    readonly pool: Pool,
    readonly baseUrl: string,
    /** The service credential the app accepts, for a test's own fetch. */
    readonly authorization: { authorization: string },
    private readonly server: Server,
    private readonly consumer: ProjectionConsumer,
    private readonly producer: Producer,
    private readonly admin: Admin,
    private readonly groupId: string,
  ) {}

  /** `log`: a stream that receives the consumer's log lines at that level (a test reads them back). */
  static async start(log?: { level: string; destination: DestinationStream }): Promise<ReadModelHarness> {
    const config = loadConfig();
    const logger = createLogger('read-model-test', log?.level ?? process.env.LOG_LEVEL ?? 'warn', log?.destination);
    const schema = `rm_test_${randomBytes(5).toString('hex')}`;
    const pool = createPool(config, 'readmodel', { applicationName: 'read-model-test', maxConnections: 5 });
    bindPoolToSchema(pool, schema);
    await prepareSchema(pool, schema);

    const kafka = createKafka(config, 'read-model-test');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([admin.connect(), producer.connect()]);

    const groupId = `read-model-test-${randomUUID()}`;
    await startGroupAtEnd(admin, groupId);
    const registry = createRegistry('read-model');
    const metrics = createReadModelMetrics(registry);
    registerPoolGauges(registry, pool, 'readmodel');
    registerConsumerLagGauge(registry, { admin, groupId, topics: CONSUMED_TOPICS, logger });
    const consumer = await startProjectionConsumer({ kafka, pool, logger, metrics, groupId });
    const readiness = { postgres: () => pool.query('SELECT 1'), kafka: () => admin.describeCluster() };
    const credential = testCredential();
    const server = await listen(createReadModelApp({ pool, logger, registry, metrics, readiness, callers: credential.callers }), 0, '127.0.0.1');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
    return new ReadModelHarness(config, logger, schema, pool, `http://127.0.0.1:${address.port}`, credential.headers, server, consumer, producer, admin, groupId);
  }

  /** Produces each publication as the outbox relays do: keyed by the aggregate, traceparent in the headers. */
  async publish(...publications: Publication[]): Promise<void> {
    for (const { topic, envelope } of publications) await this.publishRaw(topic, envelope.aggregateId, JSON.stringify(envelope));
  }

  async publishRaw(topic: string, key: string, value: string): Promise<void> {
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers: { traceparent } }] });
  }

  async get<B = Record<string, unknown>>(path: string): Promise<HttpAnswer<B>> {
    const response = await fetch(this.baseUrl + path, { headers: this.authorization });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : (text as unknown as B) };
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
    await this.consumer.stop();
    // The group is this run's alone; leaving it behind would only clutter Kafka.
    await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
    await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
    await dropSchema(this.pool, this.schema);
    await this.pool.end();
  }
}

/**
 * The topics are shared and may hold a long history (other services' tests,
 * benchmarks): the test group starts at their current end, and since that is
 * committed before the consumer starts, every event a test produces afterwards
 * is consumed.
 */
async function startGroupAtEnd(admin: Admin, groupId: string): Promise<void> {
  for (const topic of CONSUMED_TOPICS) {
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
  }
}

/**
 * Retries `check` (which asserts) until it passes or `timeoutMs` is spent,
 * then fails with the last assertion's message. Convergence is what is
 * waited for; no assertion is made about how long it took.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
