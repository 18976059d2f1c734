import '../../lib/telemetry/register';
/**
 * The read model process: migrates its schema, consumes the account, entry
 * and hold events into the projections, and serves balances and statements
 * on READ_MODEL_PORT. SIGTERM stops HTTP first, then the consumer (whose
 * uncommitted events are redelivered to the next run), then the pool.
 */
import type { Admin } from 'kafkajs';
import { runInstances } from '../../lib/cluster/instances';
import { loadConfig, requireCallerTokens } from '../../lib/config';
import { closeServer, listen, onShutdown } from '../../lib/http';
import { createKafka } from '../../lib/kafka';
import { createLogger, logProcessWarnings, type Logger } from '../../lib/logger';
import { createPool, type Pool } from '../../lib/pg';
import { createRegistry, registerOldestAgeGauge, registerPoolGauges } from '../../lib/telemetry/metrics';
import { stopTracing } from '../../lib/telemetry/tracing';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from './consumer';
import { bindPoolToSchema, LIVE_SCHEMA, prepareSchema } from './db/schema';
import { createReadModelMetrics, registerConsumerLagGauge } from './metrics';
import { startProjecting } from './projection-start';
import { createReadModelApp } from './server';

const SERVICE = 'read-model';
const DATABASE = 'readmodel';

async function main(logger: Logger): Promise<void> {
  const config = loadConfig();
  const callers = requireCallerTokens(config, 'read-model');
  const registry = createRegistry(SERVICE);
  const pool = createPool(config, DATABASE, { applicationName: SERVICE });
  bindPoolToSchema(pool, LIVE_SCHEMA);
  const applied = await prepareSchema(pool, LIVE_SCHEMA);
  logger.info({ schema: LIVE_SCHEMA, migrations_applied: applied }, 'schema ready');

  const kafka = createKafka(config, SERVICE, logger);
  const admin = kafka.admin();
  await admin.connect();
  const metrics = createReadModelMetrics(registry);
  registerPoolGauges(registry, pool, DATABASE);
  registerConsumerLagGauge(registry, { admin, groupId: READ_MODEL_GROUP_ID, topics: CONSUMED_TOPICS, logger });
  registerOldestAgeGauge(registry, pool, {
    name: 'read_model_parked_event_oldest_age_seconds',
    help: 'Age of the oldest event of a ledger transaction waiting for its other events or its predecessors (0 when none waits).',
    table: 'parked_events',
    where: 'true',
  });

  // A consumer that would miss events the log no longer holds refuses: then /readyz says why (projection-start.ts).
  const { consumer, readiness } = await startProjecting({ kafka, pool, logger, metrics, groupId: READ_MODEL_GROUP_ID });
  const app = createReadModelApp({ pool, logger, registry, metrics, readiness: { ...readinessChecks(pool, admin), ...readiness }, callers });
  const server = await listen(app, config.READ_MODEL_PORT, config.INTERNAL_BIND_HOST);
  logger.info(
    { host: config.INTERNAL_BIND_HOST, port: config.READ_MODEL_PORT, callers: callers.map((c) => c.caller), node: process.version },
    'read model listening',
  );

  onShutdown(logger, async () => {
    await closeServer(server);
    await consumer?.stop();
    await admin.disconnect();
    await pool.end();
    logger.info('read model stopped');
    await stopTracing();
  });
}

function readinessChecks(pool: Pool, admin: Admin) {
  return {
    postgres: () => pool.query('SELECT 1'),
    kafka: () => admin.describeCluster(),
  };
}

const logger = createLogger(SERVICE);
logProcessWarnings(logger);
// READ_MODEL_INSTANCES copies share READ_MODEL_PORT (lib/cluster/instances.ts) and are one consumer group:
// Kafka gives each a share of the partitions (3 per topic), and moves a dead one's share to the others.
runInstances({
  service: SERVICE,
  variable: 'READ_MODEL_INSTANCES',
  logger,
  main: () =>
    main(logger).catch((error) => {
      logger.fatal({ err: error }, 'read model failed to start');
      process.exit(1);
    }),
});
