/** Builds the ledger's HTTP app from its dependencies (main.ts and tests both call it). */
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { createServiceApp, finishServiceApp, type ReadinessChecks } from '../../lib/http';
import type { CallerToken } from '../../lib/service-auth/tokens';
import type { LedgerDeps } from './deps';
import { ledgerRoutes } from './routes';

/** A batch of 1,000 items with long descriptions (POST /batches) is well under it. */
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** `callers`: who may call it (LEDGER_CALLER_TOKENS); every route but /healthz, /readyz and /metrics wants one's token. */
export function createLedgerApp(deps: LedgerDeps, registry: Registry, readiness: ReadinessChecks, callers: readonly CallerToken[]): Express {
  const app = createServiceApp({ logger: deps.logger, registry, readiness, internal: { service: 'ledger', callers }, bodyLimitBytes: BODY_LIMIT_BYTES });
  app.use(ledgerRoutes(deps));
  finishServiceApp(app, deps.logger);
  return app;
}
