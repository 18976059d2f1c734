/**
 * Rebuilds the projections from the start of the topics and swaps them in.
 *
 * 1. A fresh shadow schema gets the migrations.
 * 2. The high watermarks of the three topics are noted: the rebuild must
 *    consume at least that far.
 * 3. A consumer with a throwaway group id reads every topic from the beginning
 *    and applies each event to the shadow schema, with the same code the live
 *    consumer uses.
 * 4. Before swapping, the rebuild proves its projection complete
 *    (completeness.ts): every partition read starts at offset 0, and the
 *    rebuilt balances equal the ledger's. Otherwise it refuses, and the live
 *    tables are left as they were.
 * 5. The live consumer keeps running meanwhile, so before the swap the rebuild
 *    also catches up with what the live projections have applied; the swap
 *    itself re-checks that under lock (rebuild/swap.ts) and is retried if the
 *    live side moved on in between.
 * 6. The old live schema is dropped and the throwaway group deleted.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../../../lib/config';
import { createKafka, TOPICS } from '../../../lib/kafka';
import type { Logger } from '../../../lib/logger';
import { createPool, type Pool } from '../../../lib/pg';
import { Registry } from '../../../lib/telemetry/metrics';
import { ApplyGate } from '../apply-gate';
import { startProjectionConsumer } from '../consumer';
import { bindPoolToSchema, dropSchema, LIVE_SCHEMA, prepareSchema } from '../db/schema';
import { topicList, type TopicNames } from '../log-start';
import { createReadModelMetrics } from '../metrics';
import { sleep } from '../retry';
import { confirmAgainstLedger, refuseTruncatedLog } from './completeness';
import type { LedgerBalances } from './ledger-balances';
import { ConsumedOffsets, describeOffsets, mergeTargets, readAppliedPositions, readHighWatermarks, type Offsets } from './positions';
import { dropRetired, swapIfCaughtUp, type SwapSchemas } from './swap';

export interface RebuildOptions {
  config: Config;
  logger: Logger;
  /** The ledger whose balances the rebuilt ones must equal before the swap. */
  ledger: LedgerBalances;
  /** The schema whose tables are replaced; the service's own by default, tests pass theirs. */
  liveSchema?: string;
  /** The whole rebuild gives up past this. */
  timeoutMs?: number;
  swapAttempts?: number;
  /** The topics replayed; lib/kafka's TOPICS unless a test replays copies of its own. */
  topics?: TopicNames;
}

export interface RebuildReport {
  groupId: string;
  watermarks: Record<string, string>;
  /** Sum over partitions of the offsets consumed to, i.e. messages read. */
  messagesConsumed: string;
  swapAttempts: number;
  durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_SWAP_ATTEMPTS = 10;
const PROGRESS_POLL_MS = 100;
const PROGRESS_LOG_EVERY_MS = 10_000;

export async function rebuildProjections(options: RebuildOptions): Promise<RebuildReport> {
  const startedAt = Date.now();
  const live = options.liveSchema ?? LIVE_SCHEMA;
  const schemas: SwapSchemas = { live, shadow: `${live}_rebuild`, retired: `${live}_retired` };
  const pool = createPool(options.config, 'readmodel', { applicationName: 'read-model-rebuild', maxConnections: 6 });
  bindPoolToSchema(pool, schemas.shadow);
  skipCommitFlushes(pool);
  const kafka = createKafka(options.config, 'read-model-rebuild', options.logger);
  const admin = kafka.admin();
  const groupId = `read-model-rebuild-${randomUUID()}`;
  // Before the try: without the lock, the cleanup below must not touch the other run's shadow schema.
  const releaseLock = await lockOutOtherRebuilds(pool, live).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  try {
    await dropSchema(pool, schemas.shadow); // a previous run's leftovers
    await prepareSchema(pool, schemas.shadow);
    await admin.connect();
    const topics = options.topics ?? TOPICS;
    await refuseTruncatedLog(admin, topicList(topics));
    const watermarks = await readHighWatermarks(admin, topicList(topics));
    options.logger.info({ group_id: groupId, schemas, watermarks: describeOffsets(watermarks) }, 'rebuild started');
    const deadline = startedAt + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const run = { kafka, admin, ledger: options.ledger, topics, pool, schemas, groupId, watermarks, deadline, logger: options.logger, attempts: options.swapAttempts ?? DEFAULT_SWAP_ATTEMPTS };
    const { consumed, swapAttempts } = await consumeAndSwap(run);
    await dropRetired(pool, schemas);
    const report: RebuildReport = {
      groupId,
      watermarks: describeOffsets(watermarks),
      messagesConsumed: consumed.total().toString(),
      swapAttempts,
      durationMs: Date.now() - startedAt,
    };
    options.logger.info(report, 'rebuild swapped in');
    return report;
  } finally {
    // After a failure the shadow schema is useless; after a swap it no longer exists under that name.
    await dropSchema(pool, schemas.shadow).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    await releaseLock();
    await pool.end();
  }
}

interface RebuildRun {
  kafka: Kafka;
  admin: Admin;
  ledger: LedgerBalances;
  topics: TopicNames;
  pool: Pool;
  schemas: SwapSchemas;
  groupId: string;
  watermarks: Offsets;
  deadline: number;
  logger: Logger;
  attempts: number;
}

/** Replays the topics into the shadow schema with the live consumer's own code, then swaps. */
async function consumeAndSwap(run: RebuildRun): Promise<{ consumed: ConsumedOffsets; swapAttempts: number }> {
  const consumed = new ConsumedOffsets();
  const gate = new ApplyGate();
  const consumer = await startProjectionConsumer({
    kafka: run.kafka,
    pool: run.pool,
    logger: run.logger,
    // Not exposed anywhere: the rebuild is a batch job, its progress is logged.
    metrics: createReadModelMetrics(new Registry()),
    groupId: run.groupId,
    topics: run.topics,
    fromBeginning: true,
    joinProducerTrace: false,
    gate,
    onPosition: (topic, partition, nextOffset) => consumed.advance(topic, partition, nextOffset),
  });
  try {
    await waitUntilConsumed(consumed, run.watermarks, run.deadline, run.logger);
    await proveComplete(run, consumed);
    const swapAttempts = await swapWhenCaughtUp({ ...run, consumed, gate });
    return { consumed, swapAttempts };
  } finally {
    // Stop first, then abort: an apply held at the closed gate fails instead
    // of writing, after the swap, into tables that are now live.
    const stopping = consumer.stop();
    gate.abort();
    await stopping;
  }
}

/** Throws, so nothing is swapped, unless the shadow projection holds every event (completeness.ts). */
async function proveComplete(run: RebuildRun, consumed: ConsumedOffsets): Promise<void> {
  const topics = topicList(run.topics);
  await refuseTruncatedLog(run.admin, topics);
  const accountsCompared = await confirmAgainstLedger({
    ledger: run.ledger,
    pool: run.pool,
    logger: run.logger,
    catchUp: async () => waitUntilConsumed(consumed, await readHighWatermarks(run.admin, topics), run.deadline, run.logger),
  });
  run.logger.info({ topics, accounts_compared: accountsCompared }, 'rebuild complete: every partition starts at offset 0 and the balances equal the ledger\'s');
}

/**
 * Two rebuilds of one schema at once would drop each other's shadow tables:
 * a session advisory lock, held for the whole run, makes the second one refuse.
 */
async function lockOutOtherRebuilds(pool: Pool, liveSchema: string): Promise<() => Promise<void>> {
  const client = await pool.connect();
  const key = `read-model-rebuild:${liveSchema}`;
  const { rows: [row] } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [key]);
  if (!row?.locked) {
    client.release();
    throw new Error(`another rebuild of schema ${liveSchema} is running`);
  }
  return async () => {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
    client.release();
  };
}

interface SwapLoop extends RebuildRun {
  consumed: ConsumedOffsets;
  gate: ApplyGate;
}

/** Returns the attempt that swapped; leaves the gate closed after a swap so nothing more is applied. */
async function swapWhenCaughtUp(loop: SwapLoop): Promise<number> {
  for (let attempt = 1; attempt <= loop.attempts; attempt += 1) {
    const liveApplied = await readAppliedPositions(loop.pool, loop.schemas.live);
    await waitUntilConsumed(loop.consumed, mergeTargets(loop.watermarks, liveApplied), loop.deadline, loop.logger);
    await loop.gate.close();
    const result = await swapIfCaughtUp(loop.pool, loop.schemas, loop.consumed).catch((error: unknown) => {
      if (!isLockConflict(error)) throw error;
      loop.logger.warn({ err: error, attempt }, 'rebuild swap could not get its locks; trying again');
      return null;
    });
    if (result?.swapped) return attempt;
    loop.gate.open();
    if (result) loop.logger.info({ attempt, live_ahead: describeOffsets(result.liveAhead) }, 'live projections moved on; catching up before swapping');
  }
  throw new Error(`rebuild could not swap its tables in after ${loop.attempts} attempts`);
}

async function waitUntilConsumed(consumed: ConsumedOffsets, targets: Offsets, deadline: number, logger: Logger): Promise<void> {
  let loggedAt = Date.now();
  for (let behind = consumed.behind(targets); behind.size > 0; behind = consumed.behind(targets)) {
    if (Date.now() > deadline) throw new Error(`rebuild timed out; still behind on ${JSON.stringify(describeOffsets(behind))}`);
    if (Date.now() - loggedAt >= PROGRESS_LOG_EVERY_MS) {
      logger.info({ behind: describeOffsets(behind) }, 'rebuild catching up');
      loggedAt = Date.now();
    }
    await sleep(PROGRESS_POLL_MS);
  }
}

/**
 * The rebuild's many small transactions need not wait for their WAL flush:
 * should PostgreSQL crash midway, the shadow schema is thrown away and the
 * rebuild run again. The swap's commit is flushed (it turns the setting back
 * on for itself, rebuild/swap.ts), and WAL is flushed in order, so every
 * apply before it is durable once the swap is.
 */
function skipCommitFlushes(pool: Pool): void {
  pool.on('connect', (client) => {
    client.query('SET synchronous_commit TO off').catch(() => undefined);
  });
}

// lock_not_available (lock_timeout) and deadlock_detected: another attempt may well succeed.
function isLockConflict(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '55P03' || code === '40P01';
}
