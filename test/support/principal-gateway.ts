/**
 * A gateway app booted in-process on the stack's services, whose caller is
 * named per request by the header `x-test-principal` (test only: a tiny
 * middleware in front of the app sets the principal that authentication
 * would). `as(principal)` calls it as that principal.
 */
import { Client, Connection } from '@temporalio/client';
import express from 'express';
import type { Pool } from 'pg';
import { createGatewayMetrics } from '../../api/metrics';
import { ROLES, setPrincipal } from '../../api/principal';
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
import { call, startApp, type JsonAnswer } from './service';
import { config } from './system';

export interface PrincipalGateway {
  baseUrl: string;
  as(principal: string): (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function startPrincipalGateway(transfers: Pool, options: { writeRateLimitPerMinute?: number } = {}): Promise<PrincipalGateway> {
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
    clients: [],
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
  const outer = express();
  outer.use((req, res, next) => {
    const id = req.get('x-test-principal');
    if (id) setPrincipal(res, { id, roles: ROLES, development: false });
    next();
  });
  outer.use(gateway);
  const app = await startApp(outer);
  return {
    baseUrl: app.baseUrl,
    as: (principal) => (method, path, body, headers = {}) => call(app.baseUrl, method, path, body, { 'x-test-principal': principal, ...headers }),
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
