/**
 * Typed configuration of every process, and its one description: each
 * variable's type, default, readers and meaning are in configSchema below;
 * `npm run docs:config` writes docs/configuration.md and deploy/defaults.env
 * from it. Node reads deploy/defaults.env, as the native stack's bash does, so
 * both see the same values; the environment overrides them. A bad value fails
 * at start with the variable's name.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AMOUNT_MINOR_MAX, amountMinorOf, parseAmountMinor } from './money';
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
    const [, key, value] = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()) ?? [];
    if (key === undefined || value === undefined) continue;
    values[key] = value.replace(/^"(.*)"$/, '$1');
  }
  return values;
}

/**
 * Who reads a variable, for docs/configuration.md: the processes by their
 * deploy/stack names, `node` for every Node process (read through
 * process.env by a shared module), the commands, and `deploy/stack` (the
 * native stack's bash, with the configurations it renders for PostgreSQL,
 * Kafka, Temporal, Prometheus and Alertmanager).
 */
export type ConfigReader =
  | 'gateway'
  | 'accounts'
  | 'ledger'
  | 'read-model'
  | 'worker'
  | 'trace-sink'
  | 'dashboards'
  | 'node'
  | 'readmodel:rebuild'
  | 'api-client'
  | 'kafka-topics'
  | 'deploy/stack';

/** The documentation of one variable, registered beside its type in the schema. */
export interface VariableDoc {
  readBy: readonly ConfigReader[];
  meaning: string;
  /** Why a variable with a default has no line in deploy/defaults.env (a secret: each deployment makes its own). */
  notInDefaultsEnv?: string;
}

/** Every variable of the schema has one entry (test/deploy/configuration-doc.unit.test.ts): docs/configuration.md and deploy/defaults.env are generated from them. */
export const CONFIG_DOCS = z.registry<VariableDoc>();

/** The processes that use PostgreSQL (lib/pg.ts createPool). */
const DATABASE_USERS: ConfigReader[] = ['gateway', 'accounts', 'ledger', 'read-model', 'worker'];
/** The processes that reach Kafka (lib/kafka.ts createKafka). */
const KAFKA_USERS: ConfigReader[] = ['accounts', 'ledger', 'read-model', 'kafka-topics'];
/** Every process that calls loadConfig and an internal service or is one: what SERVICE_TOKENS_DIR serves. */
const CREDENTIAL_USERS: ConfigReader[] = ['gateway', 'accounts', 'ledger', 'read-model', 'worker', 'readmodel:rebuild'];
const SECRET = 'a secret, made for each deployment by deploy/stack and docker-compose.yml';

const port = z.coerce.number().int().min(0).max(65535);
/** "24h", "30m", "90s" or milliseconds (parseDurationMs). */
const duration = z.string().regex(/^[0-9]+(ms|s|m|h|d)?$/, 'must be like 24h, 30m, 90s or 5000');
const cron = (example: string) => z.string().regex(/^(off|@[a-z]+|\S+(\s+\S+){4,6})$/, `must be a cron expression, e.g. "${example}", or off`);

/**
 * Every variable a Node process reads through loadConfig: its type, its
 * default and (CONFIG_DOCS) who reads it and what it means. The one
 * description: `npm run docs:config` writes docs/configuration.md and
 * deploy/defaults.env from it (and deploy/config-doc/stack-variables.ts, the
 * variables only the native stack's bash or the environment give).
 */
export const configSchema = z.object({
  GATEWAY_BIND_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['gateway', 'dashboards'],
    meaning: 'Where the public gateway and the pages meant for people (the dashboards page) listen. docker-compose.yml: 0.0.0.0.',
  }),
  INTERNAL_BIND_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['accounts', 'ledger', 'read-model', 'worker', 'trace-sink'],
    meaning:
      'Where what only the system itself calls listens: the accounts, ledger and read-model services (which also want a service credential), ' +
      "the worker's metrics and the trace sink. Loopback unless a container network isolates them (docker-compose.yml: 0.0.0.0).",
  }),
  ACCOUNTS_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['gateway', 'ledger'],
    meaning: 'Where the callers find the accounts service (with ACCOUNTS_PORT): loopback natively, the compose service name in docker-compose.yml.',
  }),
  LEDGER_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker', 'readmodel:rebuild'],
    meaning: 'Where the callers find the ledger service (with LEDGER_PORT).',
  }),
  READ_MODEL_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker'],
    meaning: 'Where the callers find the read-model service (with READ_MODEL_PORT).',
  }),
  KAFKA_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: KAFKA_USERS,
    meaning: 'Where the Kafka broker is (with KAFKA_PORT), unless KAFKA_BROKERS lists the brokers.',
  }),
  TEMPORAL_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker'],
    meaning: "Where the Temporal frontend is (with TEMPORAL_PORT), unless TEMPORAL_ADDRESS or a Temporal client profile says (docs/temporal-connection.md).",
  }),
  PROMETHEUS_HOST: z.string().min(1).default('127.0.0.1').register(CONFIG_DOCS, {
    readBy: ['dashboards'],
    meaning: 'Where the dashboards page finds Prometheus (with PROMETHEUS_PORT).',
  }),
  GATEWAY_PORT: port.default(4000).register(CONFIG_DOCS, { readBy: ['gateway', 'deploy/stack'], meaning: 'The public API (the gateway).' }),
  ACCOUNTS_PORT: port.default(7101).register(CONFIG_DOCS, { readBy: ['accounts', 'gateway', 'ledger', 'deploy/stack'], meaning: 'The accounts service.' }),
  LEDGER_PORT: port.default(7102).register(CONFIG_DOCS, {
    readBy: ['ledger', 'gateway', 'worker', 'readmodel:rebuild', 'deploy/stack'],
    meaning: 'The ledger service.',
  }),
  READ_MODEL_PORT: port.default(7104).register(CONFIG_DOCS, { readBy: ['read-model', 'gateway', 'worker', 'deploy/stack'], meaning: 'The read-model service.' }),
  WORKER_TEMPORAL_METRICS_PORT: port.default(9464).register(CONFIG_DOCS, {
    readBy: ['worker', 'deploy/stack'],
    meaning: "The Temporal SDK's metrics of the worker (Prometheus scrapes it).",
  }),
  WORKER_METRICS_PORT: port.default(9465).register(CONFIG_DOCS, {
    readBy: ['worker', 'deploy/stack'],
    meaning: "The worker's own /metrics, /healthz and /readyz.",
  }),
  PGHOST: z.string().default('127.0.0.1').register(CONFIG_DOCS, { readBy: DATABASE_USERS, meaning: 'The PostgreSQL server (one database per service).' }),
  PGPORT: port.default(5433).register(CONFIG_DOCS, { readBy: [...DATABASE_USERS, 'deploy/stack'], meaning: "PostgreSQL's port (5433: apart from a system PostgreSQL on 5432)." }),
  PGUSER: z.string().default('ledger').register(CONFIG_DOCS, { readBy: [...DATABASE_USERS, 'deploy/stack'], meaning: 'The role every service connects as.' }),
  PGPASSWORD: z.string().default('ledger').register(CONFIG_DOCS, {
    readBy: [...DATABASE_USERS, 'deploy/stack'],
    meaning: "That role's password: a development default, which the native stack's PostgreSQL (loopback only) is created with.",
  }),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10).register(CONFIG_DOCS, {
    readBy: DATABASE_USERS,
    meaning: "Connections of a process's main pool to its database (an outbox relay has 2 of its own).",
  }),
  KAFKA_PORT: port.default(9092).register(CONFIG_DOCS, { readBy: [...KAFKA_USERS, 'deploy/stack'], meaning: "The Kafka broker's client listener." }),
  KAFKA_BROKERS: z.string().optional().register(CONFIG_DOCS, {
    readBy: KAFKA_USERS,
    meaning: 'Comma-separated host:port of the brokers; unset: KAFKA_HOST:KAFKA_PORT.',
  }),
  TEMPORAL_PORT: port.default(7233).register(CONFIG_DOCS, { readBy: ['gateway', 'worker', 'deploy/stack'], meaning: 'The Temporal frontend (gRPC).' }),
  TEMPORAL_ADDRESS: z.string().optional().register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker'],
    meaning: "Temporal's host:port; unset: TEMPORAL_HOST:TEMPORAL_PORT. Also read by the Temporal client configuration (docs/temporal-connection.md).",
  }),
  TEMPORAL_NAMESPACE: z.string().default('default').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker', 'deploy/stack'],
    meaning: 'The Temporal namespace of the workflows (deploy/stack creates it with the search attributes of deploy/search-attributes.txt).',
  }),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('transfers').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker'],
    meaning: "The workflows' task queue; a benchmark or a test runs its own worker on another.",
  }),
  TEMPORAL_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[^.:\s]+$/, 'must not contain ".", ":" or white space')
    .default('credit-ledger')
    .register(CONFIG_DOCS, {
      readBy: ['worker'],
      meaning:
        'The Worker Deployment the worker joins (Worker Versioning, docs/architecture.md "Versioning"); its version is the build id, a hash of its workflow code. ' +
        "A worker on a task queue of its own (a benchmark) names another deployment, so it never becomes the version the stack's queue is routed to.",
    }),
  TEMPORAL_CURRENT_VERSION: z
    .enum(['start', 'off'])
    .default('start')
    .register(CONFIG_DOCS, {
      readBy: ['worker'],
      meaning:
        "start: the worker makes its version the deployment's current one once it polls (new workflows start on it). " +
        'off: it only polls, and an operator makes it current (`temporal worker deployment set-current-version`), e.g. to ramp a new build.',
    }),
  TEMPORAL_UI_PORT: port.default(8233).register(CONFIG_DOCS, { readBy: ['deploy/stack'], meaning: 'The Temporal Web UI.' }),
  PROMETHEUS_PORT: port.default(9090).register(CONFIG_DOCS, { readBy: ['dashboards', 'deploy/stack'], meaning: 'Prometheus.' }),
  ALERTMANAGER_PORT: port.default(9097).register(CONFIG_DOCS, {
    readBy: ['deploy/stack'],
    meaning: "Alertmanager (deploy/alertmanager); not its default 9093, which is Kafka's controller here.",
  }),
  DASHBOARDS_PORT: port.default(3001).register(CONFIG_DOCS, {
    readBy: ['dashboards', 'deploy/stack'],
    meaning: 'The dashboards page (deploy/dashboards): the panels of grafana/*.json drawn from Prometheus, without Grafana.',
  }),
  OTLP_HTTP_PORT: port.default(4318).register(CONFIG_DOCS, {
    readBy: ['trace-sink', 'node', 'deploy/stack'],
    meaning: 'The trace sink (OTLP over HTTP), where every Node process sends its spans unless OTEL_EXPORTER_OTLP_ENDPOINT says otherwise.',
  }),
  TRACE_FILE_MAX_MB: z.coerce.number().positive().default(64).register(CONFIG_DOCS, {
    readBy: ['trace-sink'],
    meaning:
      "The trace sink's $DATA_DIR/traces/spans.jsonl moves to spans.jsonl.1 (then .2, ...) when the next span would take it past this size; " +
      "so the traces take at most (1 + TRACE_FILES_KEPT) x TRACE_FILE_MAX_MB (256 MB: a posted transfer's spans took 35 KB, about 12 minutes of traces at 10 transfers/s).",
  }),
  TRACE_FILES_KEPT: z.coerce.number().int().min(0).default(3).register(CONFIG_DOCS, {
    readBy: ['trace-sink'],
    meaning: 'How many rotated span files are kept; older ones are deleted.',
  }),
  APPROVAL_THRESHOLD_MINOR: z
    .string()
    .refine((value) => parseAmountMinor(value, { allowZero: true }).ok, `must be decimal digits, 0 to ${AMOUNT_MINOR_MAX}`)
    .default('1000000')
    .register(CONFIG_DOCS, { readBy: ['gateway'], meaning: 'Transfers at or above this amount (minor units) wait for approval.' }),
  BATCH_CHUNK_SIZE: z.coerce.number().int().min(1).max(1000).default(500).register(CONFIG_DOCS, {
    readBy: ['gateway'],
    meaning:
      'Items of an independent transfer batch posted per ledger transaction (one workflow step each). Larger chunks cost fewer steps and ' +
      'hold their balance rows locked longer; 500 was the best balance measured (bench/README.md, "2026-12-05: transfer batches").',
  }),
  APPROVAL_TIMEOUT: duration.default('24h').register(CONFIG_DOCS, {
    readBy: ['gateway'],
    meaning: 'How long a transfer waits for a decision: "24h", "30m", "90s" or milliseconds.',
  }),
  HOLD_EXPIRY_MARGIN: duration.default('1d').register(CONFIG_DOCS, {
    readBy: ['worker'],
    meaning:
      "How long a hold reserved for approval outlives the approval timeout before the ledger's expiry pass may release it: the net under a hold " +
      'whose workflow is gone (the workflow voids its own hold long before). Generous, so a capture delayed by an outage after a late approval still finds its hold.',
  }),
  WORKFLOW_SWEEP_INTERVAL: duration.default('15s').register(CONFIG_DOCS, {
    readBy: ['gateway'],
    meaning:
      'How often the gateway finalizes transfers whose workflow closed without an outcome (terminated, timed out, failed: failed WORKFLOW_TERMINATED, ' +
      'hold released; api/workflow-sweeper.ts). The contract wants them final within a minute.',
  }),
  WORKFLOW_SWEEP_LOOKBACK: duration.default('1d').register(CONFIG_DOCS, {
    readBy: ['gateway'],
    meaning: 'How far back, by close time, each sweep looks; a transfer older than that is finalized by the resumer or a decision.',
  }),
  RECONCILIATION_CRON: cron('0 2 * * *')
    .default('0 2 * * *')
    .register(CONFIG_DOCS, {
      readBy: ['worker'],
      meaning:
        "When the reconciliation Schedule runs: a cron expression in UTC (5 fields, or Temporal's 6/7-field and @-forms). The worker creates or " +
        'updates the Schedule at start, pointing it at its own task queue. off: this worker leaves the Schedule alone (a benchmark\'s or a test\'s worker on a queue of its own).',
    }),
  IDEMPOTENCY_RETENTION: duration
    .refine((text) => parseDurationMs(text) >= 86_400_000, 'must be at least 24h')
    .default('7d')
    .register(CONFIG_DOCS, {
      readBy: ['worker'],
      meaning:
        "How long an Idempotency-Key replays its first answer; older keys are purged (the key -> transfer mapping only: the transfer stays, and the key may be used again). At least 24h, the contract's promise.",
    }),
  IDEMPOTENCY_PURGE_CRON: cron('17 * * * *')
    .default('17 * * * *')
    .register(CONFIG_DOCS, {
      readBy: ['worker'],
      meaning: 'When the idempotency purge Schedule runs (cron, UTC), or off (a worker of a benchmark or a test).',
    }),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).default(6000).register(CONFIG_DOCS, {
    readBy: ['gateway'],
    meaning:
      'Writes (POST, PUT, PATCH, DELETE of /v1) one principal may send per minute to one gateway process; past it, 429 with Retry-After. 0: no limit. ' +
      '6000 (100/s) is far above the benchmarks, drills, Schemathesis and the history check, which stay under 70 writes/s.',
  }),
  ACCOUNTS_CALLER_TOKENS: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['accounts'],
    meaning: 'The callers the accounts service accepts, caller=token,... (docs/architecture.md, "Service credentials"); empty: it refuses to start.',
    notInDefaultsEnv: SECRET,
  }),
  LEDGER_CALLER_TOKENS: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['ledger'],
    meaning: 'The callers the ledger service accepts, caller=token,...',
    notInDefaultsEnv: SECRET,
  }),
  READ_MODEL_CALLER_TOKENS: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['read-model'],
    meaning: 'The callers the read-model service accepts, caller=token,...',
    notInDefaultsEnv: SECRET,
  }),
  ACCOUNTS_TOKEN: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['gateway', 'ledger'],
    meaning: 'The token this process sends to the accounts service; a caller without it refuses to start.',
    notInDefaultsEnv: SECRET,
  }),
  LEDGER_TOKEN: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker', 'readmodel:rebuild'],
    meaning: 'The token this process sends to the ledger service.',
    notInDefaultsEnv: SECRET,
  }),
  READ_MODEL_TOKEN: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['gateway', 'worker'],
    meaning: 'The token this process sends to the read-model service.',
    notInDefaultsEnv: SECRET,
  }),
  SERVICE_TOKENS_DIR: z.string().optional().register(CONFIG_DOCS, {
    readBy: CREDENTIAL_USERS,
    meaning:
      'A directory with one file per credential variable above, read when the variable is not set; deploy/stack gives each app its own (.data/run/service-tokens/NAME), compose a volume.',
  }),
  API_CLIENTS_FILE: z.string().default('').register(CONFIG_DOCS, {
    readBy: ['gateway', 'api-client', 'deploy/stack'],
    meaning:
      'The gateway\'s API clients: a JSON file of { id, roles, keySha256 } written by `npm run api-client -- add <id> --roles ...` (absolute, or relative to the checkout). ' +
      'Empty: development mode (no keys; every request holds every role, four-eyes off), which the gateway and deploy/stack up say loudly.',
  }),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .register(CONFIG_DOCS, { readBy: ['node'], meaning: 'The level of every Node process\'s log (pino): trace, debug, info, warn, error, fatal or silent.' }),
});
export type Config = Readonly<
  z.infer<typeof configSchema> & {
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
  // A credential set in the environment wins over its file.
  if (merged.SERVICE_TOKENS_DIR) {
    for (const [key, value] of Object.entries(readCredentialDirectory(merged.SERVICE_TOKENS_DIR))) if (!merged[key]) merged[key] = value;
  }
  const parsed = configSchema.safeParse(merged);
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
    approvalThresholdMinor: amountMinorOf(c.APPROVAL_THRESHOLD_MINOR, 'APPROVAL_THRESHOLD_MINOR', { allowZero: true }),
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
