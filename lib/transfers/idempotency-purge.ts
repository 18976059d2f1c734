/**
 * The purge of Idempotency-Keys past their retention (IDEMPOTENCY_RETENTION,
 * at least 24 hours: the contract's replay window). Purging a key removes only
 * its mapping, key → transfer (idempotency_keys), key → reversal
 * (reversal_idempotency_keys) or key → transfer batch
 * (batch_idempotency_keys): the transfer, its reversal and the batch are the
 * record and stay. The same key may then be used again by its principal, for a new
 * transfer (docs/api-contract.md, "Idempotency").
 *
 * In bounded batches, each one statement and so its own transaction: a large
 * backlog never holds locks or a snapshot for long, and the gateway's inserts
 * go on between batches. Keys are never updated, so a row's ctid is stable
 * between the sub-select and the delete.
 */
import type { Pool } from '../pg';

/** The contract promises replays for at least this long; a shorter retention is refused. */
export const IDEMPOTENCY_RETENTION_MIN_MS = 24 * 3_600_000;
export const PURGE_BATCH_SIZE_DEFAULT = 1000;

export const IDEMPOTENCY_KEY_TABLES = ['idempotency_keys', 'reversal_idempotency_keys', 'batch_idempotency_keys'] as const;
export type IdempotencyKeyTable = (typeof IDEMPOTENCY_KEY_TABLES)[number];

export interface PurgeOptions {
  /** Keys created before this instant go. */
  olderThan: Date;
  batchSize?: number;
  /** Called after each batch that deleted something (a heartbeat, a metric). */
  onBatch?: (table: IdempotencyKeyTable, deleted: number) => void;
}

export type PurgeCounts = Record<IdempotencyKeyTable, number> & { batches: number };

export async function purgeIdempotencyKeys(pool: Pool, { olderThan, batchSize = PURGE_BATCH_SIZE_DEFAULT, onBatch }: PurgeOptions): Promise<PurgeCounts> {
  const counts: PurgeCounts = { idempotency_keys: 0, reversal_idempotency_keys: 0, batch_idempotency_keys: 0, batches: 0 };
  for (const table of IDEMPOTENCY_KEY_TABLES) {
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE created_at < $1 LIMIT $2)`,
        [olderThan, batchSize],
      );
      const deleted = rowCount ?? 0;
      if (deleted === 0) break;
      counts[table] += deleted;
      counts.batches += 1;
      onBatch?.(table, deleted);
      if (deleted < batchSize) break;
    }
  }
  return counts;
}
