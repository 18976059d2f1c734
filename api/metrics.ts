/** The gateway's orchestration metrics (names fixed by the design). */
import { Counter, type Registry } from 'prom-client';

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
