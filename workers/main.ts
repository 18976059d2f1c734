import '../lib/telemetry/register';
/**
 * The worker process: runs the transfer workflows and their activities on the
 * `transfers` task queue. Serves /healthz, /readyz and /metrics (transfer
 * counters, pg pool) on WORKER_METRICS_PORT, and the Temporal SDK's own
 * metrics on WORKER_TEMPORAL_METRICS_PORT. On SIGTERM it stops polling, lets
 * in-flight activities finish (up to the grace time), then closes everything.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createServiceClients } from '../lib/clients';
import { loadConfig } from '../lib/config';
import { closeServer, createServiceApp, finishServiceApp, listen, onShutdown } from '../lib/http';
import { createLogger } from '../lib/logger';
import { createPool } from '../lib/pg';
import { createRegistry, registerPoolGauges } from '../lib/telemetry/metrics';
import { stopTracing } from '../lib/telemetry/tracing';
import { createTransferStore, migrateTransfers, TRANSFERS_DATABASE } from '../lib/transfers';
import { installRuntime, tracingWiring } from './telemetry';

const SERVICE_NAME = 'worker';
/** How long in-flight activities may run on after SIGTERM (their start-to-close timeout is 10 s). */
const SHUTDOWN_GRACE_MS = 15_000;
/** The whole stop, grace included, before the process exits anyway. */
const STOP_DEADLINE_MS = 30_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(process.env.OTEL_SERVICE_NAME ?? SERVICE_NAME, config.LOG_LEVEL);
  installRuntime(logger.child({ component: 'temporal' }), `${config.BIND_HOST}:${config.WORKER_TEMPORAL_METRICS_PORT}`);

  const registry = createRegistry(SERVICE_NAME);
  const pool = createPool(config, TRANSFERS_DATABASE, { applicationName: SERVICE_NAME });
  registerPoolGauges(registry, pool, TRANSFERS_DATABASE);
  const applied = await migrateTransfers(pool);
  if (applied.length > 0) logger.info({ migrations: applied }, 'transfers schema migrated');

  const clients = createServiceClients(config);
  const activities = createActivities({ ...clients, transfers: createTransferStore(pool), logger, registry });
  const tracing = tracingWiring(process.env.OTEL_SERVICE_NAME ?? SERVICE_NAME);
  if (!tracing) logger.warn('tracing disabled: workflow and activity spans are not exported');

  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../workflows'),
    activities,
    interceptors: tracing?.interceptors,
    sinks: tracing?.sinks,
    shutdownGraceTime: SHUTDOWN_GRACE_MS,
  });

  const app = createServiceApp({
    logger,
    registry,
    readiness: {
      postgres: () => pool.query('SELECT 1'),
      temporal: async () => {
        if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
      },
    },
  });
  finishServiceApp(app, logger);
  const server = await listen(app, config.WORKER_METRICS_PORT, config.BIND_HOST);

  const running = worker.run();
  logger.info({ task_queue: config.TEMPORAL_TASK_QUEUE, temporal: config.temporalAddress, port: config.WORKER_METRICS_PORT }, 'worker started');

  onShutdown(
    logger,
    async () => {
      worker.shutdown();
      await running;
      await closeServer(server);
      await connection.close();
      clients.accounts.close();
      clients.ledger.close();
      await pool.end();
      await tracing?.shutdown();
      await stopTracing();
    },
    STOP_DEADLINE_MS,
  );

  running.catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker stopped unexpectedly');
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  // The logger may not exist yet; this line must reach stderr either way.
  console.error(JSON.stringify({ level: 'fatal', msg: 'worker failed to start', err: String((error as Error)?.stack ?? error) }));
  process.exit(1);
});
