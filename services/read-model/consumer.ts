/**
 * The consumer group that feeds the projections from the three topics.
 * What one fetch brings (a batch per partition, handed over together) is
 * applied in one transaction (apply-group.ts, batch-handler.ts). Offsets are
 * committed by hand, only ever past events whose transaction has committed
 * (offset-commits.ts): a crash in between means a redelivery, which the
 * processed_events table turns into a no-op.
 *
 * A group that would start past events the log no longer holds (a log that
 * does not start at 0, and neither committed offsets nor applied positions
 * that reach its start) is refused before it joins: see log-start.ts.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { TOPICS } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import type { ApplyGate } from './apply-gate';
import { ApplyGroup } from './apply-group';
import { createBatchHandler, type BatchHandler } from './batch-handler';
import { IncompleteLogError, partitionsSkippedByGroup, topicList, type TopicNames } from './log-start';
import type { ReadModelMetrics } from './metrics';
import { CommitProgress, OffsetCommitter, type PositionListener } from './offset-commits';
import { ConsumerRestarter } from './consumer-restart';
import type { BackoffPolicy } from './retry';

export const CONSUMED_TOPICS: readonly string[] = topicList(TOPICS);

/** The live service's consumer group. */
export const READ_MODEL_GROUP_ID = 'read-model';

export type { PositionListener } from './offset-commits';

export interface ProjectionConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  metrics: ReadModelMetrics;
  groupId: string;
  /** Where a group without committed offsets starts; default true, so a new read model sees every event. */
  fromBeginning?: boolean;
  /** The topics read; lib/kafka's TOPICS unless a test reads copies of its own. */
  topics?: TopicNames;
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

// At least as many as the partitions one fetch can bring (three topics of
// three partitions), so every batch of a fetch is in hand at once and they
// share a transaction (apply-group.ts).
const PARTITIONS_CONSUMED_CONCURRENTLY = 16;

// Kafka answers a fetch once this many bytes wait or this long has passed.
// Answering at the first byte (kafkajs's default), a fetch at 25 transfers/s
// brought one or two events; waiting 50 ms gathers ~7 per transaction and
// cuts the read model's CPU per event by a third, Kafka's by half
// (bench/outbox-pipeline.ts), for ~25 ms more projection latency on average.
const FETCH_MAX_WAIT_MS = 50;
const FETCH_MIN_BYTES = 1024 * 1024;

export async function startProjectionConsumer(options: ProjectionConsumerOptions): Promise<ProjectionConsumer> {
  const { kafka, logger, groupId } = options;
  const names = options.topics ?? TOPICS;
  const topics = topicList(names);
  if (options.fromBeginning ?? true) await refuseSkippedEvents(kafka, options.pool, groupId, topics);
  const eventTopics = new Map([
    [names.account, TOPICS.account],
    [names.entry, TOPICS.entry],
    [names.hold, TOPICS.hold],
  ]);
  const consumer = kafka.consumer({ groupId, minBytes: FETCH_MIN_BYTES, maxWaitTimeInMs: FETCH_MAX_WAIT_MS });
  const group = new ApplyGroup(options);
  const handle = createBatchHandler({ ...options, joinProducerTrace: options.joinProducerTrace ?? true }, group);
  const onPosition = options.onPosition ?? (() => undefined);
  const committer = new OffsetCommitter(consumer);
  logGroupEvents(consumer, logger, groupId);
  commitControlOnlyBatches(consumer, committer, logger, onPosition);
  const start = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      // Resolving by hand, so a batch cut short by a stop or a rebalance never marks unapplied messages as done.
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => processBatch(committer, handle, onPosition, payload, eventTopics.get(payload.batch.topic)),
    });
  };
  const restarter = new ConsumerRestarter({ start, disconnect: () => consumer.disconnect(), logger, groupId });
  consumer.on(consumer.events.CRASH, ({ payload }) => restarter.crashed(payload.restart));
  await start();
  logger.info({ group_id: groupId, topics }, 'projection consumer started');
  return {
    stop: async () => {
      restarter.stop();
      await consumer.disconnect();
      logger.info({ group_id: groupId }, 'projection consumer stopped');
    },
  };
}

/**
 * Before joining: `fromBeginning` would silently start such a group at the
 * first event still kept, and the projections would miss every event before it.
 */
async function refuseSkippedEvents(kafka: Kafka, pool: Pool, groupId: string, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const gaps = await partitionsSkippedByGroup(admin, pool, groupId, topics);
    if (gaps.length > 0) throw new IncompleteLogError(gaps, `consumer group ${groupId} would miss the events before the log start, so it does not start`);
  } finally {
    await admin.disconnect();
  }
}

async function processBatch(
  committer: OffsetCommitter,
  handle: BatchHandler,
  onPosition: PositionListener,
  payload: EachBatchPayload,
  eventTopic: string | undefined,
): Promise<void> {
  const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
  const { topic, partition } = batch;
  const progress = new CommitProgress(committer, topic, partition, onPosition);
  const running = () => isRunning() && !isStale();
  try {
    for (let from = 0; from < batch.messages.length; from += MESSAGES_PER_TRANSACTION_MAX) {
      if (!running()) return await progress.flush();
      const messages = batch.messages.slice(from, from + MESSAGES_PER_TRANSACTION_MAX);
      const handled = async (nextOffset: bigint, count: number) => {
        resolveOffset((nextOffset - 1n).toString());
        await progress.done(nextOffset, count);
      };
      const outcome = await handle({ topic, partition, messages, eventTopic }, { heartbeat, isRunning: running, handled });
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

// A consumer catching up is handed batches of thousands of messages: they
// are taken in slices, committed slice by slice.
const MESSAGES_PER_TRANSACTION_MAX = 500;

/**
 * A batch made only of control records never reaches eachBatch; kafkajs
 * resolves it and reports it with batchSize 0. Commit past it as well.
 */
function commitControlOnlyBatches(consumer: Consumer, committer: OffsetCommitter, logger: Logger, onPosition: PositionListener): void {
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize !== 0) return;
    const nextOffset = BigInt(payload.lastOffset) + 1n;
    committer
      .commit(payload.topic, payload.partition, nextOffset)
      .then(() => onPosition(payload.topic, payload.partition, nextOffset))
      .catch((error) => logger.warn({ err: error, topic: payload.topic, partition: payload.partition }, 'commit past control records failed'));
  });
}

/**
 * INFO for the group's life cycle; per-batch lines are INFO, per-event lines DEBUG (report.ts).
 * A crash kafkajs recovers from by restarting the consumer (a retriable error:
 * the group coordinator still loading after Kafka starts, a broker restart) is
 * a WARN; one it gives up on is an ERROR, and consumer-restart.ts starts it again.
 */
function logGroupEvents(consumer: Consumer, logger: Logger, groupId: string): void {
  const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) =>
    logger.info({ group_id: groupId, member_id: payload.memberId, assignment: payload.memberAssignment }, 'consumer group joined'),
  );
  consumer.on(REBALANCING, () => logger.info({ group_id: groupId }, 'consumer group rebalancing'));
  consumer.on(CRASH, ({ payload }) =>
    logger[payload.restart ? 'warn' : 'error']({ group_id: groupId, err: payload.error, restart: payload.restart }, 'consumer crashed'),
  );
}
