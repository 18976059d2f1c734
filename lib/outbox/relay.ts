/**
 * The outbox relay, one per service that writes an outbox (accounts, ledger).
 *
 * It wakes on LISTEN/NOTIFY (with a fallback poll), lets the commits close
 * behind the notification land (LINGER_MS), claims the oldest
 * unpublished rows with FOR UPDATE SKIP LOCKED, publishes them to Kafka in one
 * produce request (idempotent producer, acks=all; each message in the trace
 * context stored with its row, see send.ts), then marks them published in the
 * same transaction. So:
 * - two relays never publish the same row in the normal case (the second skips
 *   locked rows);
 * - a crash between publish and commit leaves the rows unpublished, and they
 *   are published again: a duplicate that consumers drop by eventId;
 * - one key's (one account's) rows reach Kafka in id order: they share a
 *   record batch, appended whole or not at all;
 * - a claim the broker refuses is sent again row by row: the rows it
 *   acknowledges are marked published, and a row it refuses holds up only the
 *   later rows of its own key;
 * - Kafka down: the transaction rolls back, rows wait, the relay logs a WARN and
 *   retries with capped exponential backoff. Nothing is lost.
 */
import type { Kafka, Producer } from 'kafkajs';
import { Client, type Pool, type QueryResult } from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createOutboxMetrics, type OutboxMetrics } from './metrics';
import { sendAll, sendRowByRow, type OutboxRow } from './send';

export interface OutboxRelayOptions {
  pool: Pool;
  /** Connection string for the dedicated LISTEN connection. */
  listenConnectionString: string;
  kafka: Kafka;
  logger: Logger;
  registry: Registry;
  batchSizeMax?: number;
  pollIntervalMs?: number;
  /** How long a notification's claim waits for more rows to commit. */
  lingerMs?: number;
  backoffMaxMs?: number;
  /** Published rows are kept this long for inspection, then pruned. */
  retentionMs?: number;
}

interface ClaimedRow extends OutboxRow {
  /** Age when claimed. */
  age_seconds: number;
}

const PRUNE_EVERY_MS = 60_000;
// Measured at 25 transfers/s (bench/outbox-pipeline.ts): 20 ms halves the
// claims and cuts the relay's CPU by a sixth, for an outbox age p99 near 50 ms.
const LINGER_MS = 20;
const PRUNE_BATCH_MAX = 5_000;

export class OutboxRelay {
  private readonly batchSizeMax: number;
  private readonly pollIntervalMs: number;
  private readonly lingerMs: number;
  private readonly backoffMaxMs: number;
  private readonly retentionMs: number;
  private readonly metrics: OutboxMetrics;
  private producer: Producer | undefined;
  private listener: Client | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a notification that arrived while no idle() was waiting, so it is not lost. */
  private wakeRequested = false;
  private lastPruneMs = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSizeMax = options.batchSizeMax ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.lingerMs = options.lingerMs ?? LINGER_MS;
    this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.retentionMs = options.retentionMs ?? 24 * 60 * 60 * 1000;
    this.metrics = createOutboxMetrics(options.registry, options.pool);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.listener = undefined;
    this.producer = undefined;
  }

  /** Publishes one batch; returns how many rows it published. Exposed for tests and drills. */
  async publishBatch(): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      const claimedAtMs = Date.now();
      // Two round trips for a claim: BEGIN with the SELECT, the UPDATE with the
      // COMMIT (simple-query protocol, hence the values written into the text;
      // both are integers, checked).
      const [, { rows }] = (await client.query(
        `BEGIN;
         SELECT id, topic, message_key, envelope::text AS envelope, traceparent,
                EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 AS age_seconds
           FROM outbox WHERE published_at IS NULL
          ORDER BY id LIMIT ${integer(this.batchSizeMax)} FOR UPDATE SKIP LOCKED`,
      )) as unknown as [QueryResult, QueryResult<ClaimedRow>];
      const { published, failure } = rows.length > 0 ? await this.publish(rows) : { published: [] };
      const ids = published.map((row) => integer(row.id)).join(',');
      await client.query(ids ? `UPDATE outbox SET published_at = clock_timestamp() WHERE id IN (${ids}); COMMIT` : 'COMMIT');
      const sinceClaimS = (Date.now() - claimedAtMs) / 1000;
      for (const row of published) this.metrics.published(row.topic, row.age_seconds + sinceClaimS);
      if (failure) throw failure;
      return published.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    await this.listen();
    while (this.running) {
      try {
        // Rows committed from here on are either seen by this batch or notify again.
        this.wakeRequested = false;
        const published = await this.publishBatch();
        backoffMs = 0;
        await this.pruneIfDue();
        if (published < this.batchSizeMax && (await this.idle(this.pollIntervalMs)) === 'notified') await this.linger();
      } catch (error) {
        backoffMs = Math.min(this.backoffMaxMs, backoffMs === 0 ? 250 : backoffMs * 2);
        this.options.logger.warn({ err: error, retry_in_ms: backoffMs }, 'outbox relay could not publish; rows wait for the next try');
        await this.resetProducer();
        // Back off even if rows were notified meanwhile: the failed rows are still first in line.
        this.wakeRequested = false;
        await this.idle(backoffMs);
        if (!this.listener) await this.listen();
      }
    }
  }

  /**
   * One produce request for the whole claim. Should the broker refuse it for
   * a reason a retry cannot fix (a message over its size limit, say), the
   * claim is sent again row by row, so the rows it does accept are marked
   * published and the refused one holds up only its own key. Any other
   * failure (Kafka unreachable) fails the claim: every row waits.
   *
   * The row-by-row pass runs on a new producer. The broker appends or refuses
   * each partition's part of a request on its own, but kafkajs, on any error,
   * rolls back the idempotence sequence numbers of every partition in it, so
   * the same producer's next send to a partition whose part was appended is
   * refused as out of order (the relay would stall on rows Kafka accepted). A
   * new producer starts new sequences: the rows whose part was appended are
   * sent again, a duplicate in the topic that consumers drop by eventId, as
   * they drop any redelivery (at-least-once; one key's order still holds, as its
   * rows share one partition, appended whole or not at all).
   */
  private async publish(rows: ClaimedRow[]): Promise<{ published: ClaimedRow[]; failure?: unknown }> {
    try {
      await sendAll(await this.connectedProducer(), rows);
      return { published: rows };
    } catch (error) {
      if (rows.length === 1 || !brokerRefused(error)) throw error;
      this.options.logger.warn({ err: error, rows: rows.length }, 'Kafka refused a batch of outbox rows; sending them one by one');
      await this.resetProducer();
      const { acked, failure } = await sendRowByRow(await this.connectedProducer(), rows);
      const ackedIds = new Set(acked);
      return { published: rows.filter((row) => ackedIds.has(row.id)), failure };
    }
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => undefined);
  }

  /** A dedicated connection that LISTENs; if it breaks, the poll still finds the rows. */
  private async listen(): Promise<void> {
    const listener = new Client({ connectionString: this.options.listenConnectionString, application_name: 'outbox-relay-listen' });
    listener.on('notification', () => {
      this.wakeRequested = true;
      this.wake?.();
    });
    listener.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'outbox LISTEN connection lost; polling until it is back');
      this.listener = undefined;
      listener.end().catch(() => undefined);
    });
    try {
      await listener.connect();
      await listener.query('LISTEN outbox');
      this.listener = listener;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox relay cannot LISTEN yet; polling');
      await listener.end().catch(() => undefined);
    }
  }

  /** Waits for a notification, a stop or `timeoutMs`, whichever comes first. */
  private async idle(timeoutMs: number): Promise<'notified' | 'timeout'> {
    // A notification during the last batch means rows may be waiting: look again now.
    if (!this.running || this.wakeRequested) return 'notified';
    const outcome = await new Promise<'notified' | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve('notified');
      };
    });
    this.wake = undefined;
    return outcome;
  }

  /**
   * After a notification, lets the commits close behind it land before
   * claiming: one claim and one produce request then carry several
   * transactions' rows, for a few milliseconds of age.
   */
  private async linger(): Promise<void> {
    if (this.lingerMs > 0 && this.running) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
  }

  private async pruneIfDue(): Promise<void> {
    if (Date.now() - this.lastPruneMs < PRUNE_EVERY_MS) return;
    this.lastPruneMs = Date.now();
    await this.options.pool.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE published_at < clock_timestamp() - make_interval(secs => $1) LIMIT $2)`,
      [this.retentionMs / 1000, PRUNE_BATCH_MAX],
    );
  }
}

/**
 * Whether the broker answered and refused what was sent (a KafkaJSProtocolError
 * it marks not retriable: a message over its size limit, say), somewhere in the
 * chain of causes kafkajs wraps errors in; not when it could not be reached.
 */
function brokerRefused(error: unknown): boolean {
  for (let e = error as { name?: string; retriable?: boolean; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.name === 'KafkaJSProtocolError' && e.retriable === false) return true;
  }
  return false;
}

/** A value written into SQL text: only ever a non-negative integer. */
function integer(value: string | number): string {
  const text = String(value);
  if (!/^[0-9]+$/.test(text)) throw new Error(`not an integer: ${text}`);
  return text;
}
