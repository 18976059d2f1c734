/**
 * A service for instances.unit.test.ts: FIXTURE_INSTANCES copies (runInstances)
 * behind FIXTURE_PORT, each answering GET /pid with its pid and counting the
 * answers on its registry, so the test can see the copies share the port,
 * the primary sum their metrics, and a dead copy come back.
 */
import { closeServer, createServiceApp, finishServiceApp, listen, onShutdown } from '../../http';
import { createLogger } from '../../logger';
import { Counter, createRegistry } from '../../telemetry/metrics';
import { runInstances } from '../instances';

const logger = createLogger('fixture', 'warn');

async function main(): Promise<void> {
  const registry = createRegistry('fixture');
  const answers = new Counter({ name: 'fixture_answers_total', help: 'GET /pid answered.', registers: [registry] });
  const app = createServiceApp({ logger, registry, readiness: {} });
  app.get('/pid', (_req, res) => {
    answers.inc();
    res.json({ pid: process.pid });
  });
  finishServiceApp(app, logger);
  const server = await listen(app, Number(process.env.FIXTURE_PORT), '127.0.0.1');
  onShutdown(logger, () => closeServer(server));
}

runInstances({ service: 'fixture', variable: 'FIXTURE_INSTANCES', logger, main });
