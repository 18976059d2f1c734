/**
 * Proves that the accounts service's changes reach Kafka through the outbox:
 * with the real PostgreSQL accounts database (a schema of this file's own), the
 * real broker and lib/outbox's relay,
 * - an account opened inside an active trace arrives on accounts.account.v1 as
 *   the design's envelope, keyed by the account id, its payload the account,
 *   with the trace's `traceparent` header;
 * - freeze and unfreeze (each repeated) arrive as exactly one event per real
 *   change, in order, on the account's partition.
 * The OpenTelemetry SDK runs with an in-memory exporter so that a trace is
 * active; the test consumes with a group of its own from the current offsets.
 */
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AccountDto } from '../../../lib/contracts/accounts';
import { createKafka, TOPICS } from '../../../lib/kafka';
import { createLogger } from '../../../lib/logger';
import { OutboxRelay } from '../../../lib/outbox';
import { firstOf } from '../../../lib/assert';
import { collectTopic, type CollectedMessage, type TopicCollector } from '../../../lib/outbox/test/support';
import { Registry } from '../../../lib/telemetry/metrics';
import { startTracing, stopTracing } from '../../../lib/telemetry/tracing';
import { createAccounts } from '../accounts';
import { createAccountsMetrics } from '../metrics';
import { CreateAccountBody } from '../schemas';
import { request, startAccountsService, type TestAccountsService } from './support';

const logger = createLogger('accounts', 'silent');
let service: TestAccountsService;
let relay: OutboxRelay;
let collector: TopicCollector;

beforeAll(async () => {
  startTracing({ serviceName: 'accounts-test', exporter: new InMemorySpanExporter() });
  service = await startAccountsService();
  const kafka = createKafka(service.config, 'account-events-test');
  collector = await collectTopic(kafka, TOPICS.account);
  relay = new OutboxRelay({
    pool: service.db.pool,
    listenConnectionString: service.db.connectionString,
    kafka,
    logger,
    registry: new Registry(),
    pollIntervalMs: 100,
  });
  relay.start();
});

afterAll(async () => {
  await relay?.stop();
  await collector?.stop();
  await service?.stop();
  await stopTracing();
});

const messagesOf = (accountId: string): CollectedMessage[] => collector.messages.filter((m) => m.envelope.aggregateId === accountId);

describe('accounts.account.v1 events', () => {
  it('when an account is opened inside a trace, then its account.created event arrives keyed by the account, with the traceparent', async () => {
    // Arrange
    const accounts = createAccounts({ pool: service.db.pool, logger, metrics: createAccountsMetrics(new Registry()) });
    const input = CreateAccountBody.parse({ code: `cust-${randomUUID()}`, name: 'Alice Example', currency: 'GBP', creditLimit: '2500' });

    // Act
    const { account, traceId } = await trace.getTracer('account-events-test').startActiveSpan('open account', async (span) => {
      try {
        const created = await accounts.createAccount(input);
        return { account: created.account, traceId: span.spanContext().traceId };
      } finally {
        span.end();
      }
    });
    await collector.waitFor(() => messagesOf(account.id).length > 0);

    // Assert
    const message = firstOf(messagesOf(account.id), `the messages of account ${account.id}`);
    const { rows } = await service.db.pool.query<{ event_id: string }>('SELECT event_id FROM outbox WHERE message_key = $1', [account.id]);
    expect(message.key).toBe(account.id);
    expect(message.envelope).toEqual({
      eventId: firstOf(rows, 'the outbox rows').event_id,
      type: 'account.created',
      occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      aggregateId: account.id,
      payload: account,
    });
    expect(message.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('when an account is frozen and unfrozen, each twice, then one event per real change arrives, in order, on one partition', async () => {
    // Arrange
    const created = await request(service.baseUrl, 'POST', '/accounts', {
      body: { code: `cust-${randomUUID()}`, name: 'Bob Example', currency: 'EUR' },
    });
    const account = created.body as AccountDto;

    // Act
    for (const action of ['freeze', 'freeze', 'unfreeze', 'unfreeze']) {
      expect((await request(service.baseUrl, 'POST', `/accounts/${account.id}/${action}`)).status).toBe(200);
    }
    await collector.waitFor(() => messagesOf(account.id).length >= 3);
    await sleep(500); // room for an unwanted fourth event to show up

    // Assert
    const messages = messagesOf(account.id);
    expect(messages.map((m) => [m.envelope.type, m.envelope.payload])).toEqual([
      ['account.created', account],
      ['account.frozen', { ...account, status: 'frozen' }],
      ['account.unfrozen', account],
    ]);
    expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
    const offsets = messages.map((m) => m.offset);
    expect([...offsets].sort((a, b) => (a < b ? -1 : 1))).toEqual(offsets);
  });
});
