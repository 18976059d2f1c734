/**
 * The public gateway process (:GATEWAY_PORT): the REST contract of
 * api-contract.md (lib/service/run-service.ts does what every service does).
 */
import '../lib/telemetry/register';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { createAuditStore } from '../lib/audit/store';
import { databaseUrl } from '../lib/config';
import { LedgerClient } from '../lib/clients';
import { createReconciliationStore } from '../lib/reconciliation';
import { runService } from '../lib/service/run-service';
import { describeTemporal, temporalSettings } from '../lib/temporal-connection';
import { createBatchStore, createTransferStore, migrateTransfers, startTransferStatusListener, TRANSFERS_DATABASE } from '../lib/transfers';
import { loadApiClients, refuseLegacyApiKeys } from './clients';
import { createGatewayMetrics, registerPendingAgeGauge } from './metrics';
import { DEVELOPMENT_MODE_WARNING } from './principal';
import { startPendingResumer } from './resume-pending';
import { startWorkflowSweeper } from './workflow-sweeper';
import { createGatewayApp } from './server';
import { Upstream } from './upstream';

runService({
  name: 'gateway',
  database: { name: TRANSFERS_DATABASE, migrations: migrateTransfers },
  address: (config) => ({ port: config.GATEWAY_PORT, host: config.GATEWAY_BIND_HOST }),
  calls: ['accounts', 'read-model', 'ledger'],
  async start({ config, logger, registry, pool, tokens }) {
    registerPendingAgeGauge(registry, pool);
    // One connection of its own (a LISTEN holds it), outside the pool.
    const statusListener = startTransferStatusListener({
      connectionString: databaseUrl(config, TRANSFERS_DATABASE),
      applicationName: 'gateway-status-listener',
      logger,
    });

    // Lazy: the gateway starts (and serves reads) while Temporal is still coming up.
    const temporalConfig = temporalSettings(config);
    logger.info(describeTemporal(temporalConfig), 'temporal connection');
    const connection = Connection.lazy(temporalConfig.connection);
    // The interceptor puts the request's trace context in the workflow's headers,
    // so the saga's spans join the trace of the request that created the transfer.
    const temporal = new Client({
      connection,
      namespace: temporalConfig.namespace,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    const accounts = new Upstream('accounts', config.accountsUrl, tokens.accounts);
    const readModel = new Upstream('read-model', config.readModelUrl, tokens['read-model']);
    // Only to release the hold of a transfer whose workflow closed without an outcome (closed-workflows.ts).
    const ledger = new LedgerClient({ baseUrl: config.ledgerUrl, token: tokens.ledger });
    refuseLegacyApiKeys();
    const clients = loadApiClients(config.API_CLIENTS_FILE);
    if (clients.length === 0) logger.warn(DEVELOPMENT_MODE_WARNING);
    else logger.info({ clients: clients.map((c) => ({ id: c.id, roles: c.roles })) }, 'API clients loaded; /v1 needs a key');

    const deps = {
      logger,
      registry,
      store: createTransferStore(pool),
      batches: createBatchStore(pool),
      batchChunkSize: config.BATCH_CHUNK_SIZE,
      statusListener,
      reconciliations: createReconciliationStore(pool),
      temporal,
      accounts,
      readModel,
      metrics: createGatewayMetrics(registry),
      clients,
      audit: createAuditStore(pool),
      writeRateLimitPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE,
      approvalThresholdMinor: config.approvalThresholdMinor,
      approvalTimeoutMs: config.approvalTimeoutMs,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      ledger,
      readiness: {
        postgres: () => pool.query('SELECT 1'),
        temporal: () => connection.healthService.check({}),
        accounts: () => accounts.call('GET', '/healthz'),
        'read-model': () => readModel.call('GET', '/healthz'),
      },
    };
    const resumer = startPendingResumer(deps, pool);
    const sweeper = startWorkflowSweeper(deps, pool, { intervalMs: config.workflowSweepIntervalMs, lookbackMs: config.workflowSweepLookbackMs });
    return {
      app: createGatewayApp(deps),
      async stop() {
        await statusListener.close();
        resumer.stop();
        sweeper.stop();
        accounts.close();
        readModel.close();
        ledger.close();
        await connection.close();
      },
    };
  },
});
