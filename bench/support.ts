/**
 * What the bench scripts share: child service processes, a keep-alive HTTP
 * client, a closed-loop load runner, percentiles, tables, and CPU use per
 * process group read from /proc. Not a benchmark by itself.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError, type Client } from 'pg';
import type { Config } from '../lib/config';
import { credentialEnvironment, generateServiceTokens } from '../lib/service-auth/topology';

export const ROOT_DIR = path.resolve(__dirname, '..');
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The service credentials of the processes a benchmark starts itself, fresh
 * for each run (lib/service-auth/topology.ts): `benchCredentials(name)` is the
 * environment of process `name` (accounts, ledger, gateway, ...), `benchAuthorization`
 * the header the benchmark sends when it calls a service directly, as `operator`.
 */
const BENCH_TOKENS = generateServiceTokens();
export const benchCredentials = (holder: string): Record<string, string> => credentialEnvironment(BENCH_TOKENS, holder);
export function benchAuthorization(service: 'accounts' | 'ledger' | 'read-model'): { authorization: string } {
  const token = BENCH_TOKENS[service].find((entry) => entry.caller === 'operator')?.token;
  if (!token) throw new Error(`the operator has no ${service} token`);
  return { authorization: `Bearer ${token}` };
}
/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const CLOCK_TICKS_PER_S = 100;

export function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${text}`);
  return value;
}

// ------------------------------------------------------------------ HTTP

/** One keep-alive agent for every request a bench makes; destroyed at the end so the process can exit. */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export function request(port: number, method: 'GET' | 'POST', urlPath: string, body?: unknown, options: RequestOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = { accept: 'application/json', ...options.headers };
  if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': payload.length });
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: '127.0.0.1', port, method, path: urlPath, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** "HTTP 422 INSUFFICIENT_FUNDS": the status and the problem's code or slug, to count failures by kind. */
export function failureOf(answer: HttpAnswer): Error {
  let reason = '';
  try {
    const problem = JSON.parse(answer.body) as { code?: string; type?: string };
    reason = problem.code ?? problem.type?.split('/').pop() ?? '';
  } catch {
    reason = answer.body.slice(0, 40);
  }
  return new Error(`HTTP ${answer.status} ${reason}`.trim());
}

/** A failure as one short line, for counting by kind. */
export function describeFailure(error: unknown): string {
  if (error instanceof DatabaseError) return `pg ${error.code}: ${error.message}`;
  return String((error as Error)?.message ?? error);
}

// ------------------------------------------------------------------ child services

export interface Service {
  name: string;
  /** Where it answers GET /healthz. */
  port: number;
  child: ChildProcess;
  logFile: string;
}

export interface StartOptions {
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  healthTimeoutMs?: number;
  /** The checkout the entry is taken from and the process runs in (another checkout's app code); ROOT_DIR when not given. */
  cwd?: string;
  /** Run the entry's build output (dist/<entry>.js, made by deploy/build) rather than the TypeScript through tsx. */
  compiled?: boolean;
}

const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * The processes a bench starts (`node --import tsx <entry>`, or its build
 * output `node --enable-source-maps dist/<entry>.js`), each logging to
 * a file in the temp folder. Whatever way the bench ends, none outlives it.
 */
export class ServiceGroup {
  readonly services: Service[] = [];

  constructor(private readonly logPrefix: string) {
    process.on('exit', () => {
      for (const service of this.services) if (isRunning(service.child)) service.child.kill('SIGKILL');
    });
  }

  /** Starts the process and waits until it answers /healthz; refuses a port something else serves already. */
  async start(name: string, entry: string, port: number, env: NodeJS.ProcessEnv, options: StartOptions = {}): Promise<Service> {
    if (await answersHealth(port)) throw new Error(`port ${port} already serves /healthz: stop that process or set BENCH_*_PORT`);
    const logFile = path.join(os.tmpdir(), `${this.logPrefix}-${name}-${process.pid}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const cwd = options.cwd ?? ROOT_DIR;
    const program = options.compiled
      ? ['--enable-source-maps', path.resolve(cwd, 'dist', entry.replace(/\.ts$/, '.js'))]
      : ['--import', 'tsx', path.resolve(cwd, entry)];
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...program], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const service = { name, port, child, logFile };
    this.services.push(service);
    await waitHealthy(service, options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS);
    return service;
  }

  pidOf(name: string): number | undefined {
    return this.services.find((s) => s.name === name)?.child.pid;
  }

  /** Stops one process and forgets it. */
  async stop(name: string): Promise<void> {
    const index = this.services.findIndex((s) => s.name === name);
    const [service] = index < 0 ? [] : this.services.splice(index, 1);
    if (!service) return;
    await stopService(service);
  }

  /** Stops every process (last started first) and forgets them. */
  async stopAll(): Promise<void> {
    const stopping = this.services.splice(0).reverse();
    for (const service of stopping) await stopService(service);
  }
}

async function waitHealthy(service: Service, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(service.child)) throw new Error(`${service.name} exited during start; its log: ${service.logFile}\n${logTail(service)}`);
    if (await answersHealth(service.port)) return;
    await sleep(200);
  }
  throw new Error(`${service.name} did not answer /healthz within ${timeoutMs} ms; its log: ${service.logFile}\n${logTail(service)}`);
}

export async function answersHealth(port: number): Promise<boolean> {
  try {
    return (await request(port, 'GET', '/healthz', undefined, { timeoutMs: 1_000 })).status === 200;
  } catch {
    return false;
  }
}

function logTail(service: Service): string {
  return existsSync(service.logFile) ? readFileSync(service.logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
}

/** SIGTERM (the services shut down gracefully), SIGKILL if that takes too long. */
async function stopService(service: Service): Promise<void> {
  if (!isRunning(service.child)) return;
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await Promise.race([exited, sleep(STOP_TIMEOUT_MS)]);
  if (isRunning(service.child)) service.child.kill('SIGKILL');
}

/** On SIGINT/SIGTERM: `onSignal` (stop the load), then stop the services and exit 130/143. */
export function stopOnSignals(group: ServiceGroup, onSignal: () => void): void {
  for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's services`);
      onSignal();
      agent.destroy();
      void group.stopAll().finally(() => process.exit(exitCode));
    });
  }
}

// ------------------------------------------------------------------ closed-loop load

export interface Window {
  warmupEndMs: number;
  endMs: number;
}

export interface LoadResult {
  okCount: number;
  failures: Record<string, number>;
  latenciesMs: number[];
}

export function windowFromNow(warmupS: number, durationS: number): Window {
  const warmupEndMs = performance.now() + warmupS * 1000;
  return { warmupEndMs, endMs: warmupEndMs + durationS * 1000 };
}

/**
 * `clients` loops, each one operation at a time, until the window ends (or
 * `isStopping()`); operations started after the warm-up count.
 */
export async function runLoad(clients: number, window: Window, operation: (client: number) => Promise<void>, isStopping: () => boolean): Promise<LoadResult> {
  const result: LoadResult = { okCount: 0, failures: {}, latenciesMs: [] };
  const loop = async (client: number) => {
    while (performance.now() < window.endMs && !isStopping()) {
      const startMs = performance.now();
      let failure: string | undefined;
      try {
        await operation(client);
      } catch (error) {
        failure = describeFailure(error);
      }
      if (startMs < window.warmupEndMs) continue;
      result.latenciesMs.push(performance.now() - startMs);
      if (failure === undefined) result.okCount++;
      else result.failures[failure] = (result.failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return result;
}

// ------------------------------------------------------------------ statistics and report

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const list = Array.from(Float64Array.from(values).sort());
  return { p50: percentile(list, 50), p95: percentile(list, 95), p99: percentile(list, 99), max: list[list.length - 1] ?? Number.NaN };
}

export function table(headers: string[], rows: string[][], alignLeft = 1): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const format = (cells: string[]) =>
    cells.map((cell, i) => (i < alignLeft ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ');
  return [format(headers), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(format)].join('\n');
}

export const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** The load average over the last minute (os.loadavg's first figure); NaN where the platform has none. */
export const loadAverage1m = (): number => os.loadavg()[0] ?? Number.NaN;

// ------------------------------------------------------------------ random picks of the load

export function randomIndex(length: number): number {
  return Math.floor(Math.random() * length);
}

/** One of `items` at random; they must not be empty. */
export function randomOf<T>(items: readonly T[]): T {
  const item = items[randomIndex(items.length)];
  if (item === undefined) throw new Error('a random pick from an empty list');
  return item;
}

/** Two distinct items of `items` at random (the first uniformly, the second among the others); at least two are needed. */
export function randomPairOf<T>(items: readonly T[]): [T, T] {
  const first = randomIndex(items.length);
  const second = (first + 1 + randomIndex(items.length - 1)) % items.length;
  const [a, b] = [items[first], items[second]];
  if (a === undefined || b === undefined || items.length < 2) throw new Error(`a random pair from a list of ${items.length}`);
  return [a, b];
}

export function uptimeLine(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
}

// ------------------------------------------------------------------ CPU by process group

/**
 * The local TCP ports of the sockets that the processes `pids` hold: how
 * their PostgreSQL sessions are told from other processes' with the same
 * application_name (pg_stat_activity.client_port); with `listeningOnly`, the
 * ports they listen on. Empty where /proc is not.
 */
export function tcpPortsOf(pids: (number | undefined)[], listeningOnly = false): number[] {
  return [...socketsOf(pids, listeningOnly).keys()];
}

/** Local port -> owning pid of the TCP sockets the processes `pids` hold (LISTEN state only, if asked). */
function socketsOf(pids: (number | undefined)[], listeningOnly: boolean): Map<number, number> {
  const owners = new Map<string, number>(); // socket inode -> pid
  for (const pid of pids) {
    if (pid === undefined) continue;
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const [, inode] = /^socket:\[(\d+)\]$/.exec(safeReadlink(`/proc/${pid}/fd/${fd}`)) ?? [];
        if (inode !== undefined) owners.set(inode, pid);
      }
    } catch {
      // no such process, or no /proc
    }
  }
  const ports = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local = '', , state, , , , , , inode] = line.trim().split(/\s+/); // sl local_address rem_address st ... uid timeout inode
      const owner = inode !== undefined ? owners.get(inode) : undefined;
      if (owner !== undefined && (state === '0A' || !listeningOnly)) ports.set(parseInt(local.slice(local.lastIndexOf(':') + 1), 16), owner); // 0A: LISTEN
    }
  }
  return ports;
}

function safeReadlink(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return ''; // the descriptor closed meanwhile
  }
}

/** Classifies a process (pid, command name, parent pid) into a CPU group, or none. */
export type GroupOf = (pid: number, comm: string, ppid: number) => string | undefined;

/** The listening ports that tell the infrastructure a bench uses from other instances on the machine (other checkouts, CI). */
export interface InfraPorts {
  postgres?: number;
  kafka?: number;
  temporal?: number;
}

const portOf = (address: string) => Number(address.split(':').pop());

/** The infrastructure of the configuration: PostgreSQL, the first Kafka broker, the Temporal frontend. */
export function infraPortsOf(config: Config): InfraPorts {
  const [kafka] = config.kafkaBrokers;
  return { postgres: config.PGPORT, kafka: kafka === undefined ? undefined : portOf(kafka), temporal: portOf(config.temporalAddress) };
}

function commOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function isKafka(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

/**
 * The pid of the process with command name `comm` that listens on `port`
 * (the PostgreSQL postmaster, the Kafka broker, the Temporal dev server);
 * undefined when none does or /proc is not there.
 */
export function listenerPid(comm: string, port: number, filter: (pid: number) => boolean = () => true): number | undefined {
  try {
    const candidates = readdirSync('/proc').filter((n) => /^\d+$/.test(n) && commOf(n) === comm).map(Number).filter(filter);
    return socketsOf(candidates, true).get(port);
  } catch {
    return undefined; // no /proc
  }
}

/**
 * The command names of a Temporal server: the dev server (`temporal`, the
 * CLI's `server start-dev`) and TEMPORAL_MODE=server's real server
 * (`temporal-server`, deploy/temporal-server/stack.sh).
 */
export const TEMPORAL_SERVER_COMMS: readonly string[] = ['temporal', 'temporal-server'];

/** The pid of the Temporal server (either kind) listening on `port`. */
export function temporalServerPid(port: number): number | undefined {
  for (const comm of TEMPORAL_SERVER_COMMS) {
    const pid = listenerPid(comm, port);
    if (pid !== undefined) return pid;
  }
  return undefined;
}

/**
 * Which group a process belongs to: `bench` (this process), a started
 * service by its name, `pg` (the PostgreSQL server on `infra.postgres`: its
 * postmaster and children, split later into the bench's backends and the
 * rest), `kafka`, `temporal` (the dev server or the real one). Where a port is given, only
 * the instance listening on it counts: the machine may run several.
 */
export function defaultGroupOf(group: ServiceGroup, infra: InfraPorts = {}): GroupOf {
  const postmaster = infra.postgres === undefined ? undefined : listenerPid('postgres', infra.postgres);
  const kafka = infra.kafka === undefined ? undefined : listenerPid('java', infra.kafka, isKafka);
  const temporal = infra.temporal === undefined ? undefined : temporalServerPid(infra.temporal);
  return (pid, comm, ppid) => {
    if (pid === process.pid) return 'bench';
    const service = group.services.find((s) => s.child.pid === pid);
    if (service) return service.name;
    if (comm === 'postgres') return postmaster === undefined || pid === postmaster || ppid === postmaster ? 'pg' : undefined;
    if (TEMPORAL_SERVER_COMMS.includes(comm)) return temporal === undefined || pid === temporal ? 'temporal' : undefined;
    if (comm === 'java' && (kafka === undefined ? isKafka(pid) : pid === kafka)) return 'kafka';
    return undefined;
  };
}

export interface CpuSnapshot {
  atMs: number;
  busyTicks: number;
  /** Ticks per group (PostgreSQL apart). */
  ticks: Map<string, number>;
  /** Ticks of each live PostgreSQL process, by pid. */
  pgTicks: Map<number, number>;
  /** Ticks of PostgreSQL processes that ended (reaped into the postmaster's cutime/cstime). */
  pgReapedTicks: number;
  /** The backends serving the benchmark's processes, at this snapshot. */
  ourBackends: Set<number>;
}

/**
 * Cores used over an interval, per group. `postgres` = the backends serving
 * the bench's processes, `pg other` = the rest of the server; `other` is
 * everything else busy on the machine (other agents, test runs included).
 */
export type CpuUse<G extends string> = Record<G | 'machine' | 'postgres' | 'pg other' | 'other', number>;

function machineBusyTicks(): number {
  // The first line: "cpu  user nice system idle iowait irq softirq steal ...".
  const [cpu = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user = 0, nice = 0, system = 0, _idle, _iowait, irq = 0, softirq = 0, steal = 0] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system + irq + softirq + steal;
}

export function cpuSnapshot(groupOf: GroupOf, ourBackends: Set<number>): CpuSnapshot | null {
  try {
    const snapshot: CpuSnapshot = { atMs: performance.now(), busyTicks: machineBusyTicks(), ticks: new Map(), pgTicks: new Map(), pgReapedTicks: 0, ourBackends };
    for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid ...
        const group = groupOf(Number(name), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), Number(fields[1]));
        if (!group) continue;
        const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
        if (group !== 'pg') snapshot.ticks.set(group, (snapshot.ticks.get(group) ?? 0) + ticks);
        else {
          snapshot.pgTicks.set(Number(name), ticks);
          snapshot.pgReapedTicks += Number(fields[13]) + Number(fields[14]); // cutime, cstime
        }
      } catch {
        // The process ended between the listing and the read.
      }
    }
    return snapshot;
  } catch {
    return null; // not Linux: no CPU figures
  }
}

/** A snapshot whose `postgres` share is the backends serving the processes `pids` (found by their client ports). */
export async function cpuSnapshotOf(
  db: Client,
  pids: (number | undefined)[],
  groupOf: GroupOf,
): Promise<CpuSnapshot | null> {
  const ports = tcpPortsOf(pids);
  const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports]);
  return cpuSnapshot(groupOf, new Set(rows.map((r) => r.pid)));
}

/**
 * The server's CPU over the interval, split into the benchmark's backends
 * (per pid: a backend that started meanwhile counts whole) and the rest.
 */
function pgTicksBetween(before: CpuSnapshot, after: CpuSnapshot): { ours: number; total: number } {
  const sum = (snapshot: CpuSnapshot) => [...snapshot.pgTicks.values()].reduce((a, b) => a + b, 0) + snapshot.pgReapedTicks;
  let ours = 0;
  for (const pid of after.ourBackends) {
    const ticks = after.pgTicks.get(pid);
    if (ticks !== undefined) ours += ticks - (before.pgTicks.get(pid) ?? 0);
  }
  return { ours, total: sum(after) - sum(before) };
}

/** Cores busy per group between two snapshots; a process that ended meanwhile loses its last ticks. */
export function cpuBetween<G extends string>(before: CpuSnapshot | null, after: CpuSnapshot | null, groups: readonly G[]): CpuUse<G> | null {
  if (!before || !after) return null;
  const seconds = (after.atMs - before.atMs) / 1000;
  const cores = (ticks: number) => Math.max(0, ticks) / CLOCK_TICKS_PER_S / seconds;
  const pg = pgTicksBetween(before, after);
  const machine = cores(after.busyTicks - before.busyTicks);
  const use: Record<string, number> = { machine, postgres: cores(pg.ours), 'pg other': cores(pg.total - pg.ours) };
  for (const group of groups) use[group] = cores((after.ticks.get(group) ?? 0) - (before.ticks.get(group) ?? 0));
  use.other = Math.max(0, machine - [...groups, 'postgres', 'pg other'].reduce((sum, g) => sum + (use[g] ?? 0), 0));
  return use as CpuUse<G>;
}
