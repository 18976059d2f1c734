/**
 * A gateway with API clients (keys and roles), in the test's process, on the
 * stack's databases, services and Temporal: the stack's own gateway runs in
 * development mode, so a test of keys and roles starts one of these. Its
 * transfers run on the stack's worker (the same task queue).
 */
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { keySha256, type ApiClient } from '../../api/clients';
import { createGatewayMetrics } from '../../api/metrics';
import { ROLES, type Role } from '../../api/principal';
import { createGatewayApp } from '../../api/server';
import { Upstream } from '../../api/upstream';
import { LedgerClient } from '../../lib/clients';
import { databaseUrl } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import { createAuditStore } from '../../lib/audit/store';
import { createReconciliationStore } from '../../lib/reconciliation';
import { createBatchStore, createTransferStore, startTransferStatusListener } from '../../lib/transfers';
import { createRegistry } from '../../lib/telemetry/metrics';
import { operatorToken } from './credentials';
import { startApp, type RunningApp } from './service';
import { config } from './system';

/** A client as the clients file holds it: its key only as a hash. */
export const apiClient = (id: string, key: string, roles: readonly Role[] = ROLES): ApiClient => ({ id, roles: [...roles], keySha256: keySha256(key) });

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

export async function startKeyedGateway(
  clients: ApiClient[],
  transfersPool: Pool,
  logger: Logger = createLogger('keyed-gateway-test', 'silent'),
  options: { writeRateLimitPerMinute?: number } = {},
): Promise<RunningApp> {
  const registry = createRegistry('keyed-gateway-test');
  const connection = Connection.lazy({ address: config.temporalAddress });
  const accounts = new Upstream('accounts', `http://127.0.0.1:${config.ACCOUNTS_PORT}`, operatorToken(config.ACCOUNTS_TOKEN));
  const readModel = new Upstream('read-model', `http://127.0.0.1:${config.READ_MODEL_PORT}`, operatorToken(config.READ_MODEL_TOKEN));
  const ledger = new LedgerClient({ baseUrl: config.ledgerUrl, token: operatorToken(config.LEDGER_TOKEN) });
  const statusListener = startTransferStatusListener({
    connectionString: databaseUrl(config, 'transfers'),
    applicationName: 'keyed-gateway-test-listener',
    logger: createLogger('keyed-gateway-test-listener', 'silent'),
  });
  const app = await startApp(
    createGatewayApp({
      logger,
      registry,
      readiness: {},
      clients,
      store: createTransferStore(transfersPool),
      batches: createBatchStore(transfersPool),
      batchChunkSize: config.BATCH_CHUNK_SIZE,
      statusListener,
      reconciliations: createReconciliationStore(transfersPool),
      audit: createAuditStore(transfersPool),
      writeRateLimitPerMinute: options.writeRateLimitPerMinute ?? 0,
      temporal: new Client({ connection, namespace: config.TEMPORAL_NAMESPACE }),
      accounts,
      readModel,
      metrics: createGatewayMetrics(registry),
      approvalThresholdMinor: 1_000_000n,
      approvalTimeoutMs: 60_000,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      ledger,
    }),
  );
  return {
    baseUrl: app.baseUrl,
    close: async () => {
      await app.close();
      await statusListener.close();
      accounts.close();
      readModel.close();
      ledger.close();
      await connection.close();
    },
  };
}
