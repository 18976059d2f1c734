/**
 * The accounts service process: migrates its database, starts the outbox
 * relay and serves the HTTP API on ACCOUNTS_PORT (lib/service/run-service.ts
 * does what every service does). SIGTERM closes the server (in-flight
 * requests finish), stops the relay, then ends the pools.
 */
import '../../lib/telemetry/register';
import { databaseUrl } from '../../lib/config';
import { createKafka } from '../../lib/kafka';
import { OUTBOX_MIGRATIONS_DIR, OutboxRelay } from '../../lib/outbox';
import { createPool, migrate } from '../../lib/pg';
import { runService } from '../../lib/service/run-service';
import { ACCOUNTS_MIGRATIONS_DIR } from './repository';
import { createAccountsApp } from './server';

const DATABASE = 'accounts';

runService({
  name: 'accounts',
  title: 'accounts service',
  database: { name: DATABASE, migrations: (pool) => migrate(pool, OUTBOX_MIGRATIONS_DIR, ACCOUNTS_MIGRATIONS_DIR) },
  address: (config) => ({ port: config.ACCOUNTS_PORT, host: config.INTERNAL_BIND_HOST }),
  internal: 'accounts',
  // ACCOUNTS_INSTANCES copies share ACCOUNTS_PORT (lib/cluster/instances.ts); their relays claim outbox rows FOR UPDATE SKIP LOCKED.
  instancesVariable: 'ACCOUNTS_INSTANCES',
  async start({ config, logger, registry, pool, callers }) {
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
    return {
      app: createAccountsApp({ pool, logger, registry, callers }),
      async stop() {
        await relay.stop();
        await relayPool.end();
      },
    };
  },
});
