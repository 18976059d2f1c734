/**
 * Outbox → Kafka → read model benchmark: a script, not a test.
 *
 *   deploy/stack up --infra && npx tsx bench/outbox-pipeline.ts
 *
 * What it measures, and how. It starts two processes of its own, both traced
 * to the stack's trace sink like the services: an outbox relay alone
 * (bench/outbox/relay-process.ts, on an outbox table in a schema of its own
 * in the ledger database) and the read model (services/read-model/main.ts, on
 * READ_MODEL_PORT: the stack's own read model must not be running). Then it
 * writes outbox rows the way the ledger does for a transfer, open loop at
 * BENCH_RATE transfers/s: one transaction with hold.reserved, and 20 ms later
 * one with hold.captured and entry.posted for both accounts (4 events a
 * transfer, between BENCH_ACCOUNTS accounts, each transfer in a trace of its
 * own). After a warm-up and its drain, it measures BENCH_DURATION_S of load
 * plus the drain that follows (outbox empty, consumer lag 0):
 *
 *   - CPU (utime+stime from /proc) of the relay, the read model, the
 *     PostgreSQL backends serving them, and Kafka, per event and per transfer;
 *   - the outbox age at publication (published_at - created_at, exact);
 *   - projection_latency_seconds of the read model (bucket bounds);
 *   - committed transactions in the readmodel database per event.
 *
 * Its events go to the stack's real topics and read model (random accounts
 * the ledger does not know): run it on a stack of its own (DATA_DIR and
 * ports, as for the helpers' stacks) and start that stack afresh before
 * drills or tests that compare the read model with the ledger.
 *
 * Knobs (environment): BENCH_RATE (25), BENCH_DURATION_S (20),
 * BENCH_WARMUP_S (3), BENCH_ACCOUNTS (20), BENCH_RELAY_PORT (17190),
 * BENCH_DRAIN_TIMEOUT_S (120); BENCH_CPU_PROF_DIR=dir runs both processes
 * with --cpu-prof into that folder. Ports and DATA_DIR as for deploy/stack.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Client, Pool } from 'pg';
import { databaseUrl, loadConfig } from '../lib/config';
import type { EntryDto, HoldDto, HoldStatus } from '../lib/contracts/ledger';
import { createKafka, TOPICS } from '../lib/kafka';
import { appendToOutbox, OUTBOX_MIGRATIONS_DIR, type OutboxEvent } from '../lib/outbox';
import { inTransaction, migrate } from '../lib/pg';
import { firstOf, required } from '../lib/assert';
import { readConsumerLag } from '../services/read-model/consumer-lag';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from '../services/read-model/consumer';
import {
  benchCredentials,
  cpuBetween,
  cpuSnapshotOf,
  defaultGroupOf,
  fixed,
  infraPortsOf,
  intFromEnv,
  percentiles,
  randomPairOf,
  request,
  ServiceGroup,
  stopOnSignals,
  table,
  uptimeLine,
  type CpuSnapshot,
} from './support';

const config = loadConfig();
const settings = {
  rate: intFromEnv('BENCH_RATE', 25, 1, 500),
  durationS: intFromEnv('BENCH_DURATION_S', 20, 1, 600),
  warmupS: intFromEnv('BENCH_WARMUP_S', 3, 0, 60),
  accountCount: intFromEnv('BENCH_ACCOUNTS', 20, 2, 1000),
  relayPort: intFromEnv('BENCH_RELAY_PORT', 17190, 1, 65535),
  drainTimeoutS: intFromEnv('BENCH_DRAIN_TIMEOUT_S', 120, 1, 600),
};
const SCHEMA = 'bench_outbox';
const EVENTS_PER_TRANSFER = 4;
const RESERVE_TO_CAPTURE_MS = 20;
const GROUPS = ['relay', 'read-model', 'kafka'] as const;

// The bench has no tracing SDK; the W3C propagator alone lets appendToOutbox store each transfer's traceparent.
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const services = new ServiceGroup('outbox-pipeline');
let stopping = false;
stopOnSignals(services, () => {
  stopping = true;
});

const ledgerUrl = databaseUrl(config, 'ledger');
const writers = new Pool({ connectionString: ledgerUrl, options: `-c search_path=${SCHEMA}`, max: 8, application_name: 'outbox-bench-writer' });

async function prepareSchema(): Promise<void> {
  const admin = new Client({ connectionString: ledgerUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.end();
  await migrate(writers, OUTBOX_MIGRATIONS_DIR);
}

// ------------------------------------------------------------------ the ledger's events of one transfer

const accounts = Array.from({ length: settings.accountCount }, () => randomUUID());

function sampledContext() {
  const spanContext = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED, isRemote: true };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

function holdEvent(hold: HoldDto, status: HoldStatus, entryId: string | null): OutboxEvent<HoldDto> {
  return { topic: TOPICS.hold, type: `hold.${status}`, aggregateId: hold.fromAccountId, payload: { ...hold, status, entryId, updatedAt: new Date().toISOString() } };
}

function entryEvents(entry: EntryDto): OutboxEvent<EntryDto & { accountId: string }>[] {
  return entry.lines.map((line) => ({ topic: TOPICS.entry, type: 'entry.posted', aggregateId: line.accountId, payload: { ...entry, accountId: line.accountId } }));
}

/** The two transactions the ledger commits for a transfer that posts: reserve, then capture. */
async function oneTransfer(): Promise<void> {
  const [from, to] = randomPairOf(accounts);
  const now = new Date().toISOString();
  const amountMinor = String(1 + Math.floor(Math.random() * 100));
  const hold: HoldDto = {
    holdId: randomUUID(), transferId: randomUUID(), fromAccountId: from, toAccountId: to, amountMinor, currency: 'USD',
    status: 'reserved', entryId: null, expiresAt: null, createdAt: now, updatedAt: now,
  };
  await context.with(sampledContext(), () => inTransaction(writers, (client) => appendToOutbox(client, [holdEvent(hold, 'reserved', null)])));
  await sleep(RESERVE_TO_CAPTURE_MS);
  const entry: EntryDto = {
    entryId: randomUUID(), transferId: hold.transferId, holdId: hold.holdId, reversesEntryId: null, currency: 'USD',
    description: 'outbox bench', postedAt: new Date().toISOString(),
    lines: [
      { accountId: from, direction: 'debit', amountMinor, balanceAfterMinor: '0' },
      { accountId: to, direction: 'credit', amountMinor, balanceAfterMinor: '0' },
    ],
  };
  const events: OutboxEvent<unknown>[] = [holdEvent(hold, 'captured', entry.entryId), ...entryEvents(entry)];
  await context.with(sampledContext(), () => inTransaction(writers, (client) => appendToOutbox(client, events)));
}

/** Starts `rate` transfers a second (open loop) for `seconds`; resolves when all have committed. */
async function load(seconds: number): Promise<{ transfers: number; failures: number }> {
  const intervalMs = 1000 / settings.rate;
  const startMs = performance.now();
  const running: Promise<void>[] = [];
  let failures = 0;
  for (let n = 0; performance.now() - startMs < seconds * 1000 && !stopping; n++) {
    const dueMs = startMs + n * intervalMs;
    const waitMs = dueMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    running.push(oneTransfer().catch(() => void failures++));
  }
  await Promise.all(running);
  return { transfers: running.length, failures };
}

// ------------------------------------------------------------------ drain and figures

async function waitDrained(admin: ReturnType<ReturnType<typeof createKafka>['admin']>): Promise<void> {
  const deadline = Date.now() + settings.drainTimeoutS * 1000;
  for (;;) {
    const { rows } = await writers.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
    const unpublished = firstOf(rows, 'the count').n;
    const lag = unpublished === 0 ? await readConsumerLag(admin, READ_MODEL_GROUP_ID, CONSUMED_TOPICS, 5_000) : [];
    if (unpublished === 0 && lag.every((p) => p.lag === 0n)) return;
    if (Date.now() > deadline) throw new Error(`not drained after ${settings.drainTimeoutS} s`);
    await sleep(100);
  }
}

async function readModelCommits(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = 'readmodel'`);
  return Number(firstOf(rows, 'the readmodel database').n);
}

/** projection_latency_seconds buckets summed over topics: upper bound -> cumulative count. */
async function projectionBuckets(): Promise<Map<number, number>> {
  const text = (await request(config.READ_MODEL_PORT, 'GET', '/metrics')).body;
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    const match = /^projection_latency_seconds_bucket\{.*le="([^"]+)".*\} (\d+)/.exec(line);
    const bound = match?.[1] === '+Inf' ? Infinity : Number(match?.[1]);
    if (match) buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]));
  }
  return buckets;
}

/** The bucket bound at or under which fraction `q` of the observations between two readings fell. */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const bound of bounds) if ((after.get(bound) ?? 0) - (before.get(bound) ?? 0) >= q * total) return bound;
  return Number.NaN;
}

async function outboxAgesMs(fromId: string): Promise<number[]> {
  const { rows } = await writers.query<{ ms: number }>(
    'SELECT (EXTRACT(EPOCH FROM published_at - created_at) * 1000)::float8 AS ms FROM outbox WHERE id > $1',
    [fromId],
  );
  return rows.map((r) => r.ms);
}

async function main(): Promise<void> {
  await prepareSchema();
  const env = { ...process.env, BENCH_OUTBOX_SCHEMA: SCHEMA, BENCH_RELAY_PORT: String(settings.relayPort) };
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  await services.start('relay', 'bench/outbox/relay-process.ts', settings.relayPort, { ...env, OTEL_SERVICE_NAME: 'ledger' }, { nodeArgs });
  await services.start('read-model', 'services/read-model/main.ts', config.READ_MODEL_PORT, { ...env, ...benchCredentials('read-model'), OTEL_SERVICE_NAME: 'read-model' }, { nodeArgs });
  const kafka = createKafka(config, 'outbox-bench');
  const admin = kafka.admin();
  await admin.connect();
  const db = new Client({ connectionString: ledgerUrl });
  await db.connect();
  try {
    console.log(`warm-up: ${settings.warmupS} s at ${settings.rate} transfers/s`);
    await load(settings.warmupS);
    await waitDrained(admin);
    await sleep(1_000);

    const groupOf = defaultGroupOf(services, infraPortsOf(config));
    const pids = [services.pidOf('relay'), services.pidOf('read-model')];
    const { rows: [lastBefore] } = await writers.query<{ id: string }>('SELECT COALESCE(max(id), 0)::text AS id FROM outbox');
    const [commitsBefore, bucketsBefore] = [await readModelCommits(db), await projectionBuckets()];
    const before: CpuSnapshot | null = await cpuSnapshotOf(db, pids, groupOf);
    const startMs = performance.now();
    console.log(`load: ${settings.durationS} s at ${settings.rate} transfers/s`);
    const { transfers, failures } = await load(settings.durationS);
    const loadS = (performance.now() - startMs) / 1000;
    await waitDrained(admin);
    const after = await cpuSnapshotOf(db, pids, groupOf);
    const spanS = (performance.now() - startMs) / 1000;
    const [commitsAfter, bucketsAfter] = [await readModelCommits(db), await projectionBuckets()];
    const ages = percentiles(await outboxAgesMs(required(lastBefore, 'the last outbox id').id));
    const events = transfers * EVENTS_PER_TRANSFER;

    const cpu = cpuBetween(before, after, GROUPS);
    const msPer = (cores: number, per: number) => fixed((cores * spanS * 1000) / per, 3);
    console.log(`\n${uptimeLine()}`);
    console.log(`${transfers} transfers (${events} events) in ${fixed(loadS, 1)} s, ${failures} failed writes; measured until drained: ${fixed(spanS, 1)} s\n`);
    if (cpu) {
      const rowsOut = (['relay', 'read-model', 'postgres', 'kafka'] as const).map((g) => [g, fixed(cpu[g], 3), msPer(cpu[g], events), msPer(cpu[g], transfers)]);
      console.log(table(['process', 'cores', 'CPU ms/event', 'CPU ms/transfer'], rowsOut));
    }
    console.log(`\noutbox age at publication (ms): p50 ${fixed(ages.p50, 1)}, p95 ${fixed(ages.p95, 1)}, p99 ${fixed(ages.p99, 1)}, max ${fixed(ages.max, 1)}`);
    console.log(
      `projection latency (bucket bound, ms): p50 <= ${fixed(bucketQuantile(bucketsBefore, bucketsAfter, 0.5) * 1000, 0)}, ` +
        `p99 <= ${fixed(bucketQuantile(bucketsBefore, bucketsAfter, 0.99) * 1000, 0)}`,
    );
    console.log(`readmodel transactions committed: ${commitsAfter - commitsBefore} (${fixed((commitsAfter - commitsBefore) / events, 2)} per event)`);
  } finally {
    await admin.disconnect();
    await db.end();
    await services.stopAll();
    await writers.end();
  }
}

main().catch((error) => {
  console.error(error);
  void services.stopAll().finally(() => process.exit(1));
});
