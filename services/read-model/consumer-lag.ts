/**
 * How far the consumer group is behind, per partition: the high watermark
 * minus the committed offset. A partition the group has never committed on
 * counts from the oldest retained offset, since that is where it will start.
 */
import type { Admin } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: bigint;
}

export async function readConsumerLag(admin: Admin, groupId: string, topics: readonly string[], timeoutMs: number): Promise<PartitionLag[]> {
  const read = Promise.all(topics.map((topic) => readTopicLag(admin, groupId, topic)));
  return (await withTimeout(read, timeoutMs)).flat();
}

async function readTopicLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  // One entry per topic asked; without it the group has committed nothing there (-1 below).
  const committedByPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return ends.map(({ partition, high, low }) => {
    const position = committedByPartition.get(partition) ?? -1n;
    const from = position >= 0n ? position : BigInt(low);
    const lag = BigInt(high) - from;
    return { topic, partition, lag: lag > 0n ? lag : 0n };
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
