/**
 * The read model process: migrates its schema, consumes the account, entry
 * and hold events into the projections, and serves balances and statements
 * on READ_MODEL_PORT (lib/service/run-service.ts does what every service
 * does). SIGTERM stops HTTP first, then the consumer (whose uncommitted
 * events are redelivered to the next run), then the pool.
 */
import '../../lib/telemetry/register';
import type { Admin } from 'kafkajs';
import { createKafka } from '../../lib/kafka';
import type { Pool } from '../../lib/pg';
import { runService } from '../../lib/service/run-service';
import { registerOldestAgeGauge } from '../../lib/telemetry/metrics';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from './consumer';
import { bindPoolToSchema, LIVE_SCHEMA, prepareSchema } from './db/schema';
import { createReadModelMetrics, registerConsumerLagGauge } from './metrics';
import { startProjecting } from './projection-start';
import { createReadModelApp } from './server';

const SERVICE = 'read-model';

runService({
  name: SERVICE,
  title: 'read model',
  database: {
    name: 'readmodel',
    migrations: async (pool) => {
      bindPoolToSchema(pool, LIVE_SCHEMA);
      return prepareSchema(pool, LIVE_SCHEMA);
    },
  },
  address: (config) => ({ port: config.READ_MODEL_PORT, host: config.INTERNAL_BIND_HOST }),
  internal: SERVICE,
  // READ_MODEL_INSTANCES copies share READ_MODEL_PORT (lib/cluster/instances.ts) and are one consumer group:
  // Kafka gives each a share of the partitions (3 per topic), and moves a dead one's share to the others.
  instancesVariable: 'READ_MODEL_INSTANCES',
  async start({ config, logger, registry, pool, callers }) {
    const kafka = createKafka(config, SERVICE, logger);
    const admin = kafka.admin();
    await admin.connect();
    const metrics = createReadModelMetrics(registry);
    registerConsumerLagGauge(registry, { admin, groupId: READ_MODEL_GROUP_ID, topics: CONSUMED_TOPICS, logger });
    registerOldestAgeGauge(registry, pool, {
      name: 'read_model_parked_event_oldest_age_seconds',
      help: 'Age of the oldest event of a ledger transaction waiting for its other events or its predecessors (0 when none waits).',
      table: 'parked_events',
      where: 'true',
    });

    // A consumer that would miss events the log no longer holds refuses: then /readyz says why (projection-start.ts).
    const { consumer, readiness } = await startProjecting({ kafka, pool, logger, metrics, groupId: READ_MODEL_GROUP_ID });
    return {
      app: createReadModelApp({ pool, logger, registry, metrics, readiness: { ...readinessChecks(pool, admin), ...readiness }, callers }),
      async stop() {
        await consumer?.stop();
        await admin.disconnect();
        logger.info('read model stopped');
      },
    };
  },
});

function readinessChecks(pool: Pool, admin: Admin) {
  return {
    postgres: () => pool.query('SELECT 1'),
    kafka: () => admin.describeCluster(),
  };
}
