/**
 * Typed configuration of every process. Defaults live in deploy/defaults.env,
 * the one file the native stack reads too; the environment overrides them.
 * A bad value fails at start with the variable's name.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The checkout: the nearest folder above this file with a package.json (the same from lib/ and from the build's dist/lib/). */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT_DIR = projectRoot(__dirname);
const DEFAULTS_FILE = path.join(ROOT_DIR, 'deploy', 'defaults.env');

/** Parses KEY=VALUE lines (optionally double-quoted values); comments and blanks are skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, key, value] = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()) ?? [];
    if (key === undefined || value === undefined) continue;
    values[key] = value.replace(/^"(.*)"$/, '$1');
  }
  return values;
}

const port = z.coerce.number().int().min(0).max(65535);
/** "24h", "30m", "90s" or milliseconds (parseDurationMs). */
const duration = z.string().regex(/^[0-9]+(ms|s|m|h|d)?$/, 'must be like 24h, 30m, 90s or 5000');

const schema = z.object({
  BIND_HOST: z.string().default('127.0.0.1'),
  /** Where the peers listen (with their *_PORT): loopback natively, compose service names in docker-compose.yml. */
  ACCOUNTS_HOST: z.string().min(1),
  LEDGER_HOST: z.string().min(1),
  READ_MODEL_HOST: z.string().min(1),
  KAFKA_HOST: z.string().min(1),
  TEMPORAL_HOST: z.string().min(1),
  PROMETHEUS_HOST: z.string().min(1),
  GATEWAY_PORT: port,
  ACCOUNTS_PORT: port,
  LEDGER_PORT: port,
  READ_MODEL_PORT: port,
  WORKER_TEMPORAL_METRICS_PORT: port,
  WORKER_METRICS_PORT: port,
  PGHOST: z.string(),
  PGPORT: port,
  PGUSER: z.string(),
  PGPASSWORD: z.string(),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  KAFKA_PORT: port,
  KAFKA_BROKERS: z.string().optional(),
  TEMPORAL_PORT: port,
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string(),
  /** The transfer workflows' task queue; a benchmark or a test runs its own worker on another. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('transfers'),
  TEMPORAL_UI_PORT: port,
  PROMETHEUS_PORT: port,
  ALERTMANAGER_PORT: port,
  /** The native stack's dashboards page (deploy/dashboards). */
  DASHBOARDS_PORT: port,
  OTLP_HTTP_PORT: port,
  /** The trace sink's spans file rotates past this size; this many rotated files are kept (defaults.env). */
  TRACE_FILE_MAX_MB: z.coerce.number().positive().default(64),
  TRACE_FILES_KEPT: z.coerce.number().int().min(0).default(3),
  /** Transfers at or above this amount wait for approval. */
  APPROVAL_THRESHOLD_MINOR: z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be decimal digits').default('1000000'),
  /** How long a transfer waits for a decision: "24h", "30m", "90s" or milliseconds. */
  APPROVAL_TIMEOUT: duration.default('24h'),
  /**
   * How long a hold reserved for approval outlives the approval timeout before
   * the ledger's expiry pass may release it: the net under a hold whose
   * workflow is gone. Generous, so a capture delayed by an outage after a late
   * approval still finds its hold.
   */
  HOLD_EXPIRY_MARGIN: duration.default('1d'),
  /**
   * How often the gateway looks for transfer workflows closed without an
   * outcome (terminated, timed out, failed) and finalizes their transfers
   * (api/workflow-sweeper.ts): the contract wants them final within a minute.
   */
  WORKFLOW_SWEEP_INTERVAL: duration.default('15s'),
  /** How far back, by close time, each sweep looks; a transfer older than that is finalized by the resumer or a decision. */
  WORKFLOW_SWEEP_LOOKBACK: duration.default('1d'),
  /**
   * When the reconciliation Schedule runs, as a cron expression in UTC (5 fields,
   * or Temporal's 6/7-field and @-forms); the worker creates or updates the
   * Schedule at start, pointing it at its own task queue. `off`: this worker
   * leaves the Schedule alone (a benchmark's or a test's worker on a queue of its own).
   */
  RECONCILIATION_CRON: z
    .string()
    .regex(/^(off|@[a-z]+|\S+(\s+\S+){4,6})$/, 'must be a cron expression, e.g. "0 2 * * *", or off')
    .default('0 2 * * *'),
  /** Comma-separated API keys; when empty the gateway runs in development mode (no auth). */
  API_KEYS: z.string().default(''),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export type Config = Readonly<
  z.infer<typeof schema> & {
    kafkaBrokers: string[];
    temporalAddress: string;
    accountsUrl: string;
    ledgerUrl: string;
    readModelUrl: string;
    prometheusUrl: string;
    approvalThresholdMinor: bigint;
    approvalTimeoutMs: number;
    holdExpiryMarginMs: number;
    workflowSweepIntervalMs: number;
    workflowSweepLookbackMs: number;
    apiKeys: string[];
  }
>;

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h" → 86400000; a bare number is milliseconds. */
export function parseDurationMs(text: string): number {
  const [, count, unit = 'ms'] = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text) ?? [];
  const unitMs = DURATION_UNIT_MS[unit];
  if (count === undefined || unitMs === undefined) throw new Error(`not a duration: ${text}`);
  return Number(count) * unitMs;
}

/** Loads the configuration once per call; processes call it at start and pass the result down. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defaults = parseEnvFile(readFileSync(DEFAULTS_FILE, 'utf8'));
  const merged: Record<string, string | undefined> = { ...defaults };
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[key] = value;
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  return Object.freeze({
    ...c,
    kafkaBrokers: (c.KAFKA_BROKERS ?? `${c.KAFKA_HOST}:${c.KAFKA_PORT}`).split(',').map((b) => b.trim()),
    temporalAddress: c.TEMPORAL_ADDRESS ?? `${c.TEMPORAL_HOST}:${c.TEMPORAL_PORT}`,
    accountsUrl: `http://${c.ACCOUNTS_HOST}:${c.ACCOUNTS_PORT}`,
    ledgerUrl: `http://${c.LEDGER_HOST}:${c.LEDGER_PORT}`,
    readModelUrl: `http://${c.READ_MODEL_HOST}:${c.READ_MODEL_PORT}`,
    prometheusUrl: `http://${c.PROMETHEUS_HOST}:${c.PROMETHEUS_PORT}`,
    approvalThresholdMinor: BigInt(c.APPROVAL_THRESHOLD_MINOR),
    approvalTimeoutMs: parseDurationMs(c.APPROVAL_TIMEOUT),
    holdExpiryMarginMs: parseDurationMs(c.HOLD_EXPIRY_MARGIN),
    workflowSweepIntervalMs: parseDurationMs(c.WORKFLOW_SWEEP_INTERVAL),
    workflowSweepLookbackMs: parseDurationMs(c.WORKFLOW_SWEEP_LOOKBACK),
    apiKeys: c.API_KEYS.split(',').map((k) => k.trim()).filter(Boolean),
  });
}

/** Connection settings of one service's database (each service owns one). */
export function databaseUrl(config: Config, database: 'accounts' | 'ledger' | 'readmodel' | string): string {
  const user = encodeURIComponent(config.PGUSER);
  const password = encodeURIComponent(config.PGPASSWORD);
  return `postgres://${user}:${password}@${config.PGHOST}:${config.PGPORT}/${database}`;
}
