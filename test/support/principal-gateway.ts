/**
 * A gateway app booted in-process on the stack's services, with one API client
 * (every role, a fresh key) per principal named at start: `as(principal)`
 * calls it with that client's key, through the gateway's own authentication.
 */
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { createGatewayMetrics } from '../../api/metrics';
import { createGatewayApp } from '../../api/server';
import { Upstream } from '../../api/upstream';
import { createAuditStore } from '../../lib/audit/store';
import { LedgerClient } from '../../lib/clients';
import { databaseUrl } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createReconciliationStore } from '../../lib/reconciliation';
import { createRegistry } from '../../lib/telemetry/metrics';
import { createTransferStore, startTransferStatusListener } from '../../lib/transfers';
import { operatorToken } from './credentials';
import { apiClient, bearer } from './keyed-gateway';
import { call, startApp, type JsonAnswer } from './service';
import { config } from './system';

export interface PrincipalGateway {
  baseUrl: string;
  as(principal: string): (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function startPrincipalGateway(
  transfers: Pool,
  options: { principals: readonly string[]; writeRateLimitPerMinute?: number },
): Promise<PrincipalGateway> {
  const keys = new Map(options.principals.map((id) => [id, `key-${id}-${randomUUID()}`]));
  const clients = [...keys].map(([id, key]) => apiClient(id, key));
  const registry = createRegistry('gateway-principal-test');
  const logger = createLogger('gateway-principal-test', 'silent');
  const connection = Connection.lazy({ address: config.temporalAddress });
  const accounts = new Upstream('accounts', config.accountsUrl, operatorToken(config.ACCOUNTS_TOKEN));
  const readModel = new Upstream('read-model', config.readModelUrl, operatorToken(config.READ_MODEL_TOKEN));
  const ledger = new LedgerClient({ baseUrl: config.ledgerUrl, token: operatorToken(config.LEDGER_TOKEN) });
  const statusListener = startTransferStatusListener({ connectionString: databaseUrl(config, 'transfers'), applicationName: 'gateway-principal-test', logger });
  const gateway = createGatewayApp({
    logger,
    registry,
    readiness: {},
    clients,
    store: createTransferStore(transfers),
    statusListener,
    reconciliations: createReconciliationStore(transfers),
    audit: createAuditStore(transfers),
    writeRateLimitPerMinute: options.writeRateLimitPerMinute ?? 0,
    temporal: new Client({ connection }),
    accounts,
    readModel,
    metrics: createGatewayMetrics(registry),
    approvalThresholdMinor: 1_000_000n,
    approvalTimeoutMs: 60_000,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ledger,
  });
  const app = await startApp(gateway);
  return {
    baseUrl: app.baseUrl,
    as: (principal) => {
      const key = keys.get(principal);
      if (key === undefined) throw new Error(`${principal} is not one of the principals this gateway was started with`);
      return (method, path, body, headers = {}) => call(app.baseUrl, method, path, body, { ...bearer(key), ...headers });
    },
    async close() {
      await app.close();
      await statusListener.close();
      accounts.close();
      readModel.close();
      ledger.close();
      await connection.close();
    },
  };
}
