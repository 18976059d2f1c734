/**
 * /metrics of a service whose instances share one port (./instances.ts):
 * whichever copy a scrape reaches asks the primary, which gathers every
 * copy's registry over the cluster's IPC channel (prom-client's
 * AggregatorRegistry) and answers with them summed per label set, plus its
 * own three series: instances listening, instances wanted, restarts. So
 * Prometheus scrapes one target per service however many copies run, and a
 * counter is the service's total. Gauges read from shared state (an outbox's
 * oldest row, the consumer group's lag) declare `aggregator: 'max'`, since
 * every copy reads the same value; the rest are sums (connections, memory)
 * or prom-client's own choice (event loop lag: average, version: first).
 * When a copy restarts, its counters start again from 0 and the sum drops:
 * Prometheus's rate() takes that for a counter reset.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { assert } from '../assert';

const REQUEST = 'credit-ledger:cluster-metrics-request';
const RESPONSE = 'credit-ledger:cluster-metrics-response';
/** prom-client gives up on a copy that does not answer after 5 s; a little more for the round trip. */
const ANSWER_TIMEOUT_MS = 6_000;

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

function isMetricsMessage(message: unknown, type: string): message is MetricsMessage {
  return typeof message === 'object' && message !== null && (message as MetricsMessage).type === type;
}

/**
 * In a cluster copy: makes `registry` the one the primary gathers (instead of
 * prom-client's global one). Elsewhere nothing. Called where the registry is made.
 */
export function joinClusterMetrics(registry: Registry): void {
  if (!cluster.isWorker) return;
  new AggregatorRegistry(); // installs the copy's answer to the primary's gather requests
  AggregatorRegistry.setRegistries([registry]);
}

let nextRequestId = 0;
let answersHeard = false;
const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();

/** The exposition text GET /metrics answers: this process's registry, or, in a cluster copy, every copy's summed. */
export function metricsText(registry: Registry): Promise<string> {
  if (!cluster.isWorker || !process.send) return registry.metrics();
  if (!answersHeard) {
    process.on('message', settle);
    answersHeard = true;
  }
  const id = ++nextRequestId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`the primary did not answer a metrics request within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    waiting.set(id, {
      resolve: (text) => (clearTimeout(timer), resolve(text)),
      reject: (error) => (clearTimeout(timer), reject(error)),
    });
    assert(process.send !== undefined, 'an IPC channel to the primary in a copy of a clustered service');
    process.send({ type: REQUEST, id });
  });
}

function settle(message: unknown): void {
  if (!isMetricsMessage(message, RESPONSE)) return;
  const request = waiting.get(message.id);
  if (!request) return;
  waiting.delete(message.id);
  if (message.error !== undefined) request.reject(new Error(message.error));
  else request.resolve(message.text ?? '');
}

export interface InstanceCounts {
  desired: number;
  listening: number;
  restarts: number;
}

/** In the primary: answers the copies' metrics requests with every copy's metrics summed and the primary's own. */
export function servePrimaryMetrics(service: string, counts: () => InstanceCounts): void {
  const aggregator = new AggregatorRegistry();
  const own = primaryRegistry(service, counts);
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message, REQUEST)) return;
    const answer = (reply: Partial<MetricsMessage>) => {
      if (worker.isConnected()) worker.send({ type: RESPONSE, id: message.id, ...reply });
    };
    Promise.all([aggregator.clusterMetrics(), own.metrics()])
      .then(([copies, primary]) => answer({ text: copies + primary }))
      .catch((error: unknown) => answer({ error: error instanceof Error ? error.message : String(error) }));
  });
}

function primaryRegistry(service: string, counts: () => InstanceCounts): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  new Gauge({
    name: 'service_instances',
    help: 'Instances of the service listening on its shared port.',
    registers: [registry],
    collect() {
      this.set(counts().listening);
    },
  });
  new Gauge({
    name: 'service_instances_desired',
    help: 'Instances the service was started with (<SERVICE>_INSTANCES).',
    registers: [registry],
    collect() {
      this.set(counts().desired);
    },
  });
  let reported = 0;
  new Counter({
    name: 'service_instance_restarts_total',
    help: 'Instances the primary started again after they exited.',
    registers: [registry],
    collect() {
      this.inc(counts().restarts - reported);
      reported = counts().restarts;
    },
  });
  return registry;
}
