/**
 * The worker process: runs the transfer and reconciliation workflows and their
 * activities on the `transfers` task queue, and keeps the reconciliation
 * Schedule (RECONCILIATION_CRON) and the idempotency purge Schedule
 * (IDEMPOTENCY_PURGE_CRON) in place. Serves /healthz, /readyz and
 * /metrics (transfer counters, reconciliation gauge, pg pool) on
 * WORKER_METRICS_PORT, and the Temporal SDK's own metrics on
 * WORKER_TEMPORAL_METRICS_PORT. It polls as a version of the Worker
 * Deployment TEMPORAL_DEPLOYMENT_NAME, named by a hash of its workflow code,
 * and makes that version current (deployment-version.ts). On SIGTERM it stops
 * polling, lets in-flight activities finish (up to the grace time), then
 * closes everything. lib/service/run-service.ts does what every service
 * does; the Temporal worker, its Worker Versioning and its Schedules are here.
 */
import '../lib/telemetry/register';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, createReconciliationActivities } from '../activities';
import { createReconciliationMetrics, type ReconciliationMetrics } from '../activities/metrics';
import { temporalTransferWorkflows } from '../activities/transfer-workflows';
import { createServiceClients, LedgerClient, ReadModelClient } from '../lib/clients';
import type { Config } from '../lib/config';
import { runService } from '../lib/service/run-service';
import { describeTemporal, temporalSettings } from '../lib/temporal-connection';
import { CHECK_METRIC_LABELS, createReconciliationStore, RECONCILIATION_CHECKS, type ReconciliationStore } from '../lib/reconciliation';
import { createTransferStore, migrateTransfers, TRANSFERS_DATABASE } from '../lib/transfers';
import { createIdempotencyPurgeActivities } from '../activities/idempotency-purge';
import { createBatchActivities } from '../activities/transfer-batch';
import { createBatchStore } from '../lib/transfers/batch-store';
import { ensureIdempotencyPurgeSchedule } from './idempotency-purge-schedule';
import { buildIdOf, makeCurrent } from './deployment-version';
import { ensureReconciliationSchedule } from './reconciliation-schedule';
import { installRuntime, tracingWiring } from './telemetry';
import { workerTuning } from './tuning';

const SERVICE_NAME = 'worker';
/** How long in-flight activities may run on after SIGTERM (their start-to-close timeout is 10 s). */
const SHUTDOWN_GRACE_MS = 15_000;
/** The whole stop, grace included, before the process exits anyway. */
const STOP_DEADLINE_MS = 30_000;
/**
 * A reconciliation page sums the journal of up to 500 accounts: slower than a
 * transfer step, so its calls get their own clients with a longer deadline
 * (inside the activities' one-minute start-to-close timeout).
 */
const RECONCILIATION_CALL_TIMEOUT_MS = 30_000;
/**
 * A batch chunk is one ledger transaction of up to BATCH_CHUNK_SIZE items (an
 * atomic batch, all of its 1,000): about 0.5 s on a quiet machine, seconds on
 * a loaded one (bench/README.md). Its call gets most of the local activity's
 * 10 s, so a slow chunk is answered rather than abandoned and sent again.
 */
const BATCH_CALL_TIMEOUT_MS = 9_000;

runService({
  name: SERVICE_NAME,
  logAs: process.env.OTEL_SERVICE_NAME ?? SERVICE_NAME,
  database: { name: TRANSFERS_DATABASE, migrations: migrateTransfers },
  address: (config) => ({ port: config.WORKER_METRICS_PORT, host: config.INTERNAL_BIND_HOST }),
  calls: ['ledger', 'read-model'],
  stopDeadlineMs: STOP_DEADLINE_MS,
  async start({ config, logger, registry, pool, tokens }) {
    installRuntime(logger.child({ component: 'temporal' }), `${config.INTERNAL_BIND_HOST}:${config.WORKER_TEMPORAL_METRICS_PORT}`);
    const clients = createServiceClients(config);
    const reconciliationLedger = new LedgerClient({ baseUrl: config.ledgerUrl, token: tokens.ledger, timeoutMs: RECONCILIATION_CALL_TIMEOUT_MS });
    const batchLedger = new LedgerClient({ baseUrl: config.ledgerUrl, token: tokens.ledger, timeoutMs: BATCH_CALL_TIMEOUT_MS });
    const readModel = new ReadModelClient({ baseUrl: config.readModelUrl, token: tokens['read-model'], timeoutMs: RECONCILIATION_CALL_TIMEOUT_MS });
    const reconciliations = createReconciliationStore(pool);
    const reconciliationMetrics = createReconciliationMetrics(registry);
    await showLastReconciliation(reconciliations, reconciliationMetrics, logger);
    const temporalConfig = temporalSettings(config);
    const clientConnection = Connection.lazy(temporalConfig.connection);
    const temporalClient = new Client({ connection: clientConnection, namespace: temporalConfig.namespace });
    const activities = {
      ...createActivities({ ...clients, transfers: createTransferStore(pool), logger, registry, holdExpiryMarginMs: config.holdExpiryMarginMs }),
      ...createReconciliationActivities({
        ledger: reconciliationLedger,
        readModel,
        store: reconciliations,
        workflows: temporalTransferWorkflows(temporalClient),
        logger,
        metrics: reconciliationMetrics,
      }),
      ...createIdempotencyPurgeActivities({ pool, logger, registry }),
      ...createBatchActivities({ ledger: batchLedger, batches: createBatchStore(pool), logger, registry }),
    };
    const tracing = tracingWiring(process.env.OTEL_SERVICE_NAME ?? SERVICE_NAME);
    if (!tracing) logger.warn('tracing disabled: workflow and activity spans are not exported');

    // Bundled here rather than by Worker.create: the bundle's hash is the build id.
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: tracing?.interceptors.workflowModules,
      logger: Runtime.instance().logger,
    });
    const version = { deploymentName: config.TEMPORAL_DEPLOYMENT_NAME, buildId: buildIdOf(workflowBundle.code) };
    const connection = await NativeConnection.connect(temporalConfig.connection);
    const worker = await Worker.create({
      connection,
      namespace: temporalConfig.namespace,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle,
      // Each workflow states its own behaviour (PINNED transfers, AUTO_UPGRADE reconciliation and purge); PINNED is the safe default.
      workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
      activities,
      interceptors: tracing && { activity: tracing.interceptors.activity },
      sinks: tracing?.sinks,
      shutdownGraceTime: SHUTDOWN_GRACE_MS,
      ...workerTuning(),
    });

    const running = worker.run();
    running.catch((error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped unexpectedly');
      process.exit(1);
    });
    const deployment = { deployment_name: version.deploymentName, build_id: version.buildId };

    if (config.TEMPORAL_CURRENT_VERSION === 'off') {
      logger.info(deployment, 'TEMPORAL_CURRENT_VERSION is off: this version gets new workflows once an operator makes it current');
    } else {
      // Before /healthz answers, so a stack that is up routes new workflows here. Without a current
      // version no new workflow reaches this worker: a failure stops it.
      const outcome = await makeCurrent(temporalClient, temporalConfig.namespace, version, logger, { identity: `${process.pid}@worker` }).catch((error: unknown) => {
        logger.fatal({ err: error, ...deployment }, 'could not make this worker version current; new workflows would not reach it');
        process.exit(1);
      });
      logger.info(deployment, outcome === 'set' ? 'worker version made current' : 'worker version is current already');
    }

    return {
      // The metrics port serves the shell alone: probes and /metrics (transfer counters, reconciliation gauge, pg pool).
      readiness: {
        postgres: () => pool.query('SELECT 1'),
        temporal: async () => {
          if (worker.getState() !== 'RUNNING') throw new Error(`worker is ${worker.getState()}`);
        },
      },
      announce: {
        message: 'worker started',
        fields: { task_queue: config.TEMPORAL_TASK_QUEUE, ...deployment, ...describeTemporal(temporalConfig), port: config.WORKER_METRICS_PORT },
      },
      afterListening: () => ensureSchedules(temporalClient, config, logger),
      // Polling stops and in-flight activities finish (up to the grace time) before the metrics port closes.
      async drain() {
        worker.shutdown();
        await running;
      },
      async stop() {
        await connection.close();
        await clientConnection.close();
        clients.accounts.close();
        clients.ledger.close();
        reconciliationLedger.close();
        batchLedger.close();
        readModel.close();
      },
      flush: async () => {
        await tracing?.shutdown();
      },
    };
  },
});

/** The reconciliation and idempotency purge Schedules, unless switched off; one that cannot be ensured must not stop the transfers. */
async function ensureSchedules(temporalClient: Client, config: Config, logger: Logger): Promise<void> {
  if (config.RECONCILIATION_CRON === 'off') {
    logger.info('RECONCILIATION_CRON is off: this worker leaves the reconciliation schedule alone');
  } else {
    // A Schedule that cannot be ensured must not stop the transfers: say so loudly and run on.
    await ensureReconciliationSchedule(temporalClient, { cron: config.RECONCILIATION_CRON, taskQueue: config.TEMPORAL_TASK_QUEUE }, logger).catch((error: unknown) =>
      logger.error({ err: error, cron: config.RECONCILIATION_CRON }, 'reconciliation schedule could not be created or updated; reconciliation will not run on its own'),
    );
  }

  if (config.IDEMPOTENCY_PURGE_CRON === 'off') {
    logger.info('IDEMPOTENCY_PURGE_CRON is off: this worker leaves the idempotency purge schedule alone');
  } else {
    const options = { cron: config.IDEMPOTENCY_PURGE_CRON, taskQueue: config.TEMPORAL_TASK_QUEUE, retentionMs: config.idempotencyRetentionMs };
    await ensureIdempotencyPurgeSchedule(temporalClient, options, logger).catch((error: unknown) =>
      logger.error({ err: error, cron: config.IDEMPOTENCY_PURGE_CRON }, 'idempotency purge schedule could not be created or updated; old keys will not be purged'),
    );
  }
}

/** The gauge shows the last completed run from the start, not only after the next one. */
async function showLastReconciliation(store: ReconciliationStore, metrics: ReconciliationMetrics, logger: Logger): Promise<void> {
  const last = await store.latestCompletedReport();
  if (!last?.counts) return;
  const counts = last.counts;
  metrics.show(Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [CHECK_METRIC_LABELS[check], counts[check].mismatches])));
  logger.info({ report_id: last.id, finished_at: last.finishedAt }, 'reconciliation gauge set from the last completed report');
}
