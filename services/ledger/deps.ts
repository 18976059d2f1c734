/** What the ledger's domain functions need, wired once in main.ts (tests pass their own). */
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { AccountDirectory } from './accounts-directory';
import type { LedgerMetrics } from './metrics';

export interface LedgerDeps {
  pool: Pool;
  directory: AccountDirectory;
  metrics: LedgerMetrics;
  logger: Logger;
}
