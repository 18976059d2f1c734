/**
 * The ceiling: what the same Temporal server does with a bare workflow of as
 * many local activities as a transfer has steps (no-op activities), started
 * by a client in this process with as many in flight as the bench has
 * clients, run by a worker process of its own (ceiling-worker.ts) on a task
 * queue of its own with the transfer worker's settings. Transfers/s divided
 * by this is how close the saga comes to its engine.
 */
import { performance } from 'node:perf_hooks';
import type { Client as TemporalClient } from '@temporalio/client';
import { percentiles, type Percentiles, type ServiceGroup } from '../support';
import type { ceilingWorkflow } from './ceiling-workflow';
import { settings } from './settings';
import { cpuMsPer, type CpuInterval, type StackCpu } from './stack-cpu';
import { scrape, sumOf, type PromSample } from './prometheus';
import { describeFailure } from '../support';

/** The worker bundles its workflow with webpack before it answers /healthz; slow on a busy machine. */
const WORKER_HEALTH_TIMEOUT_MS = 180_000;
/** A workflow the server cannot finish within this fails instead of holding the run. */
const WORKFLOW_TIMEOUT = '60 seconds';

export interface CeilingResult {
  steps: number;
  clients: number;
  durationS: number;
  workflows: number;
  workflowsPerS: number;
  latencyMs: Percentiles;
  failures: Record<string, number>;
  cpu: CpuInterval | null;
  /** CPU ms per workflow: the Temporal server, the ceiling's worker, the bench's client. */
  cpuMsPerWorkflow: { temporal: number; worker: number; client: number } | null;
  /** The dev server's persistence requests per workflow (all its traffic meanwhile). */
  persistenceRequestsPerWorkflow: number;
}

export interface CeilingContext {
  services: ServiceGroup;
  temporal: TemporalClient;
  cpu: StackCpu;
  temporalMetricsPort: number;
  runId: string;
  isStopping: () => boolean;
}

async function startWorker(ctx: CeilingContext): Promise<void> {
  const { ports } = settings;
  await ctx.services.start('ceiling-worker', 'bench/e2e/ceiling-worker.ts', ports.ceilingWorker, {
    ...process.env,
    LOG_LEVEL: 'warn',
    BENCH_CEILING_TASK_QUEUE: settings.ceilingTaskQueue,
    BENCH_CEILING_WORKER_PORT: String(ports.ceilingWorker),
    BENCH_CEILING_WORKER_TEMPORAL_METRICS_PORT: String(ports.ceilingWorkerTemporalMetrics),
  }, { healthTimeoutMs: WORKER_HEALTH_TIMEOUT_MS });
}

export async function runCeiling(ctx: CeilingContext): Promise<CeilingResult> {
  const { clients, warmupS, ceilingSteps: steps } = settings;
  const durationS = settings.ceilingS;
  console.log(`ceiling: starting its worker (task queue ${settings.ceilingTaskQueue})`);
  await startWorker(ctx);
  process.stdout.write(`  ceiling: ${steps} no-op local activities, ${clients} in flight, ${warmupS}s warm-up + ${durationS}s ... `);
  const startMs = performance.now();
  const warmupEndMs = startMs + warmupS * 1000;
  const endMs = warmupEndMs + durationS * 1000;
  const latenciesMs: number[] = [];
  const failures: Record<string, number> = {};
  let seq = 0;
  let atWindowStart: { cpu: ReturnType<StackCpu['snapshot']>; server: PromSample[] } | null = null;
  const windowStart = (async () => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, warmupEndMs - performance.now())));
    atWindowStart = { cpu: ctx.cpu.snapshot(), server: await scrape(ctx.temporalMetricsPort) };
  })();
  const client = async () => {
    while (performance.now() < endMs && !ctx.isStopping()) {
      const sentMs = performance.now();
      try {
        await ctx.temporal.workflow.execute<typeof ceilingWorkflow>('ceilingWorkflow', {
          taskQueue: settings.ceilingTaskQueue,
          workflowId: `bench-ceiling-${ctx.runId}-${seq++}`,
          args: [steps],
          workflowExecutionTimeout: WORKFLOW_TIMEOUT,
        });
        const doneMs = performance.now();
        if (doneMs >= warmupEndMs && doneMs <= endMs) latenciesMs.push(doneMs - sentMs);
      } catch (error) {
        const kind = describeFailure(error);
        failures[kind] = (failures[kind] ?? 0) + 1;
      }
    }
  };
  const loops = Array.from({ length: clients }, client);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, endMs - performance.now())));
  const atEnd = { cpu: ctx.cpu.snapshot(), server: await scrape(ctx.temporalMetricsPort) };
  await Promise.all([...loops, windowStart]);
  await ctx.services.stop('ceiling-worker');
  const start = atWindowStart as { cpu: ReturnType<StackCpu['snapshot']>; server: PromSample[] } | null;
  const workflows = latenciesMs.length;
  const cpu = ctx.cpu.between(start?.cpu ?? null, atEnd.cpu);
  const perWorkflow = cpu ? cpuMsPer(cpu, workflows) : null;
  const persistence = (samples: PromSample[]) => sumOf(samples, 'persistence_requests');
  const result: CeilingResult = {
    steps,
    clients,
    durationS,
    workflows,
    workflowsPerS: workflows / durationS,
    latencyMs: percentiles(latenciesMs),
    failures,
    cpu,
    cpuMsPerWorkflow: perWorkflow ? { temporal: perWorkflow.temporal, worker: perWorkflow['ceiling-worker'], client: perWorkflow.bench } : null,
    persistenceRequestsPerWorkflow:
      start && atEnd.server.length > 0 && workflows > 0 ? (persistence(atEnd.server) - persistence(start.server)) / workflows : Number.NaN,
  };
  console.log(`${result.workflowsPerS.toFixed(1)} workflows/s`);
  return result;
}
