/**
 * Progress bookkeeping for the rebuild: offsets per topic partition, the
 * targets it must reach (the high watermarks at its start, and whatever the
 * live projections have applied since), and how far its consumer has come.
 */
import type { Admin } from 'kafkajs';
import type { Pool, PoolClient } from '../../../lib/pg';
import { schemaIdentifier } from '../db/schema';

/** next offset to consume, by "topic:partition". */
export type Offsets = Map<string, bigint>;

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/** The next offset each non-empty partition will be written at, as of now. */
export async function readHighWatermarks(admin: Admin, topics: readonly string[]): Promise<Offsets> {
  const targets: Offsets = new Map();
  for (const topic of topics) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      // A partition with nothing retained gives the consumer nothing to report.
      if (BigInt(high) > BigInt(low)) targets.set(partitionKey(topic, partition), BigInt(high));
    }
  }
  return targets;
}

/** How far the projections in `schema` have applied each partition (empty when the schema has no tables yet). */
export async function readAppliedPositions(client: Pool | PoolClient, schema: string): Promise<Offsets> {
  const exists = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${schemaIdentifier(schema)}.applied_positions`]);
  if (!exists.rows[0]?.present) return new Map();
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM ${schemaIdentifier(schema)}.applied_positions`,
  );
  return new Map(rows.map((row) => [partitionKey(row.topic, row.partition), BigInt(row.next_offset)]));
}

/** Where the rebuild's consumer stands; fed by the consumer's position reports. */
export class ConsumedOffsets {
  private readonly next: Offsets = new Map();

  advance(topic: string, partition: number, nextOffset: bigint): void {
    const key = partitionKey(topic, partition);
    if ((this.next.get(key) ?? 0n) < nextOffset) this.next.set(key, nextOffset);
  }

  /** The partitions (with their target) not yet consumed up to `targets`. */
  behind(targets: Offsets): Offsets {
    return new Map([...targets].filter(([key, target]) => (this.next.get(key) ?? 0n) < target));
  }

  total(): bigint {
    return [...this.next.values()].reduce((sum, offset) => sum + offset, 0n);
  }
}

export function mergeTargets(first: Offsets, second: Offsets): Offsets {
  const merged = new Map(first);
  for (const [key, offset] of second) if ((merged.get(key) ?? -1n) < offset) merged.set(key, offset);
  return merged;
}

export function describeOffsets(offsets: Offsets): Record<string, string> {
  return Object.fromEntries([...offsets].map(([key, offset]) => [key, offset.toString()]));
}
