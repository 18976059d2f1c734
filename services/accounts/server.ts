/**
 * Builds the accounts service's Express app from its dependencies, so the
 * process (main.ts) and the tests (on port 0) run the same app.
 */
import type { Express } from 'express';
import { createServiceApp, finishServiceApp } from '../../lib/http';
import type { CallerToken } from '../../lib/service-auth/tokens';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import type { Registry } from '../../lib/telemetry/metrics';
import { createAccounts } from './accounts';
import { createAccountsMetrics } from './metrics';
import { accountsRouter } from './routes';

export interface AccountsAppDeps {
  pool: Pool;
  logger: Logger;
  registry: Registry;
  /** Who may call it (ACCOUNTS_CALLER_TOKENS); every route but /healthz, /readyz and /metrics wants one's token. */
  callers: readonly CallerToken[];
}

export function createAccountsApp({ pool, logger, registry, callers }: AccountsAppDeps): Express {
  // Kafka is not a readiness dependency: while it is down, changes wait in the outbox.
  const app = createServiceApp({ logger, registry, readiness: { postgres: () => pool.query('SELECT 1') }, internal: { service: 'accounts', callers } });
  const metrics = createAccountsMetrics(registry);
  app.use(accountsRouter(createAccounts({ pool, logger, metrics }), metrics));
  finishServiceApp(app, logger);
  return app;
}
