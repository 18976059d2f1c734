/**
 * End-to-end transfer benchmark: a script, not a test.
 *
 *   npx tsx bench/transfers-e2e.ts
 *
 * It starts its own accounts, ledger, worker and gateway processes (no read
 * model) on ports of their own, with TEMPORAL_TASK_QUEUE=bench-<pid> so only
 * its worker runs its workflows, RECONCILIATION_CRON=off so its worker leaves
 * the stack's reconciliation Schedule alone, LOG_LEVEL=warn, against the running
 * PostgreSQL, Kafka and Temporal dev server; and, unless BENCH_OTLP_ENDPOINT
 * names another collector, a trace collector of its own (bench/otlp-sink.ts:
 * parses and counts the spans, keeps none, so the stack's trace file does not
 * grow by a hundred thousand spans). Through the gateway's public API it opens
 * an unlimited funding account and BENCH_ACCOUNTS accounts, each funded just
 * under the approval threshold (POST /v1/transfers?wait=true). Then, with
 * tracing on (the default) and again after restarting every process with
 * OTEL_SDK_DISABLED=true:
 *
 *   a) saturation: BENCH_CLIENTS clients POST /v1/transfers (no wait) back to
 *      back for a warm-up and BENCH_DURATION_S, between random accounts, 1 to
 *      100 minor units (under the approval threshold). The saga runs behind
 *      the POST, so a backlog of pending transfers builds; the clients hold
 *      back while it is larger than the completion rate seen so far can drain
 *      in half of BENCH_DRAIN_TIMEOUT_S (at least 2 x clients, at most
 *      BENCH_MAX_BACKLOG), which keeps the saga side saturated and the drain
 *      bounded. Then it waits until every accepted transfer is terminal in the
 *      `transfers` table. Transfers/s = terminal transfers / (last terminal
 *      updated_at - first created_at), from the database.
 *   b) open loop: a POST /v1/transfers?wait=true every 1000/BENCH_RATE ms,
 *      never waiting for the previous one; client latency POST -> `posted`,
 *      the server's own figure (updated_at - created_at of each posted
 *      transfer), and the sends that left later than one interval. If the
 *      backlog outgrows what (a)'s rate drains in half the drain timeout, the
 *      sending stops there (the rate is beyond the system; reported as
 *      "overloaded after"). Then the same at BENCH_SUSTAINED_PCT percent of
 *      (a)'s rate, for 50 measured transfers at least (120 s at most): the
 *      latency of a system that keeps up.
 *   c) tracing overhead: (a) traced and untraced in the same run; the two
 *      transfers/s, their ratio, CPU per transfer and spans per transfer.
 *
 * Between scenarios it waits until no transfer is pending and no workflow of
 * its task queue runs (Temporal's visibility), so none inherits work.
 *
 * Where the time goes: the worker's Temporal SDK metrics (task queue waits,
 * workflow task and activity execution, the server's answer to each
 * completion) and the dev server's own (its persistence and visibility
 * writes; found on the server's listening ports, or BENCH_TEMPORAL_METRICS_PORT)
 * are scraped before and after every scenario; the dev server's include any
 * other traffic it serves meanwhile. CPU per process group is read from
 * /proc and divided by the transfers made (CPU ms per transfer holds up
 * better than transfers/s on a shared machine).
 *
 * Its accounts and ledger share the stack's databases, so their outbox relays
 * publish some of the stack's own rows meanwhile (with producer spans sent to
 * the bench's collector). To keep a running stack's traces whole, give the
 * bench a stack of its own, as the drills do: the same DATA_DIR and port
 * variables as deploy/stack (e.g. DATA_DIR=/tmp/bench-data PGPORT=25433
 * KAFKA_PORT=29092 ...), `deploy/stack up --infra`, then this script.
 *
 * Everything is bounded: run time, backlog, drain wait, request deadlines.
 * Knobs (environment): BENCH_CLIENTS (32), BENCH_DURATION_S (20),
 * BENCH_WARMUP_S (3), BENCH_RATE (50), BENCH_SUSTAINED_PCT (50; 0 skips),
 * BENCH_ACCOUNTS (40), BENCH_MAX_BACKLOG (1500), BENCH_DRAIN_TIMEOUT_S (120),
 * BENCH_OPEN_LOOP (1; 0 skips b), BENCH_UNTRACED (1; 0 skips the untraced
 * phase); ports BENCH_ACCOUNTS_PORT (17101), BENCH_LEDGER_PORT (17102),
 * BENCH_GATEWAY_PORT (14000), BENCH_WORKER_METRICS_PORT (19465),
 * BENCH_WORKER_TEMPORAL_METRICS_PORT (19464), BENCH_OTLP_SINK_PORT (14318);
 * BENCH_OTLP_ENDPOINT sends the spans elsewhere (e.g. the stack's sink,
 * http://127.0.0.1:4318) instead of starting the bench's own collector.
 * Figures go to stdout as tables and to bench/results/transfers-e2e.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client } from 'pg';
import { databaseUrl, loadConfig, type Config } from '../lib/config';
import { RECONCILIATION_SCHEDULE_ID } from '../workflows/reconciliation-definitions';
import {
  agent,
  cpuBetween,
  cpuSnapshotOf,
  defaultGroupOf,
  describeFailure,
  failureOf,
  fixed,
  infraPortsOf,
  intFromEnv,
  listenerPid,
  percentiles,
  request,
  ROOT_DIR,
  ServiceGroup,
  stopOnSignals,
  table,
  tcpPortsOf,
  uptimeLine,
  type CpuSnapshot,
  type CpuUse,
  type Percentiles,
} from './support';

const RESULTS_FILE = path.join(ROOT_DIR, 'bench', 'results', 'transfers-e2e.json');
const CURRENCY = 'USD';
const AMOUNT_MINOR_MAX = 100;
/** The worker bundles the workflows with webpack before it answers /healthz; on a busy machine that takes a while. */
const WORKER_HEALTH_TIMEOUT_MS = 180_000;
const POLL_MS = 250;
/** Above the gateway's own ?wait=true limit (10 s), so the gateway, not the client, ends a long wait. */
const WAIT_REQUEST_TIMEOUT_MS = 15_000;
/** A POST without ?wait waits for the workflow start; a slow Temporal is measured, not cut short. */
const POST_TIMEOUT_MS = 30_000;
const SETTLE_MS = 2_000;
/** The open loop at the sustained rate runs long enough for this many measured transfers (at most 120 s). */
const SUSTAINED_SAMPLES_MIN = 50;

const settings = {
  clients: intFromEnv('BENCH_CLIENTS', 32, 1, 256),
  durationS: intFromEnv('BENCH_DURATION_S', 20, 1, 600),
  warmupS: intFromEnv('BENCH_WARMUP_S', 3, 0, 60),
  ratePerS: intFromEnv('BENCH_RATE', 50, 1, 1000),
  sustainedPct: intFromEnv('BENCH_SUSTAINED_PCT', 50, 0, 100),
  accountCount: intFromEnv('BENCH_ACCOUNTS', 40, 2, 1000),
  maxBacklog: intFromEnv('BENCH_MAX_BACKLOG', 1500, 1, 100_000),
  drainTimeoutS: intFromEnv('BENCH_DRAIN_TIMEOUT_S', 120, 10, 1800),
  openLoop: intFromEnv('BENCH_OPEN_LOOP', 1, 0, 1) === 1,
  untraced: intFromEnv('BENCH_UNTRACED', 1, 0, 1) === 1,
  ports: {
    accounts: intFromEnv('BENCH_ACCOUNTS_PORT', 17101, 1, 65535),
    ledger: intFromEnv('BENCH_LEDGER_PORT', 17102, 1, 65535),
    gateway: intFromEnv('BENCH_GATEWAY_PORT', 14000, 1, 65535),
    workerMetrics: intFromEnv('BENCH_WORKER_METRICS_PORT', 19465, 1, 65535),
    workerTemporalMetrics: intFromEnv('BENCH_WORKER_TEMPORAL_METRICS_PORT', 19464, 1, 65535),
    /** Nothing listens there: the bench runs no read model, and the gateway's transfer routes do not need one. */
    readModel: intFromEnv('BENCH_READ_MODEL_PORT', 17104, 1, 65535),
    otlpSink: intFromEnv('BENCH_OTLP_SINK_PORT', 14318, 1, 65535),
    temporalMetrics: intFromEnv('BENCH_TEMPORAL_METRICS_PORT', 0, 0, 65535),
  },
  taskQueue: `bench-${process.pid}`,
  otlpEndpoint: process.env.BENCH_OTLP_ENDPOINT || null,
};

// ------------------------------------------------------------------ processes

const services = new ServiceGroup('transfers-e2e');
/** Set on SIGINT/SIGTERM: the load and the waits stop, the services are stopped, the script exits. */
let stopping = false;
stopOnSignals(services, () => {
  stopping = true;
});

/** The groups CPU is counted for; `sink` is the bench's own trace collector. */
const PROCESS_GROUPS = ['gateway', 'worker', 'accounts', 'ledger', 'temporal', 'kafka', 'sink', 'bench'] as const;
type ProcessGroup = (typeof PROCESS_GROUPS)[number];
/** What one transfer costs: the four application processes, their PostgreSQL backends, and the Temporal dev server. */
const APP_GROUPS = ['gateway', 'worker', 'accounts', 'ledger', 'postgres', 'temporal'] as const;
type AppGroup = (typeof APP_GROUPS)[number];
type Cpu = CpuUse<ProcessGroup>;

async function startStack(tracing: boolean): Promise<void> {
  const { ports } = settings;
  const otlpEndpoint = settings.otlpEndpoint ?? `http://127.0.0.1:${ports.otlpSink}`;
  const env = (serviceName: string): NodeJS.ProcessEnv => ({
    ...process.env,
    ACCOUNTS_PORT: String(ports.accounts),
    LEDGER_PORT: String(ports.ledger),
    GATEWAY_PORT: String(ports.gateway),
    READ_MODEL_PORT: String(ports.readModel),
    WORKER_METRICS_PORT: String(ports.workerMetrics),
    WORKER_TEMPORAL_METRICS_PORT: String(ports.workerTemporalMetrics),
    TEMPORAL_TASK_QUEUE: settings.taskQueue,
    // The reconciliation Schedule belongs to the stack's worker: this one must not point it at its own queue.
    RECONCILIATION_CRON: 'off',
    LOG_LEVEL: 'warn',
    API_KEYS: '',
    OTEL_SDK_DISABLED: tracing ? 'false' : 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_SERVICE_NAME: serviceName,
  });
  console.log(
    `starting accounts :${ports.accounts}, ledger :${ports.ledger}, worker :${ports.workerMetrics} (task queue ${settings.taskQueue}), ` +
      `gateway :${ports.gateway}; tracing ${tracing ? `on, to ${otlpEndpoint}` : 'off (OTEL_SDK_DISABLED=true)'}`,
  );
  if (!settings.otlpEndpoint) {
    await services.start('sink', 'bench/otlp-sink.ts', ports.otlpSink, { ...process.env, BENCH_OTLP_SINK_PORT: String(ports.otlpSink) });
  }
  await services.start('accounts', 'services/accounts/main.ts', ports.accounts, env('accounts'));
  await services.start('ledger', 'services/ledger/main.ts', ports.ledger, env('ledger'));
  await services.start('worker', 'workers/main.ts', ports.workerMetrics, env('worker'), { healthTimeoutMs: WORKER_HEALTH_TIMEOUT_MS });
  await services.start('gateway', 'api/main.ts', ports.gateway, env('gateway'));
}

/** The task queue the reconciliation Schedule starts its workflow on; null when there is no Schedule (or no answer). */
async function scheduleTaskQueue(temporal: TemporalClient): Promise<string | null> {
  try {
    return (await temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).describe()).action.taskQueue;
  } catch {
    return null;
  }
}

/**
 * After the bench's worker started: the Schedule must still point where it
 * did. Should a worker have moved it to the bench's queue (RECONCILIATION_CRON
 * not honoured), it is put back, and the run says so.
 */
async function checkSchedule(temporal: TemporalClient, before: string | null): Promise<void> {
  const now = await scheduleTaskQueue(temporal);
  if (before === null || now !== settings.taskQueue || before === settings.taskQueue) return;
  await temporal.schedule.getHandle(RECONCILIATION_SCHEDULE_ID).update((previous) => ({ ...previous, action: { ...previous.action, taskQueue: before } }));
  console.warn(`  WARNING: the bench's worker moved the reconciliation Schedule to ${now}; put back on ${before}`);
}

// ------------------------------------------------------------------ the public API

interface TransferResource {
  id: string;
  status: string;
}

interface Book {
  fundingId: string;
  ids: string[];
}

async function createAccount(code: string, creditLimit?: string): Promise<string> {
  const answer = await request(settings.ports.gateway, 'POST', '/v1/accounts', { code, name: `benchmark ${code}`, currency: CURRENCY, creditLimit });
  if (answer.status !== 201) throw failureOf(answer);
  return (JSON.parse(answer.body) as { id: string }).id;
}

/** POST /v1/transfers; the transfer as the gateway answered it (201), or throws. */
async function postTransfer(fromAccountId: string, toAccountId: string, amountMinor: bigint, key: string, wait: boolean): Promise<TransferResource> {
  const body = { fromAccountId, toAccountId, amount: amountMinor.toString(), currency: CURRENCY, description: 'benchmark' };
  const answer = await request(settings.ports.gateway, 'POST', `/v1/transfers${wait ? '?wait=true' : ''}`, body, {
    headers: { 'Idempotency-Key': key },
    timeoutMs: wait ? WAIT_REQUEST_TIMEOUT_MS : POST_TIMEOUT_MS,
  });
  if (answer.status !== 201) throw failureOf(answer);
  return JSON.parse(answer.body) as TransferResource;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** The funding account and the accounts, each funded with one transfer just under the approval threshold. */
async function openBook(h: Harness): Promise<Book> {
  const fundingMinor = h.config.approvalThresholdMinor - 1n;
  if (fundingMinor < 10_000n) throw new Error(`APPROVAL_THRESHOLD_MINOR ${h.config.approvalThresholdMinor} leaves no room to fund the accounts`);
  const fundingId = await createAccount(`bench-e2e-${h.runId}-funding`, 'unlimited');
  const ids = await inParallel(Array.from({ length: settings.accountCount }, (_, i) => i), 8, (i) => createAccount(`bench-e2e-${h.runId}-${i}`));
  const funding = await inParallel(ids, 8, (id, i) => postTransfer(fundingId, id, fundingMinor, `bench-e2e-${h.runId}-fund-${i}`, true));
  const drained = await waitTerminal(h.watch, funding.map((t) => t.id), settings.drainTimeoutS);
  const notPosted = drained.rows.filter((r) => r.status !== 'posted');
  if (notPosted.length > 0 || drained.rows.length !== ids.length) {
    throw new Error(`funding: ${notPosted.length} of ${ids.length} transfers not posted: ${JSON.stringify(notPosted.slice(0, 3))}`);
  }
  return { fundingId, ids };
}

function randomIndex(length: number): number {
  return Math.floor(Math.random() * length);
}

/** A random ordered pair of distinct accounts and an amount of 1..100 minor units. */
function randomTransfer(book: Book): [string, string, bigint] {
  const from = randomIndex(book.ids.length);
  const to = (from + 1 + randomIndex(book.ids.length - 1)) % book.ids.length;
  return [book.ids[from], book.ids[to], BigInt(1 + randomIndex(AMOUNT_MINOR_MAX))];
}

// ------------------------------------------------------------------ the transfers table

interface TransferRow {
  id: string;
  status: string;
  failure_code: string | null;
  /** Epoch milliseconds, microseconds as decimals. */
  created_ms: number;
  updated_ms: number;
}

async function transferRows(db: Client, ids: string[]): Promise<TransferRow[]> {
  const { rows } = await db.query<TransferRow>(
    `SELECT id, status, failure_code,
            extract(epoch FROM created_at)::float8 * 1000 AS created_ms,
            extract(epoch FROM updated_at)::float8 * 1000 AS updated_ms
       FROM transfers WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

async function terminalCount(db: Client, ids: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [ids]);
  return rows[0].n;
}

/**
 * Transfers from the book's accounts created since `sinceMs` (epoch ms) that
 * are still pending: the saga backlog. Cheap: the status index holds few
 * pending rows.
 */
async function pendingCount(db: Client, book: Book, sinceMs: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM transfers
      WHERE status = 'pending' AND created_at >= to_timestamp($1::float8 / 1000) AND from_account_id = ANY($2::uuid[])`,
    [sinceMs, book.ids],
  );
  return rows[0].n;
}

/** Waits until every transfer of `ids` has left `pending`, or the timeout; the rows as they then stand. */
async function waitTerminal(db: Client, ids: string[], timeoutS: number): Promise<{ rows: TransferRow[]; waitS: number; complete: boolean }> {
  const startMs = performance.now();
  let complete = ids.length === 0;
  while (!complete && !stopping && performance.now() - startMs < timeoutS * 1000) {
    complete = (await terminalCount(db, ids)) === ids.length;
    if (!complete) await sleep(POLL_MS);
  }
  return { rows: await transferRows(db, ids), waitS: (performance.now() - startMs) / 1000, complete };
}

/**
 * Workflows still running on the bench's task queue (Temporal's visibility,
 * a moment behind). A transfer is terminal in the table one workflow task
 * before its workflow completes; null when the count cannot be had.
 */
async function runningWorkflows(h: Harness): Promise<number | null> {
  try {
    return (await h.temporal.workflow.count(`TaskQueue="${settings.taskQueue}" AND ExecutionStatus="Running"`)).count;
  } catch {
    return null;
  }
}

/**
 * Between scenarios, so that none starts with the previous one's work: no
 * transfer of the book pending and no workflow of the task queue running
 * (bounded by the drain timeout), then a short pause.
 */
async function settle(h: Harness): Promise<{ pending: number; running: number | null }> {
  const deadlineMs = performance.now() + settings.drainTimeoutS * 1000;
  let pending = await pendingCount(h.watch, h.book, 0);
  let running = await runningWorkflows(h);
  while ((pending > 0 || (running ?? 0) > 0) && !stopping && performance.now() < deadlineMs) {
    await sleep(POLL_MS);
    pending = await pendingCount(h.watch, h.book, 0);
    running = await runningWorkflows(h);
  }
  if (pending > 0 || (running ?? 0) > 0) console.warn(`  (still ${pending} transfers pending and ${running} workflows running: the next scenario shares the worker with them)`);
  await sleep(SETTLE_MS);
  return { pending, running };
}

/**
 * The backlog of the scenario started at `sinceMs` (epoch ms): its pending
 * transfers, polled every POLL_MS until stopped. Requests still in flight may
 * not have their row yet; the callers add them.
 */
class BacklogWatch {
  value = 0;
  max = 0;
  /** Transfers accepted since the last poll, which it may not count yet. */
  acceptedSincePoll = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(db: Client, book: Book, sinceMs: number) {
    this.loop = (async () => {
      while (this.running && !stopping) {
        const value = await pendingCount(db, book, sinceMs);
        this.value = value;
        this.acceptedSincePoll = 0;
        this.max = Math.max(this.max, value);
        await sleep(POLL_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

// ------------------------------------------------------------------ metrics: the worker's, the dev server's, the spans

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(port: number): Promise<PromSample[]> {
  if (port === 0) return [];
  try {
    const answer = await request(port, 'GET', '/metrics', undefined, { timeoutMs: 5_000 });
    return answer.status === 200 ? parsePrometheus(answer.body) : [];
  } catch {
    return [];
  }
}

function sumOf(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * The dev server's Prometheus endpoint: `temporal server start-dev` serves it
 * on a port of its choosing unless told; found by asking each port that the
 * dev server on the configured address listens on. 0 when there is none.
 */
async function findTemporalMetricsPort(config: Config): Promise<number> {
  if (settings.ports.temporalMetrics !== 0) return settings.ports.temporalMetrics;
  const frontendPort = infraPortsOf(config).temporal!;
  const pid = listenerPid('temporal', frontendPort);
  if (pid === undefined) return 0;
  for (const port of tcpPortsOf([pid], true).filter((p) => p !== frontendPort)) {
    try {
      const answer = await request(port, 'GET', '/metrics', undefined, { timeoutMs: 1_000 });
      if (answer.status === 200 && answer.body.includes('persistence_latency')) return port;
    } catch {
      // not this one
    }
  }
  return 0;
}

interface StepMetric {
  step: string;
  source: 'worker' | 'server';
  metric: string;
  labels?: Record<string, string>;
  /** Histograms in ms (the SDK's) or s (the server's); a counter has no mean. */
  unit: 'ms' | 's' | 'count';
}

const STEPS: StepMetric[] = [
  { source: 'worker', step: 'workflow task: schedule-to-start', metric: 'temporal_workflow_task_schedule_to_start_latency', unit: 'ms' },
  { source: 'worker', step: 'workflow task: execution in the worker', metric: 'temporal_workflow_task_execution_latency', unit: 'ms' },
  { source: 'worker', step: 'workflow task: RespondWorkflowTaskCompleted', metric: 'temporal_request_latency', labels: { operation: 'RespondWorkflowTaskCompleted' }, unit: 'ms' },
  { source: 'worker', step: 'activity: schedule-to-start', metric: 'temporal_activity_schedule_to_start_latency', unit: 'ms' },
  { source: 'worker', step: 'activity: validateAccounts', metric: 'temporal_activity_execution_latency', labels: { activity_type: 'validateAccounts' }, unit: 'ms' },
  { source: 'worker', step: 'activity: reserveHold', metric: 'temporal_activity_execution_latency', labels: { activity_type: 'reserveHold' }, unit: 'ms' },
  { source: 'worker', step: 'activity: captureHold', metric: 'temporal_activity_execution_latency', labels: { activity_type: 'captureHold' }, unit: 'ms' },
  { source: 'worker', step: 'activity: recordTransferStatus', metric: 'temporal_activity_execution_latency', labels: { activity_type: 'recordTransferStatus' }, unit: 'ms' },
  { source: 'worker', step: 'activity: RespondActivityTaskCompleted', metric: 'temporal_request_latency', labels: { operation: 'RespondActivityTaskCompleted' }, unit: 'ms' },
  { source: 'worker', step: 'workflow end-to-end', metric: 'temporal_workflow_endtoend_latency', labels: { workflow_type: 'transferWorkflow' }, unit: 'ms' },
  { source: 'server', step: 'server: StartWorkflowExecution', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'StartWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: RespondWorkflowTaskCompleted', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'RespondWorkflowTaskCompleted' }, unit: 's' },
  { source: 'server', step: 'server: RespondActivityTaskCompleted', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'RespondActivityTaskCompleted' }, unit: 's' },
  { source: 'server', step: 'server: workflow lock wait (mutable state cache)', metric: 'cache_latency', labels: { operation: 'HistoryCacheGetOrCreate' }, unit: 's' },
  { source: 'server', step: 'server: SQLite UpdateWorkflowExecution', metric: 'persistence_latency', labels: { operation: 'UpdateWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: SQLite CreateWorkflowExecution', metric: 'persistence_latency', labels: { operation: 'CreateWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: SQLite GetWorkflowExecution', metric: 'persistence_latency', labels: { operation: 'GetWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: SQLite visibility writes', metric: 'visibility_persistence_latency', unit: 's' },
  { source: 'server', step: 'server: persistence requests, all', metric: 'persistence_requests', unit: 'count' },
];

/** One step over an interval: how many per transfer, and their mean duration in ms. */
interface Step {
  step: string;
  perTransfer: number;
  meanMs: number;
}

function stepsBetween(before: Probe, after: Probe, transfers: number): Step[] {
  return STEPS.map(({ step, source, metric, labels, unit }) => {
    const [b, a] = source === 'worker' ? [before.worker, after.worker] : [before.server, after.server];
    const delta = (name: string) => sumOf(a, name, labels) - sumOf(b, name, labels);
    const count = unit === 'count' ? delta(metric) : delta(`${metric}_count`);
    const meanMs = unit === 'count' || count <= 0 ? Number.NaN : (delta(`${metric}_sum`) / count) * (unit === 's' ? 1000 : 1);
    return { step, perTransfer: transfers > 0 && a.length > 0 ? count / transfers : Number.NaN, meanMs };
  });
}

/** otel_spans_dropped_total of the four processes, summed. */
async function droppedSpans(): Promise<number> {
  const { ports } = settings;
  const scrapes = await Promise.all([ports.gateway, ports.accounts, ports.ledger, ports.workerMetrics].map(scrape));
  return scrapes.reduce((sum, samples) => sum + sumOf(samples, 'otel_spans_dropped_total'), 0);
}

interface SinkCounts {
  spans: number;
  byService: Record<string, number>;
}

async function sinkCounts(): Promise<SinkCounts | null> {
  if (settings.otlpEndpoint) return null;
  try {
    const answer = await request(settings.ports.otlpSink, 'GET', '/healthz', undefined, { timeoutMs: 5_000 });
    return JSON.parse(answer.body) as SinkCounts;
  } catch {
    return null;
  }
}

/** What is read before and after a scenario: CPU, both sets of Temporal metrics, spans received and dropped. */
interface Probe {
  cpu: CpuSnapshot | null;
  worker: PromSample[];
  server: PromSample[];
  sink: SinkCounts | null;
  dropped: number;
  atMs: number;
}

async function probe(h: Harness, full = true): Promise<Probe> {
  const [worker, server, sink, dropped] = full
    ? await Promise.all([scrape(settings.ports.workerTemporalMetrics), scrape(h.temporalMetricsPort), sinkCounts(), droppedSpans()])
    : [[], [], null, 0];
  const pids = [process.pid, ...services.services.map((s) => s.child.pid)];
  return { cpu: await cpuSnapshotOf(h.watch, pids, defaultGroupOf(services, infraPortsOf(h.config))), worker, server, sink, dropped, atMs: performance.now() };
}

type PerTransferCpu = Record<AppGroup, number> & { app: number };

interface Costs {
  cpuCores: Cpu | null;
  /** CPU milliseconds per transfer, per group, and their sum (`app`). */
  cpuMsPerTransfer: PerTransferCpu | null;
  steps: Step[];
  spansPerTransfer: number | null;
  spansPerTransferByService: Record<string, number> | null;
  droppedSpans: number;
}

function cpuPerTransfer(cores: Cpu, transfersPerS: number): PerTransferCpu {
  const perTransfer = Object.fromEntries(APP_GROUPS.map((g) => [g, (cores[g] * 1000) / transfersPerS])) as Record<AppGroup, number>;
  return { ...perTransfer, app: APP_GROUPS.reduce((sum, g) => sum + perTransfer[g], 0) };
}

function costsBetween(before: Probe, after: Probe, transfers: number): Costs {
  const cpuCores = cpuBetween(before.cpu, after.cpu, PROCESS_GROUPS);
  const seconds = (after.atMs - before.atMs) / 1000;
  let byService: Record<string, number> | null = null;
  if (before.sink && after.sink && transfers > 0) {
    byService = {};
    for (const [service, n] of Object.entries(after.sink.byService)) byService[service] = (n - (before.sink.byService[service] ?? 0)) / transfers;
  }
  return {
    cpuCores,
    cpuMsPerTransfer: cpuCores && transfers > 0 ? cpuPerTransfer(cpuCores, transfers / seconds) : null,
    steps: stepsBetween(before, after, transfers),
    spansPerTransfer: before.sink && after.sink && transfers > 0 ? (after.sink.spans - before.sink.spans) / transfers : null,
    spansPerTransferByService: byService,
    droppedSpans: after.dropped - before.dropped,
  };
}

// ------------------------------------------------------------------ scenarios

interface Harness {
  config: Config;
  watch: Client;
  temporal: TemporalClient;
  runId: string;
  book: Book;
  temporalMetricsPort: number;
}

interface Outcome {
  /** Transfers the gateway accepted (201) that the figures cover. */
  transfers: number;
  posted: number;
  failed: number;
  failureCodes: Record<string, number>;
  /** Still pending when the drain wait ended (0 unless it timed out). */
  pending: number;
  drainS: number;
  drainComplete: boolean;
}

function outcomeOf(rows: TransferRow[], drainS: number, drainComplete: boolean): Outcome {
  const failureCodes: Record<string, number> = {};
  for (const row of rows.filter((r) => r.status === 'failed')) failureCodes[row.failure_code ?? '?'] = (failureCodes[row.failure_code ?? '?'] ?? 0) + 1;
  return {
    transfers: rows.length,
    posted: rows.filter((r) => r.status === 'posted').length,
    failed: rows.filter((r) => r.status === 'failed').length,
    failureCodes,
    pending: rows.filter((r) => r.status === 'pending').length,
    drainS,
    drainComplete,
  };
}

function countFailure(failures: Record<string, number>, error: unknown): void {
  const kind = describeFailure(error);
  failures[kind] = (failures[kind] ?? 0) + 1;
}

interface SaturationResult extends Outcome, Costs {
  label: string;
  tracing: boolean;
  clients: number;
  durationS: number;
  /** POSTs answered 201 in the measured part, per second. */
  postsPerS: number;
  postLatencyMs: Percentiles;
  postFailures: Record<string, number>;
  /** Terminal transfers / (last terminal updated_at - first created_at). */
  transfersPerS: number;
  /** Transfers that became terminal during the measured part of the load, per second. */
  completedPerSDuringLoad: number;
  spanS: number;
  backlogMax: number;
  /** The backlog limit the clients ended with (it follows the completion rate). */
  backlogCap: number;
  /** Times a client paused (20 ms) because the backlog was at the limit. */
  heldBack: number;
  load1: number;
}

async function runSaturation(h: Harness, label: string, tracing: boolean): Promise<SaturationResult> {
  const { clients, warmupS, durationS } = settings;
  process.stdout.write(`  ${label}: ${clients} clients, ${warmupS}s warm-up + ${durationS}s, then drain ... `);
  const before = await probe(h);
  const startWallMs = Date.now();
  const startMs = performance.now();
  const warmupEndMs = startMs + warmupS * 1000;
  const endMs = warmupEndMs + durationS * 1000;
  const ids: string[] = [];
  const latenciesMs: number[] = [];
  const postFailures: Record<string, number> = {};
  let measuredOk = 0;
  let heldBack = 0;
  let inFlight = 0;
  let seq = 0;
  const backlog = new BacklogWatch(h.watch, h.book, startWallMs - 1000);
  /** What the completion rate so far drains in half the drain timeout; 2 x clients until it is known. */
  const backlogCap = () => {
    const elapsedS = (performance.now() - startMs) / 1000;
    const completed = ids.length - backlog.value;
    const rate = elapsedS >= 5 && completed >= 5 ? completed / elapsedS : 0;
    return Math.round(Math.min(settings.maxBacklog, Math.max(2 * clients, (rate * settings.drainTimeoutS) / 2)));
  };
  const client = async () => {
    while (performance.now() < endMs && !stopping) {
      if (backlog.value + backlog.acceptedSincePoll + inFlight >= backlogCap()) {
        heldBack++;
        await sleep(20);
        continue;
      }
      const sentMs = performance.now();
      inFlight++;
      try {
        const transfer = await postTransfer(...randomTransfer(h.book), `bench-e2e-${h.runId}-${label}-${seq++}`, false);
        ids.push(transfer.id);
        backlog.acceptedSincePoll++;
        if (sentMs >= warmupEndMs) {
          measuredOk++;
          latenciesMs.push(performance.now() - sentMs);
        }
      } catch (error) {
        if (sentMs >= warmupEndMs) countFailure(postFailures, error);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const loadEndWallMs = Date.now();
  const finalCap = backlogCap();
  await backlog.stop();

  const drained = await waitTerminal(h.watch, ids, settings.drainTimeoutS);
  const after = await probe(h);
  const terminal = drained.rows.filter((r) => r.status !== 'pending');
  const firstCreatedMs = drained.rows.reduce((min, r) => Math.min(min, r.created_ms), Infinity);
  const lastTerminalMs = terminal.reduce((max, r) => Math.max(max, r.updated_ms), -Infinity);
  const spanS = terminal.length > 0 ? (lastTerminalMs - firstCreatedMs) / 1000 : Number.NaN;
  const warmupEndWallMs = startWallMs + warmupS * 1000;
  const result: SaturationResult = {
    label,
    tracing,
    clients,
    durationS,
    postsPerS: measuredOk / durationS,
    postLatencyMs: percentiles(latenciesMs),
    postFailures,
    ...outcomeOf(drained.rows, drained.waitS, drained.complete),
    transfersPerS: terminal.length / spanS,
    completedPerSDuringLoad:
      terminal.filter((r) => r.updated_ms >= warmupEndWallMs && r.updated_ms < loadEndWallMs).length / ((loadEndWallMs - warmupEndWallMs) / 1000),
    spanS,
    backlogMax: backlog.max,
    backlogCap: finalCap,
    heldBack,
    ...costsBetween(before, after, terminal.length),
    load1: os.loadavg()[0],
  };
  console.log(`${fixed(result.transfersPerS, 1)} transfers/s (${ids.length} transfers, drain ${drained.complete ? `${fixed(drained.waitS, 1)} s` : 'timed out'})`);
  return result;
}

interface OpenLoopResult extends Outcome, Costs {
  label: string;
  tracing: boolean;
  ratePerS: number;
  durationS: number;
  /** Measured sends (after the warm-up), and their pace. */
  sent: number;
  sentPerS: number;
  /** Every send, warm-up included; how many of them the gateway answered still pending (its 10 s wait ran out). */
  sentTotal: number;
  notSettledTotal: number;
  /** Seconds after the first send at which the backlog passed `backlogLimit` and sending stopped; null if it never did. */
  overloadedAfterS: number | null;
  backlogLimit: number;
  backlogMax: number;
  /** Sends that left more than one interval after their slot. */
  lateSends: number;
  sendLagMs: Percentiles;
  /** POST ?wait=true answered 201 with `posted`: from the send to the answer. */
  clientLatencyMs: Percentiles;
  /** updated_at - created_at of the same transfers, in the database. */
  serverLatencyMs: Percentiles;
  /** Client minus server figure per transfer: HTTP, validation, the workflow start, the 25 ms wait polling. */
  gatewayOverheadMs: Percentiles;
  /** Answered 201 but still pending: the gateway's 10 s wait ended first. */
  notSettledInWait: number;
  postFailures: Record<string, number>;
  load1: number;
}

async function runOpenLoop(h: Harness, label: string, tracing: boolean, ratePerS: number, backlogLimit: number, durationS: number): Promise<OpenLoopResult> {
  const { warmupS } = settings;
  const intervalMs = 1000 / ratePerS;
  const warmupCount = Math.round(warmupS * ratePerS);
  const total = warmupCount + Math.round(durationS * ratePerS);
  process.stdout.write(`  ${label}: ${fixed(ratePerS, 2)}/s open loop, ${warmupS}s warm-up + ${durationS}s, then drain ... `);
  const before = await probe(h);
  const startWallMs = Date.now();
  const backlog = new BacklogWatch(h.watch, h.book, startWallMs - 1000);
  const clientMs = new Map<string, number>();
  /** Every accepted transfer, warm-up included (the drain waits for all), and the measured ones. */
  const allIds: string[] = [];
  const ids: string[] = [];
  const lagsMs: number[] = [];
  const postFailures: Record<string, number> = {};
  let lateSends = 0;
  let notSettledInWait = 0;
  let notSettledTotal = 0;
  let overloadedAfterS: number | null = null;
  const inFlight: Promise<void>[] = [];
  let measuredStart: Promise<Probe> | null = null;

  let answered = 0;
  const send = async (i: number) => {
    const sentMs = performance.now();
    const measured = i >= warmupCount;
    try {
      const transfer = await postTransfer(...randomTransfer(h.book), `bench-e2e-${h.runId}-${label}-${i}`, true);
      allIds.push(transfer.id);
      if (transfer.status === 'pending') notSettledTotal++;
      if (!measured) return;
      ids.push(transfer.id);
      if (transfer.status === 'posted') clientMs.set(transfer.id, performance.now() - sentMs);
      else if (transfer.status === 'pending') notSettledInWait++;
    } catch (error) {
      if (measured) countFailure(postFailures, error);
    } finally {
      answered++;
    }
  };
  const startMs = performance.now();
  let measuredFromMs = Number.NaN;
  let sendsEndMs = startMs;
  let sent = 0;
  for (let i = 0; i < total && !stopping; i++) {
    const slotMs = startMs + i * intervalMs;
    const waitMs = slotMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    // Outstanding: the requests in flight (pending rows, or about to be) and the answered ones still pending.
    if (inFlight.length - answered + Math.min(notSettledTotal, backlog.value) >= backlogLimit) {
      overloadedAfterS = (performance.now() - startMs) / 1000;
      break;
    }
    if (i === warmupCount) {
      measuredFromMs = performance.now();
      measuredStart = probe(h, false); // not awaited: the next sends keep their slots
    }
    const lagMs = performance.now() - slotMs;
    if (i >= warmupCount) {
      sent++;
      lagsMs.push(lagMs);
      if (lagMs > intervalMs) lateSends++;
    }
    inFlight.push(send(i));
    sendsEndMs = performance.now();
  }
  const measuredEnd = await probe(h, false);
  const started = await measuredStart;
  await Promise.all(inFlight);
  await backlog.stop();
  const everything = await waitTerminal(h.watch, allIds, settings.drainTimeoutS);
  const after = await probe(h);

  const measuredIds = new Set(ids);
  const rows = everything.rows.filter((r) => measuredIds.has(r.id));
  const serverMs = new Map(rows.filter((r) => r.status === 'posted').map((r) => [r.id, r.updated_ms - r.created_ms]));
  const both = [...clientMs.keys()].filter((id) => serverMs.has(id));
  const costs = costsBetween(before, after, everything.rows.filter((r) => r.status !== 'pending').length);
  // CPU over the measured sends only (the system at this rate, not the drain), per transfer sent.
  const sentPerS = sent > 0 ? sent / ((sendsEndMs - measuredFromMs) / 1000) : 0;
  const cores = started ? cpuBetween(started.cpu, measuredEnd.cpu, PROCESS_GROUPS) : null;
  if (cores && sent > 0 && overloadedAfterS === null) {
    costs.cpuCores = cores;
    costs.cpuMsPerTransfer = cpuPerTransfer(cores, sentPerS);
  }
  const result: OpenLoopResult = {
    label,
    tracing,
    ratePerS,
    durationS,
    sent,
    sentPerS,
    sentTotal: inFlight.length,
    notSettledTotal,
    overloadedAfterS,
    backlogLimit,
    backlogMax: backlog.max,
    lateSends,
    sendLagMs: percentiles(lagsMs),
    clientLatencyMs: percentiles(both.map((id) => clientMs.get(id)!)),
    serverLatencyMs: percentiles(both.map((id) => serverMs.get(id)!)),
    gatewayOverheadMs: percentiles(both.map((id) => clientMs.get(id)! - serverMs.get(id)!)),
    notSettledInWait,
    postFailures,
    ...outcomeOf(rows, everything.waitS, everything.complete),
    ...costs,
    load1: os.loadavg()[0],
  };
  const overload = overloadedAfterS === null ? '' : `, overloaded after ${fixed(overloadedAfterS, 1)} s (backlog ${backlogLimit})`;
  console.log(`client p50/p95/p99 ${ms3(result.clientLatencyMs)} ms, ${lateSends} late sends${overload}`);
  return result;
}

// ------------------------------------------------------------------ report

const ms3 = (p: Percentiles) => `${fixed(p.p50, 0)} / ${fixed(p.p95, 0)} / ${fixed(p.p99, 0)}`;
const share = (part: number, whole: number) => (whole > 0 ? `${fixed((100 * part) / whole, 1)}%` : '-');
const onOff = (tracing: boolean) => (tracing ? 'on' : 'off');

function saturationTable(results: SaturationResult[]): string {
  return table(
    ['saturation', 'tracing', 'clients', 'POST/s', 'POST p50/p95/p99 ms', 'POST err', 'transfers', 'posted', 'failed', 'transfers/s', 'during load /s', 'span s', 'backlog max/cap', 'drain s'],
    results.map((r) => [
      r.label,
      onOff(r.tracing),
      String(r.clients),
      fixed(r.postsPerS, 1),
      ms3(r.postLatencyMs),
      String(Object.values(r.postFailures).reduce((a, b) => a + b, 0)),
      String(r.transfers),
      share(r.posted, r.transfers),
      share(r.failed, r.transfers),
      fixed(r.transfersPerS, 2),
      fixed(r.completedPerSDuringLoad, 2),
      fixed(r.spanS, 1),
      `${r.backlogMax} / ${r.backlogCap}`,
      r.drainComplete ? fixed(r.drainS, 1) : `>${settings.drainTimeoutS}`,
    ]),
  );
}

function openLoopTable(results: OpenLoopResult[]): string {
  return table(
    ['open loop', 'tracing', 'target/s', 'sent/s', 'sent (all)', 'overloaded after s', 'late', 'posted', 'failed', 'not settled (all)', 'client p50/p95/p99 ms', 'server p50/p95/p99 ms', 'client-server p50/p95', 'drain s'],
    results.map((r) => [
      r.label,
      onOff(r.tracing),
      fixed(r.ratePerS, 2),
      fixed(r.sentPerS, 2),
      `${r.sent} (${r.sentTotal})`,
      r.overloadedAfterS === null ? '-' : `${fixed(r.overloadedAfterS, 1)} (backlog ${r.backlogLimit})`,
      String(r.lateSends),
      String(r.posted),
      String(r.failed),
      `${r.notSettledInWait} (${r.notSettledTotal})`,
      ms3(r.clientLatencyMs),
      ms3(r.serverLatencyMs),
      `${fixed(r.gatewayOverheadMs.p50, 0)} / ${fixed(r.gatewayOverheadMs.p95, 0)}`,
      r.drainComplete ? fixed(r.drainS, 1) : `>${settings.drainTimeoutS}`,
    ]),
  );
}

function tracingTable(on: SaturationResult, off: SaturationResult): string {
  const row = (r: SaturationResult) => [
    onOff(r.tracing),
    fixed(r.transfersPerS, 2),
    fixed(r.completedPerSDuringLoad, 2),
    fixed(r.postsPerS, 1),
    fixed(r.postLatencyMs.p50, 0),
    fixed(r.cpuMsPerTransfer?.app ?? Number.NaN, 1),
    fixed(r.cpuMsPerTransfer?.worker ?? Number.NaN, 1),
    fixed(r.spansPerTransfer ?? Number.NaN, 1),
    String(r.droppedSpans),
  ];
  return table(
    ['tracing', 'transfers/s', 'during load /s', 'POST/s', 'POST p50 ms', 'app CPU ms/transfer', 'worker CPU ms/transfer', 'spans/transfer', 'dropped spans'],
    [row(on), row(off)],
  );
}

type Scenario = SaturationResult | OpenLoopResult;

function cpuTable(results: Scenario[]): string {
  const groups = [...PROCESS_GROUPS, 'postgres', 'pg other', 'other'] as const;
  const rows = results.filter((r) => r.cpuCores).map((r) => [r.label, fixed(r.cpuCores!.machine, 2), ...groups.map((g) => fixed(r.cpuCores![g], 2))]);
  return table(['CPU, cores busy', 'machine', ...groups], rows);
}

function costTable(results: Scenario[]): string {
  const rows = results.filter((r) => r.cpuMsPerTransfer).map((r) => [r.label, ...APP_GROUPS.map((g) => fixed(r.cpuMsPerTransfer![g], 1)), fixed(r.cpuMsPerTransfer!.app, 1)]);
  return table(['CPU ms per transfer', ...APP_GROUPS, 'sum'], rows);
}

function stepsTable(results: Scenario[]): string {
  const rows = STEPS.map((s, i) => [
    s.step,
    ...results.map((r) => (s.unit === 'count' ? fixed(r.steps[i].perTransfer, 1) : `${fixed(r.steps[i].perTransfer, 1)} x ${fixed(r.steps[i].meanMs, 1)}`)),
  ]);
  return table(['per transfer x mean ms', ...results.map((r) => r.label)], rows);
}

function report(host: Record<string, unknown>, saturation: SaturationResult[], openLoop: OpenLoopResult[]): void {
  const all: Scenario[] = [...saturation, ...openLoop];
  console.log(`\ntransfers end to end, ${host.startedAt}; nproc ${host.nproc}; node ${process.version}; task queue ${settings.taskQueue}; PG_POOL_MAX ${host.pgPoolMax}`);
  console.log(`uptime before: ${host.uptimeBefore}`);
  console.log(`uptime after:  ${host.uptimeAfter}\n`);
  console.log(saturationTable(saturation));
  for (const r of all.filter((x) => x.failed > 0)) console.log(`  failed in "${r.label}": ${JSON.stringify(r.failureCodes)}`);
  for (const r of all.filter((x) => Object.keys(x.postFailures).length > 0)) console.log(`  POST errors in "${r.label}": ${JSON.stringify(r.postFailures)}`);
  console.log('(POST/s and POST latency: the measured part, without ?wait. transfers/s = terminal transfers / (last terminal updated_at -');
  console.log(' first created_at), warm-up and drain included; during load /s = transfers that became terminal during the measured part.');
  console.log(' backlog: most transfers pending at once / the limit the clients held back at, from the completion rate.)\n');
  if (openLoop.length > 0) {
    console.log(openLoopTable(openLoop));
    console.log('(client = POST ?wait=true sent -> answered `posted`; server = updated_at - created_at of the same transfers; late = sends');
    console.log(' more than one interval behind their slot; not settled = answered still pending, the gateway\'s 10 s wait ran out;');
    console.log(' (all) = warm-up included; posted, failed and the latencies are of the measured sends.');
    console.log(' overloaded = sending stopped when the backlog passed what (a)\'s rate drains in half the drain timeout.)\n');
  }
  const on = saturation.find((r) => r.tracing);
  const off = saturation.find((r) => !r.tracing);
  if (on && off) {
    console.log(tracingTable(on, off));
    const cpuRatio = (on.cpuMsPerTransfer?.app ?? Number.NaN) / (off.cpuMsPerTransfer?.app ?? Number.NaN);
    console.log(`tracing off / on: transfers/s x${fixed(off.transfersPerS / on.transfersPerS, 2)}; app CPU per transfer on / off: x${fixed(cpuRatio, 2)}`);
    if (on.spansPerTransferByService) {
      const services = Object.entries(on.spansPerTransferByService).map(([s, n]) => `${s} ${fixed(n, 1)}`).join(', ');
      console.log(`spans per transfer by service (traced): ${services}`);
    }
    console.log('');
  }
  console.log(cpuTable(all));
  console.log('(saturation: over the whole scenario, drain included; open loop: over the measured sends, none when overloaded.');
  console.log(' postgres = the backends of the bench\'s processes; temporal = the dev server; other = the rest of the machine.)\n');
  console.log(costTable(all));
  console.log('(per transfer: saturation, CPU of the whole scenario / terminal transfers; open loop, cores / send rate.)\n');
  console.log(stepsTable(all));
  console.log('(per transfer x mean: the worker\'s Temporal SDK metrics and, "server:", the dev server\'s, over each scenario with warm-up');
  console.log(' and drain. schedule-to-start = waiting in the task queue; Respond* = the server recording a task\'s completion.');
  console.log(` The dev server's figures include any other traffic it served meanwhile${host.temporalMetricsPort ? '' : ' (its metrics were not found)'}.)`);
  console.log(`\nfigures: ${path.relative(ROOT_DIR, RESULTS_FILE)}`);
}

// ------------------------------------------------------------------ main

async function runPhase(h: Harness, tracing: boolean, saturation: SaturationResult[], openLoop: OpenLoopResult[]): Promise<void> {
  const tag = tracing ? 'traced' : 'untraced';
  const a = await runSaturation(h, `a ${tag}`, tracing);
  saturation.push(a);
  if (stopping || !settings.openLoop) return;
  const rate = Number.isFinite(a.transfersPerS) && a.transfersPerS > 0 ? a.transfersPerS : 1;
  const backlogLimit = Math.round(Math.max(20, (rate * settings.drainTimeoutS) / 2));
  await settle(h);
  openLoop.push(await runOpenLoop(h, `b ${settings.ratePerS}/s ${tag}`, tracing, settings.ratePerS, backlogLimit, settings.durationS));
  if (stopping || settings.sustainedPct === 0) return;
  const sustained = Math.max(0.05, Math.round((rate * settings.sustainedPct) / 5) / 20);
  const durationS = Math.min(120, Math.max(settings.durationS, Math.ceil(SUSTAINED_SAMPLES_MIN / sustained)));
  await settle(h);
  openLoop.push(await runOpenLoop(h, `b ${fixed(sustained, 2)}/s ${tag}`, tracing, sustained, backlogLimit, durationS));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const host: Record<string, unknown> = { startedAt: new Date().toISOString(), nproc: os.availableParallelism(), uptimeBefore: uptimeLine(), pgPoolMax: config.PG_POOL_MAX };
  const watch = new Client({ connectionString: databaseUrl(config, 'transfers'), application_name: 'transfers-e2e-watch' });
  await watch.connect();
  const saturation: SaturationResult[] = [];
  const openLoop: OpenLoopResult[] = [];
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new TemporalClient({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const h = { config, watch, temporal, runId: randomUUID().slice(0, 8), temporalMetricsPort: await findTemporalMetricsPort(config) } as Harness;
  host.temporalMetricsPort = h.temporalMetricsPort;
  const scheduleQueue = await scheduleTaskQueue(temporal);
  try {
    await startStack(true);
    await checkSchedule(temporal, scheduleQueue);
    console.log(`opening and funding ${settings.accountCount + 1} accounts through the gateway (run ${h.runId})`);
    h.book = await openBook(h);
    console.log(`scenarios (Temporal dev server metrics ${h.temporalMetricsPort ? `on :${h.temporalMetricsPort}` : 'not found'})`);
    await runPhase(h, true, saturation, openLoop);
    if (!stopping && settings.untraced) {
      await settle(h);
      await services.stopAll();
      await startStack(false);
      await checkSchedule(temporal, scheduleQueue);
      await runPhase(h, false, saturation, openLoop);
    }
    const leftovers = await settle(h);
    host.uptimeAfter = uptimeLine();
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, JSON.stringify({ host, settings, saturation, openLoop }, null, 2) + '\n');
    report(host, saturation, openLoop);
    if (leftovers.pending > 0 || (leftovers.running ?? 0) > 0) {
      console.warn(
        `\nWARNING: ${leftovers.pending} transfers of this run are still pending and ${leftovers.running} workflows running on task queue ` +
          `${settings.taskQueue}, which nothing polls once this script ends (raise BENCH_DRAIN_TIMEOUT_S).`,
      );
    }
  } finally {
    await watch.end().catch(() => undefined);
    await connection.close().catch(() => undefined);
    agent.destroy();
    await services.stopAll();
  }
}

main().catch(async (error) => {
  console.error('benchmark failed:', error);
  await services.stopAll();
  process.exit(1);
});
