/**
 * Kafka helpers shared by the outbox relays and the read model: one client per
 * process, the topic names, and the event envelope every topic carries.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from './config';
import { pinoLogCreator } from './kafka-log';

/** The topics of deploy/kafka/topics.txt, which creates them (test/deploy/shared-names.unit.test.ts keeps the two the same). */
export const TOPICS = {
  account: 'accounts.account.v1',
  entry: 'ledger.entry.v1',
  hold: 'ledger.hold.v1',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** The envelope of every event; `aggregateId` is also the message key (the account id). */
export interface EventEnvelope<P = unknown> {
  eventId: string;
  type: string;
  occurredAt: string;
  aggregateId: string;
  payload: P;
}

export function createKafka(config: Config, clientId: string, logger?: Logger): Kafka {
  // The relays use kafkajs's default partitioner explicitly; silence its v2 migration notice.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId,
    brokers: config.kafkaBrokers,
    logLevel: logLevel.WARN,
    ...(logger ? { logCreator: pinoLogCreator(logger) } : {}),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    // Bounded: a relay or consumer that cannot reach Kafka gives up this
    // attempt and tries again from its own loop, with its own backoff.
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}
