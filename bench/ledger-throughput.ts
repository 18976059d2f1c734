/**
 * Ledger throughput benchmark: a script, not a test.
 *
 *   npx tsx bench/ledger-throughput.ts
 *
 * What it measures, and how. It starts its own accounts and ledger processes on
 * ports of their own (tracing off, LOG_LEVEL=warn) against the running
 * PostgreSQL and Kafka, opens accounts through POST /accounts and funds them
 * with direct entries. Then, each for a fixed time after a warm-up:
 *
 *   probes   one client at a time (GET /accounts/:id, POST /entries, the raw
 *            SQL transaction) for the unloaded latency of each hop, and GET
 *            /accounts/:id at full concurrency for the accounts service's ceiling;
 *   A (http) concurrent clients POST /entries to the ledger (two lines, a
 *            random pair of accounts, 1..100 minor units);
 *   B (sql)  the same double-entry transaction as raw SQL on as many pg
 *            connections: what the service does minus HTTP, validation and the
 *            accounts lookup: the ceiling of the database.
 *
 * Each of A and B runs over many accounts and over one hot account (every
 * entry debits it). During each run it samples every 100 ms the age of the
 * oldest unpublished outbox row (the ledger's relay publishes to the real
 * Kafka) and where the writers' PostgreSQL sessions are (running, waiting on a
 * row lock, waiting for their client); after it, the time the relay takes to
 * empty the outbox. The machine is shared, so the CPU each process group used
 * is read from /proc and divided by the entries made: CPU ms per entry holds up
 * better than entries/s when other work competes for the cores.
 *
 * Everything is bounded: run time, drain wait, request deadlines, account count.
 * Knobs (environment): BENCH_CLIENTS (32), BENCH_DURATION_S (20),
 * BENCH_WARMUP_S (3), BENCH_ACCOUNTS (64), BENCH_DRAIN_TIMEOUT_S (120),
 * BENCH_PROBE_S (3), BENCH_ACCOUNTS_PORT (17101), BENCH_LEDGER_PORT (17102);
 * BENCH_CPU_PROF_DIR=dir runs both services with --cpu-prof into that folder;
 * BENCH_APP_RUNTIME=tsx runs them from TypeScript instead of compiled (dist/);
 * BENCH_LABEL names the results file (ledger-throughput-<label>.json).
 * Service settings in the environment (PG_POOL_MAX, ...) reach the services.
 * Figures go to stdout as tables and to bench/results/ledger-throughput.json.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { databaseUrl, loadConfig, type Config } from '../lib/config';
import { firstOf, required } from '../lib/assert';
import { TOPICS } from '../lib/kafka';
import {
  benchAuthorization,
  benchCredentials,
  agent,
  cpuBetween,
  cpuSnapshotOf,
  defaultGroupOf,
  failureOf,
  fixed,
  infraPortsOf,
  intFromEnv,
  loadAverage1m,
  percentiles,
  randomIndex,
  randomOf,
  randomPairOf,
  request,
  ROOT_DIR,
  runLoad,
  ServiceGroup,
  stopOnSignals,
  table,
  tcpPortsOf,
  uptimeLine,
  windowFromNow,
  type CpuSnapshot,
  type CpuUse,
  type Percentiles,
  type Window,
} from './support';

const RESULTS_FILE = path.join(ROOT_DIR, 'bench', 'results', `ledger-throughput${process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : ''}.json`);
const CURRENCY = 'USD';
const AMOUNT_MINOR_MAX = 100;
const FUNDING_MINOR = 10n ** 12n;
const SAMPLE_INTERVAL_MS = 100;

const settings = {
  clients: intFromEnv('BENCH_CLIENTS', 32, 1, 256),
  durationS: intFromEnv('BENCH_DURATION_S', 20, 1, 600),
  warmupS: intFromEnv('BENCH_WARMUP_S', 3, 0, 60),
  accountCount: intFromEnv('BENCH_ACCOUNTS', 64, 2, 1000),
  drainTimeoutS: intFromEnv('BENCH_DRAIN_TIMEOUT_S', 120, 1, 600),
  probeS: intFromEnv('BENCH_PROBE_S', 3, 1, 60),
  accountsPort: intFromEnv('BENCH_ACCOUNTS_PORT', 17101, 1, 65535),
  ledgerPort: intFromEnv('BENCH_LEDGER_PORT', 17102, 1, 65535),
};


// ------------------------------------------------------------------ child services

const services = new ServiceGroup('ledger-throughput');
/** Set on SIGINT/SIGTERM: the load loops stop, so the services can drain their connections and exit. */
let stopping = false;
stopOnSignals(services, () => {
  stopping = true;
});

/** 'dist' (the default): the services run compiled, as deploy/stack runs them; 'tsx': from TypeScript. */
const APP_RUNTIME = process.env.BENCH_APP_RUNTIME || 'dist';
let built = false;

function startService(name: string, entry: string, port: number, env: NodeJS.ProcessEnv) {
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const compiled = APP_RUNTIME === 'dist';
  if (compiled && !built) {
    execFileSync(path.join(ROOT_DIR, 'deploy', 'build'), { stdio: 'inherit' });
    built = true;
  }
  return services.start(name, entry, port, env, { nodeArgs, compiled });
}

// ------------------------------------------------------------------ accounts and entries

interface Book {
  fundingId: string;
  ordinaryIds: string[];
  hotId: string;
}

async function createAccount(code: string, creditLimit?: string): Promise<string> {
  const answer = await request(settings.accountsPort, 'POST', '/accounts', { code, name: `benchmark ${code}`, currency: CURRENCY, creditLimit }, { headers: benchAuthorization('accounts') });
  if (answer.status !== 201) throw failureOf(answer);
  return (JSON.parse(answer.body) as { id: string }).id;
}

function entryBody(debitId: string, creditId: string, amountMinor: bigint) {
  const amount = amountMinor.toString();
  return {
    entryId: randomUUID(),
    currency: CURRENCY,
    description: 'benchmark',
    lines: [
      { accountId: debitId, direction: 'debit', amountMinor: amount },
      { accountId: creditId, direction: 'credit', amountMinor: amount },
    ],
  };
}

/** Posts one entry; throws unless the ledger created it (201). */
async function postEntry(debitId: string, creditId: string, amountMinor: bigint): Promise<void> {
  const answer = await request(settings.ledgerPort, 'POST', '/entries', entryBody(debitId, creditId, amountMinor), { headers: benchAuthorization('ledger') });
  if (answer.status !== 201) throw failureOf(answer);
}

/** One unlimited funding account, the ordinary accounts and the hot one, each funded far beyond what a run spends. */
async function openBook(runId: string): Promise<Book> {
  const fundingId = await createAccount(`bench-${runId}-funding`, 'unlimited');
  const ordinaryIds: string[] = [];
  for (let i = 0; i < settings.accountCount; i++) ordinaryIds.push(await createAccount(`bench-${runId}-${i}`));
  const hotId = await createAccount(`bench-${runId}-hot`);
  for (const id of [...ordinaryIds, hotId]) await postEntry(fundingId, id, FUNDING_MINOR);
  return { fundingId, ordinaryIds, hotId };
}

type Pair = [debitId: string, creditId: string];


function randomAmountMinor(): bigint {
  return BigInt(1 + randomIndex(AMOUNT_MINOR_MAX));
}

function spreadPair(book: Book): Pair {
  return randomPairOf(book.ordinaryIds);
}

function hotPair(book: Book): Pair {
  return [book.hotId, randomOf(book.ordinaryIds)];
}

// ------------------------------------------------------------------ the raw SQL transaction

const SQL = {
  claim: `INSERT INTO entries (entry_id, transfer_id, hold_id, reverses_entry_id, currency, description, request_hash)
          VALUES ($1, NULL, NULL, NULL, $2, $3, $4)`,
  lock: `SELECT account_id, currency, credit_limit_minor, posted_minor, pending_minor
           FROM ledger_accounts WHERE account_id = ANY($1::uuid[])
          ORDER BY account_id FOR NO KEY UPDATE`,
  lines: `INSERT INTO entry_lines (entry_id, line_no, account_id, direction, amount_minor, balance_after_minor)
          VALUES ($1, 1, $2, 'debit', $3, $4), ($1, 2, $5, 'credit', $3, $6)`,
  save: `UPDATE ledger_accounts SET posted_minor = $2, pending_minor = $3, updated_at = clock_timestamp() WHERE account_id = $1`,
  outbox: `INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, traceparent)
           VALUES ($1, $2, $3, 'entry.posted', $4, NULL), ($5, $2, $6, 'entry.posted', $7, NULL)`,
};

interface LockedRow {
  account_id: string;
  posted_minor: string;
  pending_minor: string;
}

/** The `entry.posted` envelope the service writes for one account of the entry (same shape, same size). */
function entryPostedEnvelope(entryId: string, [debitId, creditId]: Pair, amountMinor: bigint, after: [bigint, bigint], accountId: string): string {
  const occurredAt = new Date().toISOString();
  const line = (id: string, direction: string, balanceAfterMinor: bigint) => ({
    accountId: id,
    direction,
    amountMinor: amountMinor.toString(),
    balanceAfterMinor: balanceAfterMinor.toString(),
  });
  const payload = {
    entryId, transferId: null, holdId: null, reversesEntryId: null, currency: CURRENCY, description: 'benchmark raw sql', postedAt: occurredAt,
    lines: [line(debitId, 'debit', after[0]), line(creditId, 'credit', after[1])],
    accountId,
  };
  return JSON.stringify({ eventId: randomUUID(), type: 'entry.posted', occurredAt, aggregateId: accountId, payload });
}

/** What POST /entries does in its transaction, minus the accounts lookup, the idempotency read and the read-back. */
async function sqlEntry(db: Client, pair: Pair, amountMinor: bigint): Promise<void> {
  const [debitId, creditId] = pair;
  const entryId = randomUUID();
  await db.query('BEGIN');
  try {
    await db.query(SQL.claim, [entryId, CURRENCY, 'benchmark raw sql', `bench-${entryId}`]);
    const { rows } = await db.query<LockedRow>(SQL.lock, [[debitId, creditId]]);
    const locked = new Map(rows.map((row) => [row.account_id, row]));
    const debit = locked.get(debitId);
    const credit = locked.get(creditId);
    if (!debit || !credit) throw new Error(`assertion: accounts ${debitId} and ${creditId} must exist in ledger_accounts`);
    const after: [bigint, bigint] = [BigInt(debit.posted_minor) - amountMinor, BigInt(credit.posted_minor) + amountMinor];
    await db.query(SQL.lines, [entryId, debitId, amountMinor.toString(), after[0].toString(), creditId, after[1].toString()]);
    await db.query(SQL.save, [debitId, after[0].toString(), debit.pending_minor]);
    await db.query(SQL.save, [creditId, after[1].toString(), credit.pending_minor]);
    await db.query(SQL.outbox, [
      randomUUID(), TOPICS.entry, debitId, entryPostedEnvelope(entryId, pair, amountMinor, after, debitId),
      randomUUID(), creditId, entryPostedEnvelope(entryId, pair, amountMinor, after, creditId),
    ]);
    await db.query('COMMIT');
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function connectAll(url: string, count: number): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const db = new Client({ connectionString: url, application_name: SQL_APP });
      await db.connect();
      return db;
    }),
  );
}

// ------------------------------------------------------------------ outbox

const OUTBOX_AGE_SQL = `SELECT clock_timestamp() AS at,
                               COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS age_s
                          FROM outbox WHERE published_at IS NULL`;

/** Where the writers' connections were, on average over the samples (a connection count per state). */
interface ConnectionStates {
  /** Running a statement in PostgreSQL (CPU, WAL flush, I/O), not waiting on a lock. */
  inDb: number;
  /** Waiting on a row lock (the hot account). */
  lockWait: number;
  /** Idle in transaction: PostgreSQL waits for the client's next statement. */
  inApp: number;
  /** Idle in the pool, between transactions. */
  idle: number;
}

interface Samples {
  outboxAgesS: number[];
  states: ConnectionStates[];
  /** Database clock at the first and the last sample: the measured part of the window, as the database sees it. */
  firstAt: Date | null;
  lastAt: Date | null;
}

const CONNECTION_STATES_SQL = `
  SELECT count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock')::int AS "inDb",
         count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')::int AS "lockWait",
         count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS "inApp",
         count(*) FILTER (WHERE state = 'idle')::int AS idle
    FROM pg_stat_activity WHERE application_name = $1 AND client_port = ANY($2::int[])`;

/** Who writes the entries: the PostgreSQL sessions with this application_name opened by this process. */
interface Writer {
  app: string;
  pid: () => number | undefined;
}

/**
 * Every SAMPLE_INTERVAL_MS of the measured part of the window: the oldest
 * unpublished outbox row's age, and the states of the connections of
 * the writer (the ledger's pool, relay included, or the raw SQL clients).
 */
async function sample(db: Client, window: Window, writer: Writer): Promise<Samples> {
  const samples: Samples = { outboxAgesS: [], states: [], firstAt: null, lastAt: null };
  await sleep(Math.max(0, window.warmupEndMs - performance.now()));
  const writerPorts = tcpPortsOf([writer.pid()]); // the pool is full once warm
  while (performance.now() < window.endMs) {
    const startMs = performance.now();
    const { at, age_s } = firstOf((await db.query<{ at: Date; age_s: number }>(OUTBOX_AGE_SQL)).rows, 'the outbox age');
    samples.outboxAgesS.push(age_s);
    samples.states.push(firstOf((await db.query<ConnectionStates>(CONNECTION_STATES_SQL, [writer.app, writerPorts])).rows, 'the connection states'));
    samples.firstAt ??= at;
    samples.lastAt = at;
    await sleep(Math.max(0, SAMPLE_INTERVAL_MS - (performance.now() - startMs)));
  }
  return samples;
}

function averageStates(states: ConnectionStates[]): ConnectionStates {
  const mean = (key: keyof ConnectionStates) => states.reduce((sum, s) => sum + s[key], 0) / Math.max(1, states.length);
  return { inDb: mean('inDb'), lockWait: mean('lockWait'), inApp: mean('inApp'), idle: mean('idle') };
}

/** Rows the relay published per second while the load ran (any writer's rows: the outbox is shared). */
async function relayRowsPerS(db: Client, samples: Samples): Promise<number | null> {
  if (!samples.firstAt || !samples.lastAt || samples.lastAt <= samples.firstAt) return null;
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at >= $1 AND published_at < $2', [
    samples.firstAt,
    samples.lastAt,
  ]);
  return Number(firstOf(rows, 'the count').n) / ((samples.lastAt.getTime() - samples.firstAt.getTime()) / 1000);
}

async function unpublishedCount(db: Client): Promise<number> {
  return Number(firstOf((await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows, 'the count').n);
}

/** Seconds until no unpublished row remains, or null when that takes longer than the drain timeout. */
async function measureDrain(db: Client): Promise<number | null> {
  const startMs = performance.now();
  const deadlineMs = startMs + settings.drainTimeoutS * 1000;
  while (performance.now() < deadlineMs) {
    if ((await unpublishedCount(db)) === 0) return (performance.now() - startMs) / 1000;
    await sleep(SAMPLE_INTERVAL_MS);
  }
  return null;
}

// ------------------------------------------------------------------ CPU by process group

/**
 * `postgres`: the backends serving the benchmark's processes (found by their
 * client ports); `pg other`: the rest of the server (other sessions, WAL
 * writer, checkpointer, autovacuum, backends that ended meanwhile).
 */
type CpuGroup = 'ledger' | 'accounts' | 'postgres' | 'pg other' | 'kafka' | 'bench';
const CPU_GROUPS: CpuGroup[] = ['ledger', 'accounts', 'postgres', 'pg other', 'kafka', 'bench'];
/** The groups whose CPU an entry costs, counted per entry. */
type CostGroup = Exclude<CpuGroup, 'pg other'>;
const COST_GROUPS: CostGroup[] = ['ledger', 'accounts', 'postgres', 'kafka', 'bench'];
/** The groups that are one process each (or a fixed set), read as plain sums. */
const PROCESS_GROUPS = ['ledger', 'accounts', 'kafka', 'bench'] as const;
type Cpu = CpuUse<(typeof PROCESS_GROUPS)[number]>;


// ------------------------------------------------------------------ scenarios

interface ScenarioResult {
  scenario: string;
  clients: number;
  durationS: number;
  entriesPerS: number;
  ok: number;
  errors: number;
  failures: Record<string, number>;
  latencyMs: Percentiles;
  outboxAgeS: Percentiles & { samples: number };
  /** Outbox rows published per second during the load, and written (two per entry). */
  relayRowsPerS: number | null;
  backlogAtStop: number;
  drainS: number | null;
  /** The relay's pace once the load stopped; only when the drain took a second or more. */
  drainRowsPerS: number | null;
  cpuCores: Cpu | null;
  /** CPU milliseconds each group spent per entry created. */
  cpuMsPerEntry: Record<CostGroup, number> | null;
  writerConnections: ConnectionStates & { app: string };
  load1: number;
}

interface ProbeResult {
  probe: string;
  clients: number;
  durationS: number;
  opsPerS: number;
  errors: number;
  latencyMs: Percentiles;
}

interface Harness {
  config: Config;
  book: Book;
  watch: Client;
}

type Operation = (client: number) => Promise<void>;

interface Scenario {
  name: string;
  writer: Writer;
  operation: Operation;
}

async function runScenario(h: Harness, { name: scenario, writer, operation }: Scenario): Promise<ScenarioResult> {
  const clients = settings.clients;
  process.stdout.write(`  ${scenario}: ${settings.warmupS}s warm-up + ${settings.durationS}s ... `);
  const window = windowFromNow(settings.warmupS, settings.durationS);
  const [load, samples, cpuBefore, cpuAfter] = await Promise.all([
    runLoad(clients, window, operation, () => stopping),
    sample(h.watch, window, writer),
    cpuAt(h.watch, window.warmupEndMs),
    cpuAt(h.watch, window.endMs),
  ]);
  const backlogAtStop = await unpublishedCount(h.watch);
  const drainS = await measureDrain(h.watch);
  const publishedPerS = await relayRowsPerS(h.watch, samples);
  const errors = Object.values(load.failures).reduce((a, b) => a + b, 0);
  const cpuCores = cpuBetween(cpuBefore, cpuAfter, PROCESS_GROUPS);
  const result: ScenarioResult = {
    scenario,
    clients,
    durationS: settings.durationS,
    entriesPerS: load.okCount / settings.durationS,
    ok: load.okCount,
    errors,
    failures: load.failures,
    latencyMs: percentiles(load.latenciesMs),
    outboxAgeS: { ...percentiles(samples.outboxAgesS), samples: samples.outboxAgesS.length },
    relayRowsPerS: publishedPerS,
    backlogAtStop,
    drainS,
    drainRowsPerS: drainS && drainS >= 1 ? backlogAtStop / drainS : null,
    cpuCores,
    cpuMsPerEntry: cpuCores && load.okCount > 0 ? perEntryMs(cpuCores, load.okCount / settings.durationS) : null,
    writerConnections: { app: writer.app, ...averageStates(samples.states) },
    load1: loadAverage1m(),
  };
  console.log(`${result.entriesPerS.toFixed(0)} entries/s, drain ${drainS === null ? 'timed out' : `${drainS.toFixed(1)} s`}`);
  return result;
}

function perEntryMs(cores: Cpu, entriesPerS: number): Record<CostGroup, number> {
  return Object.fromEntries(COST_GROUPS.map((g) => [g, (1000 * cores[g]) / entriesPerS])) as Record<CostGroup, number>;
}

/** A CPU snapshot taken at `atMs` (performance.now() time), so it brackets exactly the measured part. */
async function cpuAt(db: Client, atMs: number): Promise<CpuSnapshot | null> {
  await sleep(Math.max(0, atMs - performance.now()));
  return cpuSnapshotOf(db, [process.pid, ...services.services.map((s) => s.child.pid)], defaultGroupOf(services, infraPortsOf(loadConfig())));
}

async function runProbe(probe: string, clients: number, operation: Operation): Promise<ProbeResult> {
  const window = windowFromNow(1, settings.probeS);
  const load = await runLoad(clients, window, operation, () => stopping);
  const errors = Object.values(load.failures).reduce((a, b) => a + b, 0);
  return { probe, clients, durationS: settings.probeS, opsPerS: load.okCount / settings.probeS, errors, latencyMs: percentiles(load.latenciesMs) };
}

async function withSqlClients<T>(h: Harness, count: number, work: (dbs: Client[]) => Promise<T>): Promise<T> {
  const dbs = await connectAll(databaseUrl(h.config, 'ledger'), count);
  try {
    return await work(dbs);
  } finally {
    await Promise.all(dbs.map((db) => db.end().catch(() => undefined)));
  }
}

async function runProbes(h: Harness): Promise<ProbeResult[]> {
  const { book } = h;
  const getAccount: Operation = async () => {
    const answer = await request(settings.accountsPort, 'GET', `/accounts/${randomOf(book.ordinaryIds)}`, undefined, { headers: benchAuthorization('accounts') });
    if (answer.status !== 200) throw failureOf(answer);
  };
  const probes: ProbeResult[] = [];
  console.log(`probes (1 s warm-up + ${settings.probeS} s each)`);
  probes.push(await runProbe('GET /accounts/:id (accounts)', 1, getAccount));
  probes.push(await runProbe('GET /accounts/:id (accounts)', settings.clients, getAccount));
  probes.push(await runProbe('POST /entries (ledger)', 1, () => postEntry(...spreadPair(book), randomAmountMinor())));
  const rawSqlProbe = (dbs: Client[]) => {
    const db = firstOf(dbs, 'the SQL clients');
    return runProbe('raw SQL entry transaction', 1, () => sqlEntry(db, spreadPair(book), randomAmountMinor()));
  };
  probes.push(await withSqlClients(h, 1, rawSqlProbe));
  await measureDrain(h.watch);
  return probes;
}

const SQL_APP = 'ledger-throughput-bench';

async function runScenarios(h: Harness): Promise<ScenarioResult[]> {
  const { book } = h;
  const many = `${book.ordinaryIds.length} accounts`;
  const results: ScenarioResult[] = [];
  console.log('scenarios');
  const ledger: Writer = { app: 'ledger', pid: () => services.pidOf('ledger') };
  const rawSql: Writer = { app: SQL_APP, pid: () => process.pid };
  const httpOperation = (pair: (b: Book) => Pair) => () => postEntry(...pair(book), randomAmountMinor());
  results.push(await runScenario(h, { name: `A http, ${many}`, writer: ledger, operation: httpOperation(spreadPair) }));
  results.push(await runScenario(h, { name: 'A http, 1 hot account', writer: ledger, operation: httpOperation(hotPair) }));
  await withSqlClients(h, settings.clients, async (dbs) => {
    const sqlOperation = (pair: (b: Book) => Pair) => (c: number) => sqlEntry(required(dbs[c], `SQL client ${c}`), pair(book), randomAmountMinor());
    results.push(await runScenario(h, { name: `B sql,  ${many}`, writer: rawSql, operation: sqlOperation(spreadPair) }));
    results.push(await runScenario(h, { name: 'B sql,  1 hot account', writer: rawSql, operation: sqlOperation(hotPair) }));
  });
  return results;
}

// ------------------------------------------------------------------ report

function scenarioTable(results: ScenarioResult[]): string {
  return table(
    ['scenario', 'clients', 'dur s', 'entries/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'outbox age p50/p99/max s', 'rows/s in/out', 'backlog', 'drain s', 'load1'],
    results.map((r) => [
      r.scenario,
      String(r.clients),
      String(r.durationS),
      fixed(r.entriesPerS, 0),
      fixed(r.latencyMs.p50, 1),
      fixed(r.latencyMs.p95, 1),
      fixed(r.latencyMs.p99, 1),
      String(r.errors),
      `${fixed(r.outboxAgeS.p50, 2)} / ${fixed(r.outboxAgeS.p99, 2)} / ${fixed(r.outboxAgeS.max, 2)}`,
      `${fixed(2 * r.entriesPerS, 0)} / ${fixed(r.relayRowsPerS ?? Number.NaN, 0)}`,
      String(r.backlogAtStop),
      r.drainS === null ? `>${settings.drainTimeoutS}` : fixed(r.drainS, 1),
      fixed(r.load1, 2),
    ]),
  );
}

function cpuTable(results: ScenarioResult[]): string {
  const rows = results.filter((r) => r.cpuCores).map((r) => {
    const cpu = r.cpuCores!;
    return [r.scenario, fixed(cpu.machine, 2), ...CPU_GROUPS.map((g) => fixed(cpu[g], 2)), fixed(cpu.other, 2)];
  });
  return table(['CPU, cores busy', 'machine', ...CPU_GROUPS, 'other'], rows);
}

function costTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => {
    const ms = r.cpuMsPerEntry;
    const sumMs = ms ? COST_GROUPS.reduce((sum, g) => sum + ms[g], 0) : Number.NaN;
    const cpu = [...COST_GROUPS.map((g) => fixed(ms?.[g] ?? Number.NaN, 1)), fixed(sumMs, 1)];
    const c = r.writerConnections;
    return [r.scenario, ...cpu, `${fixed(c.inDb, 1)} / ${fixed(c.lockWait, 1)} / ${fixed(c.inApp, 1)} / ${fixed(c.idle, 1)}`];
  });
  return table(['CPU ms per entry', ...COST_GROUPS, 'sum', 'writer conns in db / lock / in app / idle'], rows);
}

function probeTable(probes: ProbeResult[]): string {
  return table(
    ['probe', 'clients', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors'],
    probes.map((p) => [
      p.probe,
      String(p.clients),
      fixed(p.opsPerS, 0),
      ...[p.latencyMs.p50, p.latencyMs.p95, p.latencyMs.p99].map((ms) => fixed(ms, 2)),
      String(p.errors),
    ]),
  );
}

function report(results: ScenarioResult[], probes: ProbeResult[], host: Record<string, unknown>): void {
  console.log(`\nledger throughput, ${host.startedAt}; nproc ${host.nproc}; node ${process.version}; ledger PG_POOL_MAX ${host.ledgerPgPoolMax}`);
  console.log(`uptime before: ${host.uptimeBefore}`);
  console.log(`uptime after:  ${host.uptimeAfter}\n`);
  console.log(scenarioTable(results));
  for (const r of results.filter((x) => x.errors > 0)) console.log(`  errors in "${r.scenario}": ${JSON.stringify(r.failures)}`);
  console.log(`\n${cpuTable(results)}`);
  console.log('(cores busy during the measured part; 2 = the whole machine. postgres = the backends serving this benchmark\'s');
  console.log(' processes; pg other = the rest of the server (WAL writer, checkpointer, other sessions); other = everything');
  console.log(' else busy on the machine, e.g. other test runs. rows/s in/out in the first table = outbox rows written / published.)\n');
  console.log(costTable(results));
  console.log('(writer conns: mean count of the writers\' connections (ledger pool incl. relay in A, the raw SQL clients in B) running in');
  console.log(' PostgreSQL / waiting on a row lock / idle in transaction, i.e. waiting for the client / idle between transactions.)\n');
  console.log(probeTable(probes));
  console.log(`\nfigures: ${path.relative(ROOT_DIR, RESULTS_FILE)}`);
}

// ------------------------------------------------------------------ main

async function startServices(config: Config): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ACCOUNTS_PORT: String(settings.accountsPort),
    LEDGER_PORT: String(settings.ledgerPort),
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
  };
  console.log(`starting accounts :${settings.accountsPort} and ledger :${settings.ledgerPort} (PostgreSQL ${config.PGHOST}:${config.PGPORT}, Kafka ${config.kafkaBrokers.join(',')})`);
  await startService('accounts', 'services/accounts/main.ts', settings.accountsPort, { ...env, ...benchCredentials('accounts') });
  await startService('ledger', 'services/ledger/main.ts', settings.ledgerPort, { ...env, ...benchCredentials('ledger') });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const host = { startedAt: new Date().toISOString(), nproc: os.availableParallelism(), uptimeBefore: uptimeLine(), ledgerPgPoolMax: config.PG_POOL_MAX };
  await startServices(config);
  const watch = new Client({ connectionString: databaseUrl(config, 'ledger'), application_name: 'ledger-throughput-watch' });
  await watch.connect();
  try {
    const runId = randomUUID().slice(0, 8);
    console.log(`opening and funding ${settings.accountCount + 2} accounts (run ${runId})`);
    const h: Harness = { config, book: await openBook(runId), watch };
    await measureDrain(watch);
    const probes = await runProbes(h);
    const results = await runScenarios(h);
    const finalHost = { ...host, uptimeAfter: uptimeLine() };
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    writeFileSync(RESULTS_FILE, JSON.stringify({ host: finalHost, settings, probes, scenarios: results }, null, 2) + '\n');
    report(results, probes, finalHost);
  } finally {
    await watch.end().catch(() => undefined);
    agent.destroy();
    await services.stopAll();
  }
}

main().catch(async (error) => {
  console.error('benchmark failed:', error);
  await services.stopAll();
  process.exit(1);
});
