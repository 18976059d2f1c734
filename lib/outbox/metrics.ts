/** The outbox metrics every relay exposes (names fixed by the design). */
import type { Pool } from 'pg';
import { Counter, Histogram, type Registry } from 'prom-client';
import { registerOldestAgeGauge } from '../telemetry/metrics';

export interface OutboxMetrics {
  published(topic: string, latencySeconds: number): void;
}

export function createOutboxMetrics(registry: Registry, pool: Pool): OutboxMetrics {
  const publishedTotal = new Counter({
    name: 'outbox_events_published_total',
    help: 'Outbox events published to Kafka.',
    labelNames: ['topic'],
    registers: [registry],
  });
  const relayLatency = new Histogram({
    name: 'outbox_relay_latency_seconds',
    help: 'Seconds from an outbox row being written to its publication.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  registerOldestAgeGauge(registry, pool, {
    name: 'outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none wait).',
    table: 'outbox',
    where: 'published_at IS NULL',
  });
  return {
    published(topic, latencySeconds) {
      publishedTotal.inc({ topic });
      relayLatency.observe(latencySeconds);
    },
  };
}
