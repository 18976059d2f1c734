/**
 * The read model's own metrics (design: events_processed_total,
 * projection_latency_seconds, consumer_lag, balance_queries_total,
 * statement_queries_total), on the process registry from lib/telemetry.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import { Counter, Gauge, Histogram, type Registry } from '../../lib/telemetry/metrics';
import { readConsumerLag } from './consumer-lag';

export interface ReadModelMetrics {
  eventsProcessed: Counter<'topic' | 'type'>;
  eventsSkipped: Counter<'topic' | 'reason'>;
  projectionLatency: Histogram<'topic'>;
  balanceQueries: Counter;
  statementQueries: Counter;
}

// From sub-second (the relay's usual delay) to minutes (a consumer catching up).
const PROJECTION_LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createReadModelMetrics(registry: Registry): ReadModelMetrics {
  return {
    eventsProcessed: new Counter({
      name: 'events_processed_total',
      help: 'Events applied to the projections (redeliveries not counted), by topic and event type.',
      labelNames: ['topic', 'type'],
      registers: [registry],
    }),
    eventsSkipped: new Counter({
      name: 'events_skipped_total',
      help: 'Messages consumed but not applied, by topic and reason (duplicate, malformed).',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
    projectionLatency: new Histogram({
      name: 'projection_latency_seconds',
      help: 'Time from an event occurring (envelope occurredAt) to its being applied to the projections.',
      labelNames: ['topic'],
      buckets: PROJECTION_LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    balanceQueries: new Counter({ name: 'balance_queries_total', help: 'Balance queries served.', registers: [registry] }),
    statementQueries: new Counter({ name: 'statement_queries_total', help: 'Statement queries served.', registers: [registry] }),
  };
}

export interface ConsumerLagSource {
  admin: Admin;
  groupId: string;
  topics: readonly string[];
  logger: Logger;
  timeoutMs?: number;
}

/**
 * consumer_lag{topic,partition}: the high watermark minus the group's committed
 * offset, read from Kafka at scrape time. When Kafka does not answer, the
 * series are dropped rather than left stale.
 */
export function registerConsumerLagGauge(registry: Registry, source: ConsumerLagSource): void {
  new Gauge({
    name: 'consumer_lag',
    help: 'Messages not yet processed by the read model consumer group, by topic and partition.',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    // Every instance of the read model (lib/cluster) reads the whole group's lag: shown once, not summed.
    aggregator: 'max',
    async collect() {
      this.reset();
      try {
        const lags = await readConsumerLag(source.admin, source.groupId, source.topics, source.timeoutMs ?? 2_000);
        for (const { topic, partition, lag } of lags) this.set({ topic, partition: String(partition) }, Number(lag));
      } catch (error) {
        source.logger.warn({ err: error }, 'consumer lag unavailable');
      }
    },
  });
}
