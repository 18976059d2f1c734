/** Builds the ledger's HTTP app from its dependencies (main.ts and tests both call it). */
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { createServiceApp, finishServiceApp, type ReadinessChecks } from '../../lib/http';
import type { LedgerDeps } from './deps';
import { ledgerRoutes } from './routes';

export function createLedgerApp(deps: LedgerDeps, registry: Registry, readiness: ReadinessChecks): Express {
  const app = createServiceApp({ logger: deps.logger, registry, readiness });
  app.use(ledgerRoutes(deps));
  finishServiceApp(app, deps.logger);
  return app;
}
