/**
 * Typed configuration of every process. Defaults live in deploy/defaults.env,
 * the one file the native stack reads too; the environment overrides them.
 * A bad value fails at start with the variable's name.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseCallerTokens, checkToken, type CallerToken } from './service-auth/tokens';
import { INTERNAL_SERVICES, readCredentialDirectory, type InternalService } from './service-auth/topology';

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
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    values[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  return values;
}

const port = z.coerce.number().int().min(0).max(65535);
/** "24h", "30m", "90s" or milliseconds (parseDurationMs). */
const duration = z.string().regex(/^[0-9]+(ms|s|m|h|d)?$/, 'must be like 24h, 30m, 90s or 5000');

const schema = z.object({
  /** Where the gateway and the pages meant for people (the dashboards) listen; docker-compose.yml: 0.0.0.0. */
  GATEWAY_BIND_HOST: z.string().min(1),
  /** Where the internal services, the worker's metrics and the trace sink listen: loopback unless a container network isolates them. */
  INTERNAL_BIND_HOST: z.string().min(1),
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
  /**
   * The Worker Deployment the worker joins, as the version its build id names
   * (Worker Versioning: workers/deployment-version.ts). A worker on a task
   * queue of its own (a benchmark) names another deployment, so it never
   * becomes the version the stack's queue is routed to.
   */
  TEMPORAL_DEPLOYMENT_NAME: z.string().regex(/^[^.:\s]+$/, 'must not contain ".", ":" or white space').default('credit-ledger'),
  /**
   * `start`: the worker makes its version the deployment's current one once it
   * polls (new workflows start on it). `off`: it only polls, and an operator
   * makes it current (`temporal worker deployment set-current-version`), e.g.
   * to ramp a new build.
   */
  TEMPORAL_CURRENT_VERSION: z.enum(['start', 'off']).default('start'),
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
  /**
   * How long an Idempotency-Key replays its first answer; older keys are
   * purged (the transfer stays, the key may be used again). At least 24 h,
   * the contract's promise.
   */
  IDEMPOTENCY_RETENTION: duration.refine((text) => parseDurationMs(text) >= 86_400_000, 'must be at least 24h').default('7d'),
  /** When the idempotency purge Schedule runs (cron, UTC), or off (a worker of a benchmark or a test). */
  IDEMPOTENCY_PURGE_CRON: z
    .string()
    .regex(/^(off|@[a-z]+|\S+(\s+\S+){4,6})$/, 'must be a cron expression, e.g. "17 * * * *", or off')
    .default('17 * * * *'),
  /**
   * Writes (POST, PUT, PATCH, DELETE of /v1) one principal may send per
   * minute, per gateway process; past it, 429 with Retry-After. 0: no limit.
   */
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
  /**
   * Service credentials (lib/service-auth): the callers an internal service
   * accepts (`caller=token,...`), and the token this process sends to each
   * service it calls. No defaults: deploy/stack and docker-compose.yml make
   * them; SERVICE_TOKENS_DIR names a directory with one file per variable.
   */
  ACCOUNTS_CALLER_TOKENS: z.string().default(''),
  LEDGER_CALLER_TOKENS: z.string().default(''),
  READ_MODEL_CALLER_TOKENS: z.string().default(''),
  ACCOUNTS_TOKEN: z.string().default(''),
  LEDGER_TOKEN: z.string().default(''),
  READ_MODEL_TOKEN: z.string().default(''),
  SERVICE_TOKENS_DIR: z.string().optional(),
  /**
   * The gateway's API clients: a JSON file of `{ id, roles, keySha256 }`
   * (api/clients.ts, written by `npm run api-client`). Empty: development
   * mode, no keys, every request the one principal with every role.
   */
  API_CLIENTS_FILE: z.string().default(''),
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
    idempotencyRetentionMs: number;
    /** The callers each internal service accepts (empty: none configured; the service refuses to start). */
    callerTokens: Readonly<Record<InternalService, readonly CallerToken[]>>;
  }
>;

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h" → 86400000; a bare number is milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * DURATION_UNIT_MS[match[2] ?? 'ms'];
}

/** Loads the configuration once per call; processes call it at start and pass the result down. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const defaults = parseEnvFile(readFileSync(DEFAULTS_FILE, 'utf8'));
  const merged: Record<string, string | undefined> = { ...defaults };
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[key] = value;
  // A credential set in the environment wins over its file.
  if (merged.SERVICE_TOKENS_DIR) {
    for (const [key, value] of Object.entries(readCredentialDirectory(merged.SERVICE_TOKENS_DIR))) if (!merged[key]) merged[key] = value;
  }
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  let callerTokens: Record<InternalService, readonly CallerToken[]>;
  try {
    callerTokens = {
      accounts: parseCallerTokens(c.ACCOUNTS_CALLER_TOKENS, 'ACCOUNTS_CALLER_TOKENS'),
      ledger: parseCallerTokens(c.LEDGER_CALLER_TOKENS, 'LEDGER_CALLER_TOKENS'),
      'read-model': parseCallerTokens(c.READ_MODEL_CALLER_TOKENS, 'READ_MODEL_CALLER_TOKENS'),
    };
    for (const variable of ['ACCOUNTS_TOKEN', 'LEDGER_TOKEN', 'READ_MODEL_TOKEN'] as const) checkToken(c[variable], variable);
  } catch (error) {
    throw new Error(`invalid configuration: ${(error as Error).message}`);
  }
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
    idempotencyRetentionMs: parseDurationMs(c.IDEMPOTENCY_RETENTION),
    callerTokens: Object.freeze(callerTokens),
  });
}

/**
 * The callers `service` accepts, or a start-up failure that says how to give
 * them: an internal service never runs open.
 */
export function requireCallerTokens(config: Config, service: InternalService): readonly CallerToken[] {
  const callers = config.callerTokens[service];
  if (callers.length > 0) return callers;
  const variable = INTERNAL_SERVICES[service].callersVariable;
  throw new Error(
    `${variable} is empty: the ${service} service refuses to start without the callers it accepts. ` +
      `Set ${variable}=caller=token,... (tokens of at least 32 characters) or SERVICE_TOKENS_DIR to a directory holding a ${variable} file; ` +
      'deploy/stack up and docker compose up make them (docs/architecture.md, "Service credentials").',
  );
}

/** The token this process sends to each service it calls, or a start-up failure naming the first missing one. */
export function requireServiceTokens<S extends InternalService>(config: Config, services: readonly S[]): Record<S, string> {
  const tokens = {} as Record<S, string>;
  for (const service of services) {
    const variable = INTERNAL_SERVICES[service].tokenVariable;
    if (config[variable] === '') {
      throw new Error(
        `${variable} is empty: this process calls the ${service} service, which answers 401 without its token. ` +
          `Set ${variable} or SERVICE_TOKENS_DIR (deploy/stack up and docker compose up make them; docs/architecture.md, "Service credentials").`,
      );
    }
    tokens[service] = config[variable];
  }
  return tokens;
}

/** Connection settings of one service's database (each service owns one). */
export function databaseUrl(config: Config, database: 'accounts' | 'ledger' | 'readmodel' | string): string {
  const user = encodeURIComponent(config.PGUSER);
  const password = encodeURIComponent(config.PGPASSWORD);
  return `postgres://${user}:${password}@${config.PGHOST}:${config.PGPORT}/${database}`;
}
