import '../../lib/telemetry/register';
/**
 * An outbox relay alone in its process, for bench/outbox-pipeline.ts: the
 * relay the ledger and accounts services run (lib/outbox), traced like them,
 * on the outbox table of one schema of the ledger database
 * (BENCH_OUTBOX_SCHEMA), with /healthz and /metrics on BENCH_RELAY_PORT. Its
 * CPU is then the relay's own, with no request handling mixed in.
 */
import { Pool } from 'pg';
import { databaseUrl, loadConfig } from '../../lib/config';
import { createServiceApp, finishServiceApp, listen, onShutdown } from '../../lib/http';
import { createKafka } from '../../lib/kafka';
import { createLogger } from '../../lib/logger';
import { OutboxRelay } from '../../lib/outbox';
import { createRegistry } from '../../lib/telemetry/metrics';
import { stopTracing } from '../../lib/telemetry/tracing';

async function main(): Promise<void> {
  const config = loadConfig();
  const schema = process.env.BENCH_OUTBOX_SCHEMA ?? '';
  const port = Number(process.env.BENCH_RELAY_PORT);
  if (!/^[a-z_][a-z0-9_]*$/.test(schema) || !Number.isInteger(port)) throw new Error('BENCH_OUTBOX_SCHEMA and BENCH_RELAY_PORT must be set');
  const logger = createLogger('outbox-relay-bench', config.LOG_LEVEL);
  const registry = createRegistry('outbox-relay-bench');
  const connectionString = databaseUrl(config, 'ledger');
  // As in the ledger: a pool of its own, two connections.
  const pool = new Pool({ connectionString, options: `-c search_path=${schema}`, max: 2, application_name: 'outbox-relay-bench' });
  const relay = new OutboxRelay({ pool, listenConnectionString: connectionString, kafka: createKafka(config, 'outbox-relay-bench', logger), logger, registry });
  relay.start();
  const app = createServiceApp({ logger, registry, readiness: { postgres: () => pool.query('SELECT 1') } });
  finishServiceApp(app, logger);
  const server = await listen(app, port, config.INTERNAL_BIND_HOST);
  onShutdown(logger, async () => {
    server.close();
    await relay.stop();
    await pool.end();
    await stopTracing();
  });
}

main().catch((error) => {
  createLogger('outbox-relay-bench').fatal({ err: error }, 'relay failed to start');
  process.exit(1);
});
