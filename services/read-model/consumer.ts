/**
 * The consumer group that feeds the projections from the three topics.
 * Each batch kafkajs hands over (one partition's messages) is applied in one
 * transaction (batch-handler.ts). Offsets are committed by hand, only ever
 * past events whose transaction has committed: a crash in between means a
 * redelivery, which the processed_events table turns into a no-op.
 * Partitions are consumed concurrently; where their transactions meet (an
 * account's balance row), they take their locks in one order.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { TOPICS } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import type { ApplyGate } from './apply-gate';
import { createBatchHandler, type BatchHandler } from './batch-handler';
import type { ReadModelMetrics } from './metrics';
import type { BackoffPolicy } from './retry';

export const CONSUMED_TOPICS: readonly string[] = [TOPICS.account, TOPICS.entry, TOPICS.hold];

/** The live service's consumer group. */
export const READ_MODEL_GROUP_ID = 'read-model';

/** Reports that every message of a partition before `nextOffset` has been handled. */
export type PositionListener = (topic: string, partition: number, nextOffset: bigint) => void;

export interface ProjectionConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  metrics: ReadModelMetrics;
  groupId: string;
  /** Where a group without committed offsets starts; default true, so a new read model sees every event. */
  fromBeginning?: boolean;
  /** Default true; the rebuild turns it off. */
  joinProducerTrace?: boolean;
  gate?: ApplyGate;
  onPosition?: PositionListener;
  backoff?: BackoffPolicy;
}

export interface ProjectionConsumer {
  /** Leaves the group once the batch in hand is done; uncommitted events are redelivered later. */
  stop(): Promise<void>;
}

const PARTITIONS_CONSUMED_CONCURRENTLY = 3;

export async function startProjectionConsumer(options: ProjectionConsumerOptions): Promise<ProjectionConsumer> {
  const { kafka, logger, groupId } = options;
  const consumer = kafka.consumer({ groupId });
  const handle = createBatchHandler({ ...options, joinProducerTrace: options.joinProducerTrace ?? true });
  const onPosition = options.onPosition ?? (() => undefined);
  logGroupEvents(consumer, logger, groupId);
  commitControlOnlyBatches(consumer, logger, onPosition);
  await consumer.connect();
  await consumer.subscribe({ topics: [...CONSUMED_TOPICS], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    // Resolving by hand, so a batch cut short by a stop or a rebalance never marks unapplied messages as done.
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
    eachBatch: (payload) => processBatch(consumer, handle, onPosition, payload),
  });
  logger.info({ group_id: groupId, topics: CONSUMED_TOPICS }, 'projection consumer started');
  return {
    stop: async () => {
      await consumer.disconnect();
      logger.info({ group_id: groupId }, 'projection consumer stopped');
    },
  };
}

async function processBatch(consumer: Consumer, handle: BatchHandler, onPosition: PositionListener, payload: EachBatchPayload): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  const { topic, partition } = batch;
  const progress = new CommitProgress(consumer, topic, partition, onPosition);
  const running = () => isRunning() && !isStale();
  try {
    for (let from = 0; from < batch.messages.length; from += MESSAGES_PER_TRANSACTION_MAX) {
      if (!running()) return await progress.flush();
      const messages = batch.messages.slice(from, from + MESSAGES_PER_TRANSACTION_MAX);
      const handled = async (nextOffset: bigint, count: number) => {
        resolveOffset((nextOffset - 1n).toString());
        await progress.done(nextOffset, count);
      };
      const outcome = await handle({ topic, partition, messages }, { heartbeat, isRunning: running, handled });
      if (outcome === 'aborted') return await progress.flush();
      await heartbeat();
    }
    // Control records (transaction markers) after the last message are never
    // handed to us; committing past them keeps the lag at zero.
    await progress.done(BigInt(batch.lastOffset()) + 1n, 0);
    await progress.flush();
  } catch (error) {
    // What was applied stays committed; the failed message is redelivered.
    await progress.flush().catch(() => undefined);
    throw error;
  }
}

// A bound on one transaction (a consumer catching up is handed batches of
// thousands of messages): its locks and its redo on failure stay small.
const MESSAGES_PER_TRANSACTION_MAX = 500;

// A commit is a round trip to Kafka: one per message would cap throughput far
// below what PostgreSQL can apply. A batch commits once, at its end; events
// applied one by one (the fallback) commit every this many. Every offset
// committed is one whose transaction has committed; a crash redelivers at
// most this many, as no-ops.
const COMMIT_EVERY_MESSAGES = 100;

/** Commits a partition's applied offsets in bounded groups and reports each committed position. */
class CommitProgress {
  private reached: bigint | null = null;
  private committed: bigint | null = null;
  private sinceCommit = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly partition: number,
    private readonly onPosition: PositionListener,
  ) {}

  /** Everything before `nextOffset` has been handled, `count` messages of it since the last call. */
  async done(nextOffset: bigint, count: number): Promise<void> {
    if (this.reached !== null && nextOffset <= this.reached) return;
    this.reached = nextOffset;
    this.sinceCommit += count;
    if (this.sinceCommit >= COMMIT_EVERY_MESSAGES) await this.flush();
  }

  async flush(): Promise<void> {
    const nextOffset = this.reached;
    if (nextOffset === null || nextOffset === this.committed) return;
    await commit(this.consumer, this.topic, this.partition, nextOffset);
    this.committed = nextOffset;
    this.sinceCommit = 0;
    this.onPosition(this.topic, this.partition, nextOffset);
  }
}

function commit(consumer: Consumer, topic: string, partition: number, nextOffset: bigint): Promise<void> {
  return consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]);
}

/**
 * A batch made only of control records never reaches eachBatch; kafkajs
 * resolves it and reports it with batchSize 0. Commit past it as well.
 */
function commitControlOnlyBatches(consumer: Consumer, logger: Logger, onPosition: PositionListener): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize !== 0) return;
    const nextOffset = BigInt(payload.lastOffset) + 1n;
    commit(consumer, payload.topic, payload.partition, nextOffset)
      .then(() => onPosition(payload.topic, payload.partition, nextOffset))
      .catch((error) => logger.warn({ err: error, topic: payload.topic, partition: payload.partition }, 'commit past control records failed'));
  });
}

/** INFO for the group's life cycle; per-batch lines are INFO, per-event lines DEBUG (report.ts). */
function logGroupEvents(consumer: Consumer, logger: Logger, groupId: string): void {
  const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) =>
    logger.info({ group_id: groupId, member_id: payload.memberId, assignment: payload.memberAssignment }, 'consumer group joined'),
  );
  consumer.on(REBALANCING, () => logger.info({ group_id: groupId }, 'consumer group rebalancing'));
  consumer.on(CRASH, ({ payload }) =>
    logger.error({ group_id: groupId, err: payload.error, restart: payload.restart }, 'consumer crashed'),
  );
}
