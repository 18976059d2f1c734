/**
 * The activity of the idempotency purge workflow: deletes the keys past
 * their retention in bounded batches (lib/transfers/idempotency-purge.ts),
 * heartbeating after each batch, so a worker that dies mid-purge is noticed
 * and the retry picks up where the deletes stopped (the keys already gone
 * are simply not found again). Counts what it purged on
 * `idempotency_keys_purged_total`.
 */
import { Context } from '@temporalio/activity';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Pool } from '../lib/pg';
import { IDEMPOTENCY_RETENTION_MIN_MS, purgeIdempotencyKeys, type PurgeCounts } from '../lib/transfers/idempotency-purge';

export interface IdempotencyPurgeDeps {
  pool: Pool;
  logger: Logger;
  registry: Registry;
}

export interface PurgeInput {
  /** IDEMPOTENCY_RETENTION in ms; anything under 24 h is raised to 24 h (the contract's replay window). */
  retentionMs: number;
  batchSize?: number;
}

export type IdempotencyPurgeActivities = ReturnType<typeof createIdempotencyPurgeActivities>;

export function createIdempotencyPurgeActivities(deps: IdempotencyPurgeDeps) {
  const purged = new Counter({
    name: 'idempotency_keys_purged_total',
    help: 'Idempotency-Keys deleted past their retention (the mapping only; transfers and reversals stay), by table.',
    labelNames: ['table'],
    registers: [deps.registry],
  });
  return {
    async purgeIdempotencyKeys(input: PurgeInput): Promise<PurgeCounts> {
      const retentionMs = Math.max(input.retentionMs, IDEMPOTENCY_RETENTION_MIN_MS);
      const olderThan = new Date(Date.now() - retentionMs);
      const counts = await purgeIdempotencyKeys(deps.pool, {
        olderThan,
        batchSize: input.batchSize,
        onBatch: (table, deleted) => {
          purged.inc({ table }, deleted);
          heartbeat({ table, deleted });
        },
      });
      deps.logger.info({ older_than: olderThan.toISOString(), ...counts }, 'idempotency keys purged');
      return counts;
    },
  };
}

/** Heartbeats when run as an activity; a direct call (a test) has no activity context. */
function heartbeat(details: unknown): void {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    context = undefined; // not in an activity
  }
  context?.heartbeat(details);
}
