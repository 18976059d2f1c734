/** The gateway's orchestration metrics (names fixed by the design), and the age of the oldest pending transfer. */
import type { Pool } from 'pg';
import { Counter, type Registry } from 'prom-client';
import { registerOldestAgeGauge } from '../lib/telemetry/metrics';

export interface GatewayMetrics {
  transferInitiated(): void;
  idempotencyHit(route: string): void;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const initiated = new Counter({
    name: 'transfers_initiated_total',
    help: 'Transfers created (a replayed request is not counted).',
    registers: [registry],
  });
  const idempotencyHits = new Counter({
    name: 'idempotency_hits_total',
    help: 'Requests answered from an earlier request with the same Idempotency-Key.',
    labelNames: ['route'],
    registers: [registry],
  });
  return {
    transferInitiated: () => initiated.inc(),
    idempotencyHit: (route) => idempotencyHits.inc({ route }),
  };
}

/**
 * transfers_oldest_pending_age_seconds: how long the oldest transfer still
 * `pending` has waited (0 when none does), read at scrape time. A transfer
 * below the approval threshold leaves `pending` within a second; one that
 * stays there means its saga is stuck (worker, Temporal or ledger down) and
 * the TransfersStuckPending alert watches it. `awaiting_approval` is a
 * deliberate wait and not counted. The (status, created_at) index answers it.
 */
export function registerPendingAgeGauge(registry: Registry, pool: Pool): void {
  registerOldestAgeGauge(registry, pool, {
    name: 'transfers_oldest_pending_age_seconds',
    help: 'Age of the oldest transfer still pending (0 when none is).',
    table: 'transfers',
    where: "status = 'pending'",
  });
}
