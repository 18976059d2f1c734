/**
 * Proves the native Kafka broker works with kafkajs: a keyed message with a
 * `traceparent` header is produced and consumed back by a consumer group,
 * header included, on a topic made just for this run.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { loadConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka';

const config = loadConfig();

describe('Kafka', () => {
  const kafka = createKafka(config, 'smoke-test');
  const topic = `smoke.${randomUUID()}`;
  let producer: Producer;
  let consumer: Consumer;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    consumer = kafka.consumer({ groupId: `smoke-${randomUUID()}` });
    await Promise.all([producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([producer?.disconnect(), consumer?.disconnect()]);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('when a message with a header is produced, then a consumer group receives its key, value and header', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Promise<{ key: string; value: string; traceparent: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            traceparent: message.headers?.traceparent?.toString() ?? '',
          }),
      });
    });

    await producer.send({ topic, acks: -1, messages: [{ key: 'account-1', value: '{"n":1}', headers: { traceparent } }] });

    await expect(received).resolves.toEqual({ key: 'account-1', value: '{"n":1}', traceparent });
  });
});
