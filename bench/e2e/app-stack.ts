/**
 * The application processes the bench measures: accounts, ledger, read
 * model, worker and gateway, started from settings.appRoot (this checkout,
 * or another one for a before/after comparison) on the stack's own ports, so
 * Prometheus scrapes them as it scrapes the stack's; and the bench's trace
 * collector (bench/otlp-sink.ts, always this checkout's), unless
 * BENCH_OTLP_ENDPOINT names another. Their worker polls a task queue of its
 * own and leaves the stack's reconciliation Schedule alone.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { WORKER_PORT_STEP } from '../../lib/cluster/instance';
import { answersHealth, benchCredentials, type ServiceGroup } from '../support';
import { settings } from './settings';

/** The worker bundles the workflows with webpack before it answers /healthz; on a busy machine that takes a while. */
const WORKER_HEALTH_TIMEOUT_MS = 180_000;

export type AppName = 'accounts' | 'ledger' | 'read-model' | 'worker' | 'gateway';

interface AppProcess {
  /** worker, worker-2, ... when WORKER_INSTANCES > 1; the app's name otherwise. */
  name: string;
  app: AppName;
  entry: string;
  port: number;
  /** A worker's second port: the Temporal SDK's metrics. */
  temporalMetricsPort?: number;
}

/** In the stack's start order (deploy/stack), the workers as deploy/stack.d/apps.sh numbers them and shifts their ports. */
export function appProcesses(): AppProcess[] {
  const { ports } = settings;
  const workers = Array.from({ length: settings.instances.worker }, (_, i): AppProcess => ({
    name: i === 0 ? 'worker' : `worker-${i + 1}`,
    app: 'worker',
    entry: 'workers/main.ts',
    port: ports.workerMetrics + i * WORKER_PORT_STEP,
    temporalMetricsPort: ports.workerTemporalMetrics + i * WORKER_PORT_STEP,
  }));
  return [
    { name: 'accounts', app: 'accounts', entry: 'services/accounts/main.ts', port: ports.accounts },
    { name: 'ledger', app: 'ledger', entry: 'services/ledger/main.ts', port: ports.ledger },
    { name: 'read-model', app: 'read-model', entry: 'services/read-model/main.ts', port: ports.readModel },
    ...workers,
    { name: 'gateway', app: 'gateway', entry: 'api/main.ts', port: ports.gateway },
  ];
}

/** The Temporal SDK metrics ports of every worker the bench starts. */
export function workerTemporalMetricsPorts(): number[] {
  return appProcesses().flatMap((app) => (app.temporalMetricsPort === undefined ? [] : [app.temporalMetricsPort]));
}

/** The CPU group of a process the bench started: worker-2 is a worker. */
export function appOfProcess(name: string): string {
  return appProcesses().find((app) => app.name === name)?.app ?? name;
}

/**
 * A second read model in the same consumer group would take half of the
 * partitions, and a second ledger relay half of the outbox: the stack's own
 * application processes must not run beside the bench's.
 */
export async function refuseRunningApps(): Promise<void> {
  const running = [];
  for (const app of appProcesses()) if (await answersHealth(app.port)) running.push(`${app.name} :${app.port}`);
  if (running.length === 0) return;
  throw new Error(
    `already running: ${running.join(', ')}. The bench starts its own application processes on these ports (and a second read model ` +
      `or ledger would share the work with it): stop the stack's first, e.g. deploy/stack stop gateway worker read-model ledger accounts ` +
      `(deploy/stack up starts them again afterwards).`,
  );
}

function appEnv(app: AppProcess, tracing: boolean, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { ports } = settings;
  const worker = app.temporalMetricsPort === undefined ? {} : { WORKER_METRICS_PORT: String(app.port), WORKER_TEMPORAL_METRICS_PORT: String(app.temporalMetricsPort) };
  return {
    ...process.env,
    ACCOUNTS_PORT: String(ports.accounts),
    LEDGER_PORT: String(ports.ledger),
    READ_MODEL_PORT: String(ports.readModel),
    GATEWAY_PORT: String(ports.gateway),
    WORKER_METRICS_PORT: String(ports.workerMetrics),
    WORKER_TEMPORAL_METRICS_PORT: String(ports.workerTemporalMetrics),
    TEMPORAL_TASK_QUEUE: settings.taskQueue,
    // A Worker Deployment of its own: the bench's worker version never becomes the one the stack's queue is routed to.
    TEMPORAL_DEPLOYMENT_NAME: 'credit-ledger-bench',
    // The Schedules belong to the stack's worker: this one must not point them at its own queue.
    RECONCILIATION_CRON: 'off',
    IDEMPOTENCY_PURGE_CRON: 'off',
    LOG_LEVEL: 'warn',
    API_CLIENTS_FILE: '',
    OTEL_SDK_DISABLED: tracing ? 'false' : 'true',
    OTEL_EXPORTER_OTLP_ENDPOINT: settings.otlpEndpoint ?? `http://127.0.0.1:${ports.otlpSink}`,
    OTEL_SERVICE_NAME: app.app,
    ...worker,
    ...benchCredentials(app.app),
    ...extra,
  };
}

export async function startSink(services: ServiceGroup): Promise<void> {
  if (settings.otlpEndpoint) return;
  const port = settings.ports.otlpSink;
  await services.start('sink', 'bench/otlp-sink.ts', port, { ...process.env, BENCH_OTLP_SINK_PORT: String(port) });
}

export async function startApps(services: ServiceGroup, tracing: boolean): Promise<void> {
  const where = settings.appRoot;
  const compiled = settings.appRuntime === 'dist';
  const { instances } = settings;
  console.log(
    `starting accounts x${instances.accounts}, ledger x${instances.ledger}, read model x${instances['read-model']}, ` +
      `worker x${instances.worker} (task queue ${settings.taskQueue}), gateway :${settings.ports.gateway} from ${where} ` +
      `(${settings.appCommit}, ${compiled ? 'compiled' : 'through tsx'}); ` +
      `tracing ${tracing ? `on, to ${settings.otlpEndpoint ?? `the bench's collector :${settings.ports.otlpSink}`}` : 'off'}`,
  );
  // The build is incremental: a few seconds when nothing changed since the last.
  if (compiled) execFileSync(path.join(where, 'deploy', 'build'), { cwd: where, stdio: 'inherit' });
  for (const app of appProcesses()) {
    const healthTimeoutMs = app.app === 'worker' ? WORKER_HEALTH_TIMEOUT_MS : undefined;
    await services.start(app.name, app.entry, app.port, appEnv(app, tracing), { cwd: where, healthTimeoutMs, compiled });
  }
}

export async function stopApps(services: ServiceGroup): Promise<void> {
  for (const app of appProcesses().reverse()) await services.stop(app.name);
}

/**
 * Stops one app process and starts it again with `env` laid over its
 * environment: a setting read at start (the gateway's BATCH_CHUNK_SIZE), changed mid-run.
 */
export async function restartApp(services: ServiceGroup, name: AppName, tracing: boolean, env: Record<string, string>): Promise<void> {
  const app = appProcesses().find((a) => a.name === name);
  if (!app) throw new Error(`no app process named ${name}`);
  await services.stop(app.name);
  await services.start(app.name, app.entry, app.port, appEnv(app, tracing, env), { cwd: settings.appRoot, compiled: settings.appRuntime === 'dist' });
}
