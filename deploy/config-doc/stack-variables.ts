/**
 * The variables outside lib/config.ts's schema, described as the schema's
 * are: those only the native stack's bash reads (with a default, so a line of
 * deploy/defaults.env), and those read from the environment alone (no line
 * there: unset has a meaning of its own). With the schema, the one
 * description docs/configuration.md and deploy/defaults.env are generated from.
 */
import type { ConfigReader } from '../../lib/config';

export interface OutsideVariable {
  readBy: readonly ConfigReader[];
  meaning: string;
  /** The line of deploy/defaults.env; none: environment only, `unset` says what its absence means. */
  default?: string;
  unset?: string;
}

/** A listener of TEMPORAL_MODE=server that no client uses. */
const serverPort = (what: string): string => `TEMPORAL_MODE=server only: ${what} of the real Temporal server; nothing outside the server uses it.`;

/** Read by deploy/stack only (and the configurations it renders), each with its line in deploy/defaults.env. */
export const STACK_VARIABLES: Readonly<Record<string, OutsideVariable>> = {
  KAFKA_CONTROLLER_PORT: { default: '9093', readBy: ['deploy/stack'], meaning: "The Kafka node's KRaft controller listener (deploy/kafka/server.properties)." },
  KAFKA_HEAP_OPTS: { default: '-Xms256m -Xmx512m', readBy: ['deploy/stack'], meaning: "Kafka's JVM heap." },
  TEMPORAL_METRICS_PORT: {
    default: '7235',
    readBy: ['deploy/stack'],
    meaning: "The Temporal server's own /metrics (frontend, matching, history, persistence), scraped by Prometheus (job temporal-server).",
  },
  TEMPORAL_MODE: {
    default: 'dev',
    readBy: ['deploy/stack'],
    meaning:
      'Which Temporal the native stack runs: dev (`temporal server start-dev`, SQLite) or server (a real Temporal server on the stack\'s PostgreSQL, ' +
      'built from Go modules into .tools/, with the Temporal UI server: deploy/temporal-server/, deploy/README.md). Clients see the same frontend, UI and metrics ports; ' +
      "the server's other listeners (TEMPORAL_SERVER_*_PORT) stay within 7233-7243, so stacks 100 ports apart never meet.",
  },
  TEMPORAL_SERVER_HISTORY_PORT: { default: '7234', readBy: ['deploy/stack'], meaning: serverPort("the history service's gRPC port") },
  TEMPORAL_SERVER_MATCHING_PORT: { default: '7236', readBy: ['deploy/stack'], meaning: serverPort("the matching service's gRPC port") },
  TEMPORAL_SERVER_WORKER_PORT: { default: '7237', readBy: ['deploy/stack'], meaning: serverPort("the (system) worker service's gRPC port") },
  TEMPORAL_SERVER_FRONTEND_MEMBERSHIP_PORT: { default: '7238', readBy: ['deploy/stack'], meaning: serverPort("the frontend's ringpop membership port") },
  TEMPORAL_SERVER_HISTORY_MEMBERSHIP_PORT: { default: '7239', readBy: ['deploy/stack'], meaning: serverPort("the history service's ringpop membership port") },
  TEMPORAL_SERVER_MATCHING_MEMBERSHIP_PORT: { default: '7240', readBy: ['deploy/stack'], meaning: serverPort("the matching service's ringpop membership port") },
  TEMPORAL_SERVER_WORKER_MEMBERSHIP_PORT: { default: '7241', readBy: ['deploy/stack'], meaning: serverPort("the worker service's ringpop membership port") },
  TEMPORAL_SERVER_HTTP_PORT: { default: '7243', readBy: ['deploy/stack'], meaning: serverPort("the frontend's HTTP API") },
  TEMPORAL_SQLITE_PRAGMAS: {
    default: 'journal_mode=WAL synchronous=NORMAL',
    readBy: ['deploy/stack'],
    meaning:
      "SQLite pragmas of the Temporal dev server, space-separated PRAGMA=VALUE pairs, or none for SQLite's own. WAL + NORMAL halves the server's CPU per " +
      'workflow; synchronous=NORMAL measured as fast as OFF and, unlike OFF, cannot corrupt the file on a power loss. What each risks, the figures: deploy/README.md.',
  },
  LOG_FILE_MAX_MB: {
    default: '10',
    readBy: ['deploy/stack'],
    meaning:
      "Each process's log ($DATA_DIR/logs/NAME.log, written through deploy/rotate-log) moves to NAME.log.1 (then .2, ...) when the next line would take it past this size; " +
      'so a log takes at most (1 + LOG_FILES_KEPT) x LOG_FILE_MAX_MB (30 MB; 11 processes: 330 MB).',
  },
  LOG_FILES_KEPT: { default: '2', readBy: ['deploy/stack'], meaning: 'How many rotated log files of each process are kept; older ones are deleted.' },
};

/** Read from the environment alone: no line in deploy/defaults.env. */
export const ENVIRONMENT_VARIABLES: Readonly<Record<string, OutsideVariable>> = {
  ACCOUNTS_INSTANCES: { unset: '1', readBy: ['accounts', 'deploy/stack'], meaning: 'Copies of the accounts service (1 to 16, lib/cluster): README, "Scale".' },
  LEDGER_INSTANCES: { unset: '1', readBy: ['ledger', 'deploy/stack'], meaning: 'Copies of the ledger service.' },
  READ_MODEL_INSTANCES: { unset: '1', readBy: ['read-model', 'deploy/stack'], meaning: 'Copies of the read-model service.' },
  WORKER_INSTANCES: { unset: '1', readBy: ['deploy/stack'], meaning: 'Worker processes polling the same task queue, each with its own metrics ports.' },
  WORKER_TUNING: {
    unset: "workers/tuning.ts's settings",
    readBy: ['worker'],
    meaning: 'A JSON object laid over the worker\'s Worker.create settings (e.g. {"maxCachedWorkflows":100}), to measure others without a code change.',
  },
  DATA_DIR: { unset: '.data', readBy: ['deploy/stack', 'trace-sink'], meaning: "Where the native stack's state, logs and traces live." },
  TOOLS_DIR: { unset: '.tools', readBy: ['deploy/stack'], meaning: 'Where the installed tools (Kafka, the Temporal CLI and servers) live; the tests find them there too.' },
  READY_TIMEOUT_S: { unset: '90', readBy: ['deploy/stack'], meaning: 'How long deploy/stack waits for a component to be ready before it fails.' },
  PG_BIN: { unset: '/usr/lib/postgresql/15/bin', readBy: ['deploy/stack'], meaning: "PostgreSQL's programs." },
  PG_EXTERNAL_ROOT: {
    unset: '/var/lib/postgresql/credit-ledger',
    readBy: ['deploy/stack'],
    meaning: 'Where the PostgreSQL cluster lives when the postgres user cannot enter DATA_DIR (a checkout under a 0700 directory).',
  },
  OTEL_SERVICE_NAME: { unset: "the process's name", readBy: ['node'], meaning: 'The service name on spans and in the worker\'s log.' },
  OTEL_EXPORTER_OTLP_ENDPOINT: { unset: 'http://127.0.0.1:$OTLP_HTTP_PORT', readBy: ['node'], meaning: 'Where spans are sent (OTLP over HTTP).' },
  OTEL_SPAN_DETAIL: { unset: 'the detail sampler', readBy: ['node'], meaning: 'full: keep every span, also those the detail sampler drops (lib/telemetry/sampler.ts).' },
  OTEL_SDK_DISABLED: { unset: 'tracing on', readBy: ['node'], meaning: 'true: no tracing at all.' },
  'TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*': {
    unset: "ours: TEMPORAL_HOST, TEMPORAL_PORT, TEMPORAL_NAMESPACE",
    readBy: ['gateway', 'worker'],
    meaning: "Temporal's standard client configuration, to reach a secured cluster or Temporal Cloud: docs/temporal-connection.md.",
  },
};
