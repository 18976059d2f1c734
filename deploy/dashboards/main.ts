/**
 * The dashboards page of the native stack (server.ts) on DASHBOARDS_PORT,
 * reading the stack's Prometheus. `deploy/stack up` starts it and prints its address.
 */
import { loadConfig } from '../../lib/config';
import { closeServer, listen, onShutdown } from '../../lib/http';
import { createLogger } from '../../lib/logger';
import { createDashboardsApp } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('dashboards', config.LOG_LEVEL);
  const server = await listen(createDashboardsApp({ prometheusUrl: config.prometheusUrl, logger }), config.DASHBOARDS_PORT, config.GATEWAY_BIND_HOST);
  logger.info({ port: config.DASHBOARDS_PORT, prometheus: config.prometheusUrl }, 'dashboards page listening');
  onShutdown(logger, () => closeServer(server));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
