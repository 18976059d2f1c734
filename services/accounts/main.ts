import '../../lib/telemetry/register';
/**
 * The accounts service process: migrates its database, starts the outbox
 * relay and serves the HTTP API on ACCOUNTS_PORT. SIGTERM closes the server
 * (in-flight requests finish), stops the relay, then ends the pool.
 */
import { runInstances } from '../../lib/cluster/instances';
import { databaseUrl, loadConfig, requireCallerTokens } from '../../lib/config';
import { closeServer, listen, onShutdown } from '../../lib/http';
import { createKafka } from '../../lib/kafka';
import { createLogger, logProcessWarnings } from '../../lib/logger';
import { OUTBOX_MIGRATIONS_DIR, OutboxRelay } from '../../lib/outbox';
import { createPool, migrate } from '../../lib/pg';
import { createRegistry, registerPoolGauges } from '../../lib/telemetry/metrics';
import { stopTracing } from '../../lib/telemetry/tracing';
import { ACCOUNTS_MIGRATIONS_DIR } from './repository';
import { createAccountsApp } from './server';

const DATABASE = 'accounts';
const logger = createLogger('accounts');
logProcessWarnings(logger);

async function main(): Promise<void> {
  const config = loadConfig();
  const callers = requireCallerTokens(config, 'accounts');
  const registry = createRegistry('accounts');
  const pool = createPool(config, DATABASE, { applicationName: 'accounts' });
  registerPoolGauges(registry, pool, DATABASE);

  const applied = await migrate(pool, OUTBOX_MIGRATIONS_DIR, ACCOUNTS_MIGRATIONS_DIR);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  // The relay has a pool of its own: it keeps a transaction open while it
  // publishes, and must neither take connections from requests nor wait behind them.
  const relayPool = createPool(config, DATABASE, { applicationName: 'accounts-outbox-relay', maxConnections: 2 });
  const relay = new OutboxRelay({
    pool: relayPool,
    listenConnectionString: databaseUrl(config, DATABASE),
    kafka: createKafka(config, 'accounts-outbox-relay', logger),
    logger,
    registry,
  });
  relay.start();

  const server = await listen(createAccountsApp({ pool, logger, registry, callers }), config.ACCOUNTS_PORT, config.INTERNAL_BIND_HOST);
  logger.info(
    { host: config.INTERNAL_BIND_HOST, port: config.ACCOUNTS_PORT, callers: callers.map((c) => c.caller), node: process.version },
    'accounts service listening',
  );

  onShutdown(logger, async () => {
    await closeServer(server);
    await relay.stop();
    await relayPool.end();
    await pool.end();
    await stopTracing();
  });
}

// ACCOUNTS_INSTANCES copies share ACCOUNTS_PORT (lib/cluster/instances.ts); their relays claim outbox rows FOR UPDATE SKIP LOCKED.
runInstances({
  service: 'accounts',
  variable: 'ACCOUNTS_INSTANCES',
  logger,
  main: () =>
    main().catch((error) => {
      logger.fatal({ err: error }, 'accounts service failed to start');
      process.exit(1);
    }),
});
