/**
 * A projection is right only if it has seen every event since the first one.
 * A partition whose log no longer starts at offset 0 has lost its oldest
 * events (retention, or a deleteRecords), and a consumer that starts "from
 * the beginning" of it would build balances from the remaining suffix without
 * any error to show for it. These checks find such partitions, so the live
 * consumer and the rebuild can refuse instead.
 */
import type { Admin } from 'kafkajs';
import type { Pool } from '../../lib/pg';

export interface LogGap {
  topic: string;
  partition: number;
  /** The partition's log start offset (kafkajs `low`): the first event still kept. */
  logStart: bigint;
  /**
   * Where the consumer would resume: the further of its group's committed
   * offset and the projections' own applied position; null when it has
   * neither; absent when only the log start was looked at.
   */
  resumesAt?: bigint | null;
}

/** The names the read model's three topics go by: lib/kafka's TOPICS, or a test's own copies of them. */
export interface TopicNames {
  account: string;
  entry: string;
  hold: string;
}

export const topicList = (names: TopicNames): string[] => [names.account, names.entry, names.hold];

/** The partitions of `topics` whose log no longer starts at offset 0. */
export async function truncatedPartitions(admin: Admin, topics: readonly string[]): Promise<LogGap[]> {
  const gaps: LogGap[] = [];
  for (const topic of topics) {
    for (const { partition, low } of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(low) > 0n) gaps.push({ topic, partition, logStart: BigInt(low) });
    }
  }
  return gaps;
}

/**
 * The partitions where a consumer of `groupId` feeding the projections in
 * `pool`'s schema would skip events: the log does not start at 0 and neither
 * the group's committed offset nor the projections' applied position
 * (applied_positions) reaches the log start. A group whose offsets expired
 * while the read model was down is not refused when its tables show they had
 * applied past the log start: re-reading from there changes nothing, as every
 * event already applied is in processed_events.
 */
export async function partitionsSkippedByGroup(admin: Admin, pool: Pool, groupId: string, topics: readonly string[]): Promise<LogGap[]> {
  const truncated = await truncatedPartitions(admin, topics);
  if (truncated.length === 0) return [];
  const resumes = await appliedPositions(pool);
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const { partition, offset } of partitions) {
      const key = `${topic}:${partition}`;
      if (BigInt(offset) > (resumes.get(key) ?? -1n)) resumes.set(key, BigInt(offset));
    }
  }
  return truncated
    .map((gap) => ({ ...gap, resumesAt: resumes.get(`${gap.topic}:${gap.partition}`) ?? null }))
    .filter((gap) => gap.resumesAt === null || gap.resumesAt < gap.logStart);
}

/** applied_positions of the schema `pool` is bound to, by "topic:partition". */
async function appliedPositions(pool: Pool): Promise<Map<string, bigint>> {
  const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>('SELECT topic, partition, next_offset::text AS next_offset FROM applied_positions');
  return new Map(rows.map((row) => [`${row.topic}:${row.partition}`, BigInt(row.next_offset)]));
}

/** "ledger.entry.v1 partition 0 starts at offset 5 (nothing applied or committed)", one clause per gap. */
export function describeGaps(gaps: readonly LogGap[]): string {
  return gaps
    .map(({ topic, partition, logStart, resumesAt }) => {
      const starts = `${topic} partition ${partition} starts at offset ${logStart}`;
      if (resumesAt === undefined) return starts;
      return `${starts} (${resumesAt === null ? 'nothing applied or committed' : `applied and committed up to ${resumesAt}`})`;
    })
    .join('; ');
}

/** Thrown instead of projecting from a log that lost its oldest events. */
export class IncompleteLogError extends Error {
  constructor(
    readonly gaps: readonly LogGap[],
    consequence: string,
  ) {
    super(`the event log is incomplete: ${describeGaps(gaps)}; ${consequence}`);
    this.name = 'IncompleteLogError';
  }
}
