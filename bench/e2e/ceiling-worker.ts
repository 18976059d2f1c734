/**
 * The ceiling's worker, a process of its own (so its CPU is counted apart
 * from the bench's client): runs bench/e2e/ceiling-workflow.ts on
 * BENCH_CEILING_TASK_QUEUE with the transfer worker's settings
 * (workers/tuning.ts, WORKER_TUNING laid over them as for the transfer
 * worker) and the same Runtime (our logger, the SDK's Prometheus
 * metrics on BENCH_CEILING_WORKER_TEMPORAL_METRICS_PORT). No tracing
 * interceptors: the ceiling is the bare engine. GET /healthz on
 * BENCH_CEILING_WORKER_PORT answers 200 while the worker runs.
 */
import http from 'node:http';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { installRuntime } from '../../workers/telemetry';
import { workerTuning } from '../../workers/tuning';
import { ceilingActivities } from './ceiling-activities';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('ceiling-worker', config.LOG_LEVEL);
  installRuntime(logger.child({ component: 'temporal' }), `127.0.0.1:${required('BENCH_CEILING_WORKER_TEMPORAL_METRICS_PORT')}`);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: required('BENCH_CEILING_TASK_QUEUE'),
    workflowsPath: require.resolve('./ceiling-workflow'),
    activities: ceilingActivities,
    ...workerTuning(),
  });
  const server = http.createServer((_req, res) => {
    const state = worker.getState();
    res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'text/plain' }).end(state);
  });
  server.listen(Number(required('BENCH_CEILING_WORKER_PORT')), '127.0.0.1');
  process.once('SIGTERM', () => worker.shutdown());
  process.once('SIGINT', () => worker.shutdown());
  await worker.run();
  server.close();
  await connection.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
