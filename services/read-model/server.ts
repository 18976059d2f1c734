/**
 * Builds the read model's Express app on the shared HTTP shell (lib/http):
 * /healthz, /readyz, /metrics, problem+json errors, plus the query routes.
 * Separate from main.ts so tests can boot it on port 0.
 */
import type { Express } from 'express';
import { createServiceApp, finishServiceApp, type ReadinessChecks } from '../../lib/http';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import type { CallerToken } from '../../lib/service-auth/tokens';
import type { Registry } from '../../lib/telemetry/metrics';
import type { ReadModelMetrics } from './metrics';
import { readModelRoutes } from './routes';

export interface ReadModelAppDeps {
  pool: Pool;
  logger: Logger;
  registry: Registry;
  metrics: ReadModelMetrics;
  /** The dependencies /readyz checks: PostgreSQL and Kafka. */
  readiness: ReadinessChecks;
  /**
   * Who may call it (READ_MODEL_CALLER_TOKENS): its balances and statements are
   * every customer's, readable through the gateway only under the gateway's own
   * rules, so the read model wants a caller's token as the ledger does.
   */
  callers: readonly CallerToken[];
}

export function createReadModelApp(deps: ReadModelAppDeps): Express {
  const app = createServiceApp({ logger: deps.logger, registry: deps.registry, readiness: deps.readiness, internal: { service: 'read-model', callers: deps.callers } });
  app.use(readModelRoutes({ pool: deps.pool, metrics: deps.metrics }));
  finishServiceApp(app, deps.logger);
  return app;
}
