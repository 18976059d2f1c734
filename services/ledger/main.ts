/**
 * The ledger service process: journal entries, holds, balances (:LEDGER_PORT,
 * database `ledger`), its outbox relay and the hold-expiry pass
 * (lib/service/run-service.ts does what every service does).
 */
import '../../lib/telemetry/register';
import path from 'node:path';
import { AccountsClient } from '../../lib/clients';
import { databaseUrl } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { OUTBOX_MIGRATIONS_DIR, OutboxRelay } from '../../lib/outbox';
import { createPool, migrate } from '../../lib/pg';
import { runService } from '../../lib/service/run-service';
import { httpAccountDirectory } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { startHoldExpiry } from './expiry';
import { createLedgerMetrics } from './metrics';
import { createLedgerApp } from './server';

runService({
  name: 'ledger',
  database: { name: 'ledger', migrations: (pool) => migrate(pool, OUTBOX_MIGRATIONS_DIR, path.join(__dirname, 'db', 'migrations')) },
  address: (config) => ({ port: config.LEDGER_PORT, host: config.INTERNAL_BIND_HOST }),
  internal: 'ledger',
  calls: ['accounts'],
  // LEDGER_INSTANCES copies share LEDGER_PORT (lib/cluster/instances.ts): their relays claim outbox rows
  // FOR UPDATE SKIP LOCKED, and the hold expiry of each locks a hold before releasing it.
  instancesVariable: 'LEDGER_INSTANCES',
  async start({ config, logger, registry, pool, callers, tokens }) {
    const accounts = new AccountsClient({ baseUrl: config.accountsUrl, token: tokens.accounts });
    const deps: LedgerDeps = { pool, directory: httpAccountDirectory(accounts), metrics: createLedgerMetrics(registry), logger };
    const kafka = createKafka(config, 'ledger', logger);
    // The relay has a pool of its own: it keeps a transaction open while it
    // publishes, and must neither take connections from requests nor wait behind them.
    const relayPool = createPool(config, 'ledger', { applicationName: 'ledger-outbox-relay', maxConnections: 2 });
    const relay = new OutboxRelay({ pool: relayPool, listenConnectionString: databaseUrl(config, 'ledger'), kafka, logger, registry });
    relay.start();
    const expiry = startHoldExpiry(deps);

    const readiness = {
      postgres: () => pool.query('SELECT 1'),
      kafka: async () => {
        const admin = kafka.admin();
        await admin.connect();
        await admin.disconnect();
      },
    };
    return {
      app: createLedgerApp(deps, registry, readiness, callers),
      async stop() {
        expiry.stop();
        await relay.stop();
        accounts.close();
        await relayPool.end();
      },
    };
  },
});
