/**
 * The ledger service process: journal entries, holds, balances (:LEDGER_PORT,
 * database `ledger`), its outbox relay and the hold-expiry pass.
 */
import '../../lib/telemetry/register';
import path from 'node:path';
import { AccountsClient } from '../../lib/clients';
import { runInstances } from '../../lib/cluster/instances';
import { databaseUrl, loadConfig, requireCallerTokens, requireServiceTokens } from '../../lib/config';
import { closeServer, listen, onShutdown } from '../../lib/http';
import { createKafka } from '../../lib/kafka';
import { createLogger, logProcessWarnings } from '../../lib/logger';
import { OUTBOX_MIGRATIONS_DIR, OutboxRelay } from '../../lib/outbox';
import { createPool, migrate } from '../../lib/pg';
import { createRegistry, registerPoolGauges } from '../../lib/telemetry/metrics';
import { stopTracing } from '../../lib/telemetry/tracing';
import { httpAccountDirectory } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { startHoldExpiry } from './expiry';
import { createLedgerMetrics } from './metrics';
import { createLedgerApp } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('ledger', config.LOG_LEVEL);
  logProcessWarnings(logger);
  // Before anything is opened: a ledger without its callers' tokens, or without its own for the accounts service, does not start.
  const callers = requireCallerTokens(config, 'ledger');
  const tokens = requireServiceTokens(config, ['accounts']);
  const registry = createRegistry('ledger');
  const pool = createPool(config, 'ledger', { applicationName: 'ledger' });
  registerPoolGauges(registry, pool, 'ledger');
  await migrate(pool, OUTBOX_MIGRATIONS_DIR, path.join(__dirname, 'db', 'migrations'));

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
  const server = await listen(createLedgerApp(deps, registry, readiness, callers), config.LEDGER_PORT, config.INTERNAL_BIND_HOST);
  logger.info({ host: config.INTERNAL_BIND_HOST, port: config.LEDGER_PORT, callers: callers.map((c) => c.caller), node: process.version }, 'ledger listening');

  onShutdown(logger, async () => {
    await closeServer(server);
    expiry.stop();
    await relay.stop();
    accounts.close();
    await relayPool.end();
    await pool.end();
    await stopTracing();
  });
}

// LEDGER_INSTANCES copies share LEDGER_PORT (lib/cluster/instances.ts): their relays claim outbox rows
// FOR UPDATE SKIP LOCKED, and the hold expiry of each locks a hold before releasing it.
runInstances({
  service: 'ledger',
  variable: 'LEDGER_INSTANCES',
  logger: createLogger('ledger'),
  main: () =>
    main().catch((error) => {
      createLogger('ledger').fatal({ err: error }, 'ledger failed to start');
      process.exit(1);
    }),
});
