/**
 * What is read before and after each scenario: CPU of every process, the
 * transfer worker's Temporal SDK metrics and the dev server's, the services'
 * own metrics (outbox relay latency, projection latency, dropped spans), and
 * the spans the bench's collector received. Between two probes: where the
 * time went per transfer, the outbox age and projection lag the scenario saw,
 * spans per transfer.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../../lib/config';
import { TRANSFER_WORKFLOW_TYPE } from '../../lib/workflow-contract';
import { infraPortsOf, request, tcpPortsOf, temporalServerPid, type CpuSnapshot } from '../support';
import { appProcesses, workerTemporalMetricsPorts } from './app-stack';
import { histogramDelta, labelValues, scrape, sumOf, type HistogramDelta, type PromSample } from './prometheus';
import { settings } from './settings';
import type { StackCpu } from './stack-cpu';

export interface SinkCounts {
  spans: number;
  byService: Record<string, number>;
}

export interface Probe {
  atMs: number;
  cpu: CpuSnapshot | null;
  worker: PromSample[];
  server: PromSample[];
  /** Each app process's /metrics, in appProcesses() order. */
  apps: PromSample[][];
  sink: SinkCounts | null;
}

export interface ProbeContext {
  cpu: StackCpu;
  temporalMetricsPort: number;
}

async function sinkCounts(): Promise<SinkCounts | null> {
  if (settings.otlpEndpoint) return null;
  try {
    const answer = await request(settings.ports.otlpSink, 'GET', '/healthz', undefined, { timeoutMs: 5_000 });
    return JSON.parse(answer.body) as SinkCounts;
  } catch {
    return null;
  }
}

export async function probe(ctx: ProbeContext): Promise<Probe> {
  const cpu = ctx.cpu.snapshot();
  const [worker, server, apps, sink] = await Promise.all([
    // Every worker's SDK metrics, as one list: the steps are summed over the workers.
    Promise.all(workerTemporalMetricsPorts().map(scrape)).then((samples) => samples.flat()),
    scrape(ctx.temporalMetricsPort),
    Promise.all(appProcesses().map((app) => scrape(app.port))),
    sinkCounts(),
  ]);
  return { atMs: performance.now(), cpu, worker, server, apps, sink };
}

/** A probe of CPU only: cheap enough to take between two sends of an open loop. */
export function cpuProbe(ctx: ProbeContext): Probe {
  return { atMs: performance.now(), cpu: ctx.cpu.snapshot(), worker: [], server: [], apps: [], sink: null };
}

/**
 * The dev server's Prometheus endpoint: `temporal server start-dev` serves it
 * on a port of its choosing unless told; found by asking each port that the
 * dev server on the configured address listens on. 0 when there is none.
 */
export async function findTemporalMetricsPort(config: Config): Promise<number> {
  if (settings.ports.temporalMetrics !== 0) return settings.ports.temporalMetrics;
  const frontendPort = infraPortsOf(config).temporal!;
  const pid = temporalServerPid(frontendPort);
  if (pid === undefined) return 0;
  for (const port of tcpPortsOf([pid], true).filter((p) => p !== frontendPort)) {
    try {
      const answer = await request(port, 'GET', '/metrics', undefined, { timeoutMs: 1_000 });
      if (answer.status === 200 && answer.body.includes('persistence_latency')) return port;
    } catch {
      // not this one
    }
  }
  return 0;
}

// ------------------------------------------------------------------ between two probes

/** One step over an interval: how many per transfer, and their mean duration in ms. */
export interface Step {
  step: string;
  perTransfer: number;
  meanMs: number;
}

interface StepMetric {
  step: string;
  source: 'worker' | 'server';
  metric: string;
  labels?: Record<string, string>;
  /** Histograms in ms (the SDK's) or s (the server's); a counter has no mean. */
  unit: 'ms' | 's' | 'count';
}

/** Transfer workflow types of older app checkouts a run may compare against. */
const OLDER_TRANSFER_WORKFLOW_TYPES = ['transferWorkflowV2', 'transferWorkflow'];

const FIXED_STEPS: StepMetric[] = [
  { source: 'worker', step: 'workflow task: schedule-to-start', metric: 'temporal_workflow_task_schedule_to_start_latency', unit: 'ms' },
  { source: 'worker', step: 'workflow task: execution in the worker', metric: 'temporal_workflow_task_execution_latency', unit: 'ms' },
  { source: 'worker', step: 'workflow task: RespondWorkflowTaskCompleted', metric: 'temporal_request_latency', labels: { operation: 'RespondWorkflowTaskCompleted' }, unit: 'ms' },
  { source: 'worker', step: 'activity task: schedule-to-start', metric: 'temporal_activity_schedule_to_start_latency', unit: 'ms' },
  { source: 'worker', step: 'activity task: RespondActivityTaskCompleted', metric: 'temporal_request_latency', labels: { operation: 'RespondActivityTaskCompleted' }, unit: 'ms' },
  // Also the names older app checkouts (BENCH_APP_ROOT) start: transferWorkflowV2 until 2026-12-04, transferWorkflow before it.
  ...[...new Set([TRANSFER_WORKFLOW_TYPE, ...OLDER_TRANSFER_WORKFLOW_TYPES])].map((type): StepMetric => ({
    source: 'worker', step: `workflow end-to-end: ${type}`, metric: 'temporal_workflow_endtoend_latency', labels: { workflow_type: type }, unit: 'ms',
  })),
  { source: 'server', step: 'server: StartWorkflowExecution', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'StartWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: RespondWorkflowTaskCompleted', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'RespondWorkflowTaskCompleted' }, unit: 's' },
  { source: 'server', step: 'server: RespondActivityTaskCompleted', metric: 'service_latency', labels: { service_name: 'frontend', operation: 'RespondActivityTaskCompleted' }, unit: 's' },
  { source: 'server', step: 'server: workflow lock wait (mutable state cache)', metric: 'cache_latency', labels: { operation: 'HistoryCacheGetOrCreate' }, unit: 's' },
  { source: 'server', step: 'server: SQLite UpdateWorkflowExecution', metric: 'persistence_latency', labels: { operation: 'UpdateWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: SQLite CreateWorkflowExecution', metric: 'persistence_latency', labels: { operation: 'CreateWorkflowExecution' }, unit: 's' },
  { source: 'server', step: 'server: SQLite visibility writes', metric: 'visibility_persistence_latency', unit: 's' },
  { source: 'server', step: 'server: persistence requests, all', metric: 'persistence_requests', unit: 'count' },
];

/** The SDK's activity histograms, one row per activity type the worker ran (whatever the saga's shape). */
const ACTIVITY_METRICS = [
  { metric: 'temporal_activity_execution_latency', kind: 'activity' },
  { metric: 'temporal_local_activity_execution_latency', kind: 'local activity' },
];

function stepMetrics(after: Probe): StepMetric[] {
  const activities = ACTIVITY_METRICS.flatMap(({ metric, kind }) =>
    labelValues(after.worker, `${metric}_count`, 'activity_type').map((type): StepMetric => ({
      source: 'worker',
      step: `${kind}: ${type}`,
      metric,
      labels: { activity_type: type },
      unit: 'ms',
    })),
  );
  return [...FIXED_STEPS.slice(0, 4), ...activities, ...FIXED_STEPS.slice(4)];
}

function stepsBetween(before: Probe, after: Probe, transfers: number): Step[] {
  return stepMetrics(after).map(({ step, source, metric, labels = {}, unit }) => {
    const [b, a] = source === 'worker' ? [before.worker, after.worker] : [before.server, after.server];
    const delta = (name: string) => sumOf(a, name, labels) - sumOf(b, name, labels);
    const count = unit === 'count' ? delta(metric) : delta(`${metric}_count`);
    const meanMs = unit === 'count' || count <= 0 ? Number.NaN : (delta(`${metric}_sum`) / count) * (unit === 's' ? 1000 : 1);
    return { step, perTransfer: transfers > 0 && a.length > 0 ? count / transfers : Number.NaN, meanMs };
  });
}

export interface Flow {
  /** Outbox row written -> published to Kafka (every relay: ledger and accounts), seconds. */
  outboxAge: HistogramDelta;
  /** Event occurred -> applied to the read model's projections, seconds. */
  projectionLag: HistogramDelta;
  steps: Step[];
  spansPerTransfer: number | null;
  spansPerTransferByService: Record<string, number> | null;
  droppedSpans: number;
}

export function flowBetween(before: Probe, after: Probe, transfers: number): Flow {
  let byService: Record<string, number> | null = null;
  if (before.sink && after.sink && transfers > 0) {
    byService = {};
    for (const [service, n] of Object.entries(after.sink.byService)) byService[service] = (n - (before.sink.byService[service] ?? 0)) / transfers;
  }
  const dropped = (p: Probe) => p.apps.reduce((sum, samples) => sum + sumOf(samples, 'otel_spans_dropped_total'), 0);
  return {
    outboxAge: histogramDelta(before.apps, after.apps, 'outbox_relay_latency_seconds'),
    projectionLag: histogramDelta(before.apps, after.apps, 'projection_latency_seconds'),
    steps: stepsBetween(before, after, transfers),
    spansPerTransfer: before.sink && after.sink && transfers > 0 ? (after.sink.spans - before.sink.spans) / transfers : null,
    spansPerTransferByService: byService,
    droppedSpans: dropped(after) - dropped(before),
  };
}
