/**
 * How every process of the ledger starts and stops, written once: telemetry
 * registered before anything it patches is loaded, the configuration read and
 * checked, one logger named for the service, the tokens the service needs
 * checked before anything is opened, its pool and migrations, its HTTP app
 * (the shared shell of lib/http: /healthz, /readyz, /metrics, service auth for
 * an internal service) listening on its bind host, N copies on one port when
 * the service is clustered (lib/cluster/instances.ts), one fatal handler, and
 * a graceful stop on SIGTERM: what must drain first, the HTTP server (in-flight
 * requests finish), the service's own parts, the pool, the tracer.
 *
 * A main.ts is then only what is specific to its service: `start` builds its
 * parts from the context and says how to stop them.
 */
import '../telemetry/register';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { required } from '../assert';
import { runInstances } from '../cluster/instances';
import { loadConfig, requireCallerTokens, requireServiceTokens, type Config } from '../config';
import { closeServer, createServiceApp, finishServiceApp, listen, onShutdown, type ReadinessChecks } from '../http';
import { createLogger, logProcessWarnings, type Logger } from '../logger';
import { createPool, type Pool } from '../pg';
import type { InternalService } from '../service-auth/topology';
import type { CallerToken } from '../service-auth/tokens';
import { createRegistry, registerPoolGauges, type Registry } from '../telemetry/metrics';
import { stopTracing } from '../telemetry/tracing';

export interface ServiceContext<Calls extends InternalService> {
  config: Config;
  logger: Logger;
  registry: Registry;
  /** The service's pool on its database, migrated. */
  pool: Pool;
  /** An internal service's callers (its <SERVICE>_CALLER_TOKENS); empty for the others. */
  callers: readonly CallerToken[];
  /** The tokens of the internal services it calls (`calls`). */
  tokens: Record<Calls, string>;
}

export interface StartedService {
  /** The service's HTTP app; without one, the shell alone (probes and /metrics) with `readiness`. */
  app?: Express;
  /** The dependencies /readyz checks, for the shell built here (a service building its own app passes them to it). */
  readiness?: ReadinessChecks;
  /** The line saying the service is up, when not "<title> listening" with the usual fields. */
  announce?: { message: string; fields: Record<string, unknown> };
  /** Runs once the server listens (e.g. the worker's Schedules). */
  afterListening?: () => Promise<void>;
  /** What must stop before the HTTP server closes (the worker's polling and in-flight activities). */
  drain?: () => Promise<void>;
  /** The service's own parts, in order, after the server closed and before the pool ends. */
  stop: () => Promise<void>;
  /** After the pool ended, before the tracer stops (a tracer of the service's own). */
  flush?: () => Promise<void>;
}

export interface ServiceSpec<Calls extends InternalService> {
  /** The service's name: its logger's `service` field, its metrics' `service` label, its pool's application_name. */
  name: string;
  /** How its log lines name it ("<title> listening", "<title> failed to start"); its name by default. */
  title?: string;
  /** Its logger's `service` field when that differs from `name` (the worker runs as OTEL_SERVICE_NAME). */
  logAs?: string;
  /** Its database and the migrations to apply to it (their names, as applied, are logged). */
  database: { name: string; migrations: (pool: Pool) => Promise<string[]> };
  /** Where it listens. */
  address: (config: Config) => { port: number; host: string };
  /** An internal service: the callers it accepts are required before anything opens, and logged. */
  internal?: InternalService;
  /** The internal services it calls: their tokens are required before anything opens. */
  calls?: readonly Calls[];
  /** Clustered: the variable holding its number of copies on one port (e.g. LEDGER_INSTANCES). */
  instancesVariable?: string;
  /** How long the stop may take before the process exits anyway. */
  stopDeadlineMs?: number;
  start: (context: ServiceContext<Calls>) => Promise<StartedService>;
}

/** Runs the service: in this process, or as N copies when it is clustered. */
export function runService<Calls extends InternalService = never>(spec: ServiceSpec<Calls>): void {
  const title = spec.title ?? spec.name;
  let logger: Logger | undefined;
  const main = () => startService(spec, title, required(logger, 'the logger made before the service starts')).catch((error: unknown) => failedToStart(logger, title, error));
  try {
    logger = createLogger(spec.logAs ?? spec.name);
    logProcessWarnings(logger);
  } catch (error) {
    failedToStart(logger, title, error);
    return;
  }
  if (spec.instancesVariable) runInstances({ service: spec.name, variable: spec.instancesVariable, logger, main });
  else void main();
}

async function startService<Calls extends InternalService>(spec: ServiceSpec<Calls>, title: string, logger: Logger): Promise<void> {
  const config = loadConfig();
  // Before anything is opened: without these tokens every call in or out would be refused.
  const callers = spec.internal ? requireCallerTokens(config, spec.internal) : [];
  const tokens = requireServiceTokens(config, spec.calls ?? []);
  const registry = createRegistry(spec.name);
  const pool = createPool(config, spec.database.name, { applicationName: spec.name });
  registerPoolGauges(registry, pool, spec.database.name);
  const applied = await spec.database.migrations(pool);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  const started = await spec.start({ config, logger, registry, pool, callers, tokens });
  const { port, host } = spec.address(config);
  const server = await listen(started.app ?? shellApp(logger, registry, started.readiness ?? {}), port, host);
  const { message, fields } = started.announce ?? listeningLine(spec, title, { host, port, callers });
  logger.info({ ...fields, node: process.version }, message);
  onShutdown(logger, () => stopService(started, server, pool), spec.stopDeadlineMs);
  await started.afterListening?.();
}

/** The gateway names its port; an internal service its bind host and callers too (who may call it is worth a line). */
function listeningLine(spec: ServiceSpec<InternalService>, title: string, at: { host: string; port: number; callers: readonly CallerToken[] }) {
  const fields = spec.internal ? { host: at.host, port: at.port, callers: at.callers.map((c) => c.caller) } : { port: at.port };
  return { message: `${title} listening`, fields };
}

function shellApp(logger: Logger, registry: Registry, readiness: ReadinessChecks): Express {
  const app = createServiceApp({ logger, registry, readiness });
  finishServiceApp(app, logger);
  return app;
}

async function stopService(started: StartedService, server: Server, pool: Pool): Promise<void> {
  await started.drain?.();
  await closeServer(server);
  await started.stop();
  await pool.end();
  await started.flush?.();
  await stopTracing();
}

/** The one fatal handler: a line naming the service and the error, then exit 1. */
function failedToStart(logger: Logger | undefined, title: string, error: unknown): void {
  if (logger) logger.fatal({ err: error }, `${title} failed to start`);
  // Without a logger (a LOG_LEVEL pino refuses) the line must still reach stderr.
  else console.error(JSON.stringify({ level: 'fatal', msg: `${title} failed to start`, err: String((error as Error)?.stack ?? error) }));
  process.exit(1);
}
