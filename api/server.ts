/** Builds the gateway's HTTP app from its dependencies (main.ts and tests both call it). */
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createServiceApp, finishServiceApp, type ReadinessChecks } from '../lib/http';
import type { AuditStore } from '../lib/audit/store';
import { auditRoutes, auditTrail } from './audit';
import { authenticate } from './auth';
import type { ApiClient } from './clients';
import { docsRoutes } from './docs-page';
import { methodNotAllowed } from './method-not-allowed';
import { openApiDocument } from './openapi/document';
import type { ReconciliationDeps } from './reconciliations';
import { accountRoutes, type AccountRouteDeps } from './routes/accounts';
import { reconciliationRoutes } from './routes/reconciliations';
import { BATCH_BODY_LIMIT_BYTES, BATCH_PATH, transferBatchRoutes } from './routes/transfer-batches';
import { transferRoutes } from './routes/transfers';
import type { BatchDeps } from './transfer-batches';
import { writeRateLimit } from './rate-limit';
import type { TransferDeps } from './transfers';

export interface GatewayDeps extends TransferDeps, BatchDeps, AccountRouteDeps, ReconciliationDeps {
  logger: Logger;
  registry: Registry;
  readiness: ReadinessChecks;
  /** The API clients (API_CLIENTS_FILE); none: development mode, every request the development principal. */
  clients: readonly ApiClient[];
  /** The audit trail's table (api/audit.ts). */
  audit: AuditStore;
  /** RATE_LIMIT_WRITES_PER_MINUTE: writes per principal and minute; 0 is no limit (api/rate-limit.ts). */
  writeRateLimitPerMinute: number;
}

export function createGatewayApp(deps: GatewayDeps): Express {
  const app = createServiceApp({
    logger: deps.logger,
    registry: deps.registry,
    readiness: deps.readiness,
    bodyLimitsByPath: [{ path: BATCH_PATH, bytes: BATCH_BODY_LIMIT_BYTES }],
  });
  const document = openApiDocument({ auth: deps.clients.length > 0 });
  app.get('/openapi.json', (_req, res) => void res.json(document));
  app.use(docsRoutes());
  app.use('/v1', authenticate(deps.clients));
  // After authentication, which names the principal both are keyed by; a request the limit refuses is not audited.
  app.use('/v1', writeRateLimit(deps.writeRateLimitPerMinute, deps.registry));
  app.use('/v1', auditTrail(deps));
  app.use('/v1', accountRoutes(deps));
  app.use('/v1', transferRoutes(deps));
  app.use('/v1', transferBatchRoutes(deps));
  app.use('/v1', reconciliationRoutes(deps));
  app.use('/v1', auditRoutes(deps));
  app.use(methodNotAllowed(document as Parameters<typeof methodNotAllowed>[0]));
  finishServiceApp(app, deps.logger);
  return app;
}
