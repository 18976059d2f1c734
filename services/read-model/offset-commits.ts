/**
 * Committing the consumer's offsets to Kafka: only ever past events whose
 * transaction has committed. The partitions of one fetch finish together
 * (apply-group.ts), so their commits made in one turn of the event loop go to
 * Kafka as one request.
 */
import type { Consumer } from 'kafkajs';

/** Reports that every message of a partition before `nextOffset` has been handled. */
export type PositionListener = (topic: string, partition: number, nextOffset: bigint) => void;

interface PendingCommit {
  topic: string;
  partition: number;
  offset: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class OffsetCommitter {
  private pending: PendingCommit[] = [];

  constructor(private readonly consumer: Consumer) {}

  commit(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ topic, partition, offset: nextOffset.toString(), resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.send());
    });
  }

  private async send(): Promise<void> {
    const commits = this.pending.splice(0);
    try {
      await this.consumer.commitOffsets(commits.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
      for (const commit of commits) commit.resolve();
    } catch (error) {
      for (const commit of commits) commit.reject(error);
    }
  }
}

// A commit is a round trip to Kafka: one per message would cap throughput far
// below what PostgreSQL can apply. A batch commits once, at its end; events
// applied one by one (the fallback) commit every this many. A crash
// redelivers at most this many, as no-ops.
const COMMIT_EVERY_MESSAGES = 100;

/** Commits a partition's applied offsets in bounded groups and reports each committed position. */
export class CommitProgress {
  private reached: bigint | null = null;
  private committed: bigint | null = null;
  private sinceCommit = 0;

  constructor(
    private readonly committer: OffsetCommitter,
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
    await this.committer.commit(this.topic, this.partition, nextOffset);
    this.committed = nextOffset;
    this.sinceCommit = 0;
    this.onPosition(this.topic, this.partition, nextOffset);
  }
}
