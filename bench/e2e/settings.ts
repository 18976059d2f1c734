/**
 * The knobs of bench/transfers-e2e.ts, read once from the environment. Every
 * one is bounded, so no setting makes the run endless.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { intFromEnv, ROOT_DIR } from '../support';

/** "10,25" -> [10, 25]; each rate above 0 and at most 500 per second, at most 5 of them; "none" -> []. */
function ratesFromEnv(name: string, fallback: number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  if (text.trim() === 'none') return [];
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (rates.length > 5 || rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 500)) {
    throw new Error(`${name} must be up to 5 comma-separated rates per second, each above 0 and at most 500, got ${text}`);
  }
  return rates;
}

/** The short commit of a checkout, "+changes" when its tracked files differ from it; "?" outside git. */
function commitOf(root: string): string {
  try {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return '?';
  }
}

const config = loadConfig();
const appRoot = path.resolve(process.env.BENCH_APP_ROOT || ROOT_DIR);
const appCommit = commitOf(appRoot);

/** 'dist': the apps run compiled, as deploy/stack runs them (a checkout with deploy/build); 'tsx': from TypeScript, as before that. */
function appRuntimeFromEnv(): 'dist' | 'tsx' {
  const value = process.env.BENCH_APP_RUNTIME || (existsSync(path.join(appRoot, 'deploy', 'build')) ? 'dist' : 'tsx');
  if (value !== 'dist' && value !== 'tsx') throw new Error(`BENCH_APP_RUNTIME must be dist or tsx, not ${JSON.stringify(value)}`);
  return value;
}

export const settings = {
  /** The checkout whose gateway, worker, accounts, ledger and read model are measured (the bench, its ceiling and the infrastructure stay this one's). */
  appRoot,
  appCommit,
  appRuntime: appRuntimeFromEnv(),
  benchCommit: commitOf(ROOT_DIR),
  /** Names the results file: bench/results/transfers-e2e-<label>.json. */
  label: (process.env.BENCH_LABEL || (appRoot === ROOT_DIR ? 'current' : path.basename(appRoot))).replace(/[^A-Za-z0-9._-]/g, '_'),
  clients: intFromEnv('BENCH_CLIENTS', 32, 1, 256),
  /** Long enough for a freshly started worker's first burst of workflows to pass before anything is counted. */
  warmupS: intFromEnv('BENCH_WARMUP_S', 10, 0, 60),
  durationS: intFromEnv('BENCH_DURATION_S', 30, 1, 600),
  openRates: ratesFromEnv('BENCH_OPEN_RATES', [10, 25]),
  accountCount: intFromEnv('BENCH_ACCOUNTS', 40, 2, 1000),
  maxBacklog: intFromEnv('BENCH_MAX_BACKLOG', 1500, 1, 100_000),
  drainTimeoutS: intFromEnv('BENCH_DRAIN_TIMEOUT_S', 120, 10, 1800),
  /** The whole run: drains are cut to what is left of it, and a scenario that no longer fits is skipped (and said so). */
  maxRunS: intFromEnv('BENCH_MAX_RUN_S', 600, 60, 7200),
  /**
   * Local activities of the ceiling's bare workflow: as many as a transfer
   * below the threshold has steps (reserve-and-capture, the status record;
   * 3 in app checkouts from before the one-step post: reserve, capture, the status record).
   */
  ceilingSteps: intFromEnv('BENCH_CEILING_STEPS', 2, 0, 50),
  /** Measured seconds of the ceiling; BENCH_DURATION_S when not given. */
  ceilingS: intFromEnv('BENCH_CEILING_S', intFromEnv('BENCH_DURATION_S', 30, 1, 600), 1, 600),
  /** 1: also a closed loop with every app process restarted with OTEL_SDK_DISABLED=true. */
  untraced: intFromEnv('BENCH_UNTRACED', 0, 0, 1) === 1,
  config,
  /** The app processes take the stack's own ports (Prometheus scrapes them as it would the stack's); stop the stack's app processes first. */
  ports: {
    accounts: intFromEnv('BENCH_ACCOUNTS_PORT', config.ACCOUNTS_PORT, 1, 65535),
    ledger: intFromEnv('BENCH_LEDGER_PORT', config.LEDGER_PORT, 1, 65535),
    readModel: intFromEnv('BENCH_READ_MODEL_PORT', config.READ_MODEL_PORT, 1, 65535),
    gateway: intFromEnv('BENCH_GATEWAY_PORT', config.GATEWAY_PORT, 1, 65535),
    workerMetrics: intFromEnv('BENCH_WORKER_METRICS_PORT', config.WORKER_METRICS_PORT, 1, 65535),
    workerTemporalMetrics: intFromEnv('BENCH_WORKER_TEMPORAL_METRICS_PORT', config.WORKER_TEMPORAL_METRICS_PORT, 1, 65535),
    otlpSink: intFromEnv('BENCH_OTLP_SINK_PORT', 14318, 1, 65535),
    ceilingWorker: intFromEnv('BENCH_CEILING_WORKER_PORT', 19466, 1, 65535),
    ceilingWorkerTemporalMetrics: intFromEnv('BENCH_CEILING_WORKER_TEMPORAL_METRICS_PORT', 19467, 1, 65535),
    temporalMetrics: intFromEnv('BENCH_TEMPORAL_METRICS_PORT', 0, 0, 65535),
  },
  /**
   * Scale-out, named as deploy/stack names it: WORKER_INSTANCES worker processes (worker K on the
   * worker's ports + 10 x (K - 1)), and ACCOUNTS_, LEDGER_, READ_MODEL_INSTANCES copies of those
   * services behind their one port (lib/cluster; the variables reach them through the environment).
   */
  instances: {
    worker: intFromEnv('WORKER_INSTANCES', 1, 1, 16),
    accounts: intFromEnv('ACCOUNTS_INSTANCES', 1, 1, 16),
    ledger: intFromEnv('LEDGER_INSTANCES', 1, 1, 16),
    'read-model': intFromEnv('READ_MODEL_INSTANCES', 1, 1, 16),
  },
  taskQueue: `bench-${process.pid}`,
  ceilingTaskQueue: `bench-ceiling-${process.pid}`,
  otlpEndpoint: process.env.BENCH_OTLP_ENDPOINT || null,
};

export type Settings = typeof settings;

/**
 * stopping: set on SIGINT/SIGTERM: the load and the waits stop, the services
 * are stopped, the script exits. startedMs: when the run began (Date.now()).
 */
export const run = { stopping: false, startedMs: Date.now() };

/** Seconds left of BENCH_MAX_RUN_S. */
export function remainingS(): number {
  return Math.max(0, settings.maxRunS - (Date.now() - run.startedMs) / 1000);
}

/** How long a drain may wait now: the drain timeout, or what is left of the run if less (at least 5 s, to read the figures). */
export function drainLimitS(): number {
  return Math.max(5, Math.min(settings.drainTimeoutS, remainingS()));
}
