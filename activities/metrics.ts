/**
 * The orchestration counters the worker exposes on /metrics. They are counted
 * when a terminal status is first recorded in the transfers table, so an
 * activity retry or a replayed workflow never counts a transfer twice. Also
 * the reconciliation gauge, set when a run completes.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface TransferMetrics {
  completed: Counter;
  failed: Counter<'reason'>;
  compensated: Counter;
  latency: Histogram<'status'>;
}

/** From a fast posting to an approval that waited its whole day (and then some). */
const TRANSFER_LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86_400, 172_800];

export function createTransferMetrics(registry: Registry): TransferMetrics {
  return {
    completed: new Counter({
      name: 'transfers_completed_total',
      help: 'Transfers posted.',
      registers: [registry],
    }),
    failed: new Counter({
      name: 'transfers_failed_total',
      help: 'Transfers that ended failed, by failure code.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    compensated: new Counter({
      name: 'transfers_compensated_total',
      help: 'Transfers whose saga ran its compensations (released a hold) after a step failed.',
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'transfer_latency_seconds',
      help: 'Time from a transfer being created to its terminal status, by that status.',
      labelNames: ['status'],
      buckets: TRANSFER_LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
  };
}

/** The reconciliation gauge: mismatches found by the last completed run, per check. */
export interface ReconciliationMetrics {
  /** Sets the gauge from a completed run's counts. */
  show(mismatchesByCheck: Record<string, number>): void;
}

export function createReconciliationMetrics(registry: Registry): ReconciliationMetrics {
  const mismatches = new Gauge({
    name: 'reconciliation_mismatches',
    help: 'Mismatches the last completed reconciliation run found, by check (ledger_balances, read_model_balances, transfer_entries, entry_transfers, transfer_reversals, transfer_workflows, reserved_holds).',
    labelNames: ['check'],
    registers: [registry],
  });
  return {
    show(mismatchesByCheck) {
      for (const [check, count] of Object.entries(mismatchesByCheck)) mismatches.set({ check }, count);
    },
  };
}

/** The transfer batches' counters, counted when the status is first recorded (a retry or a second run counts nothing). */
export interface BatchMetrics {
  itemsRecorded(outcomes: ReadonlyArray<{ status: 'posted' | 'failed' }>): void;
  batchFinished(batch: { status: string; createdAt: Date; updatedAt: Date }): void;
}

/** A batch of 1,000 posts in seconds; one waiting on a service that is down, minutes. */
const BATCH_LATENCY_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];

export function createBatchMetrics(registry: Registry): BatchMetrics {
  const items = new Counter({
    name: 'batch_items_total',
    help: 'Items of transfer batches by outcome (posted, failed), counted when recorded.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'batch_latency_seconds',
    help: 'Time from a transfer batch being created to its final status (completed, failed), by that status.',
    labelNames: ['status'],
    buckets: BATCH_LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  return {
    itemsRecorded(outcomes) {
      const posted = outcomes.filter((o) => o.status === 'posted').length;
      if (posted > 0) items.inc({ outcome: 'posted' }, posted);
      if (outcomes.length > posted) items.inc({ outcome: 'failed' }, outcomes.length - posted);
    },
    batchFinished(batch) {
      latency.observe({ status: batch.status }, Math.max(0, (batch.updatedAt.getTime() - batch.createdAt.getTime()) / 1000));
    },
  };
}
