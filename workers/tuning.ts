/**
 * The Worker.create options that decide how fast the transfer worker runs:
 * workflow cache, task slots and pollers, sticky queue, V8 context reuse. One
 * module, imported by the worker (workers/main.ts) and by the benchmark's
 * ceiling worker (bench/e2e), so the engine and the transfers are measured
 * with the same settings.
 *
 * The values and the figures that chose them: bench/README.md, "Worker settings".
 * WORKER_TUNING (a JSON object, e.g. '{"maxCachedWorkflows":100}') is laid
 * over them, to measure others without a code change.
 */
import type { WorkerOptions } from '@temporalio/worker';

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'stickyQueueScheduleToStartTimeout'
  | 'reuseV8Context'
>;

export const TRANSFER_WORKER_TUNING: Readonly<WorkerTuning> = Object.freeze({
  // One shared V8 context for every workflow (the SDK's default since 1.9): far less memory and CPU per workflow.
  reuseV8Context: true,
  // A transfer below the approval threshold lives for one workflow task; only transfers awaiting approval
  // come back to the cache, so a few hundred entries keep them sticky without holding memory for nothing.
  maxCachedWorkflows: 500,
  // Backpressure. A workflow task holds its slot while its local steps run, so these slots bound the
  // transfers in progress in the worker; the rest wait in Temporal's task queue, which costs nothing.
  // With 100 (and 200 local-activity slots), the steps queued at the ledger's connection pool, hit their 5 s client
  // deadline and were retried, and the workflow tasks waiting on them heartbeat every 8 s (a new workflow
  // task each time): under an overload the retries added to the load (the bench measured 3.7 workflow
  // tasks per transfer). 32 in progress is ample for 30 transfers/s at ~100 ms each.
  maxConcurrentWorkflowTaskExecutions: 32,
  // The saga runs one step at a time, so one local-activity slot per workflow task slot never waits.
  maxConcurrentLocalActivityExecutions: 32,
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskPolls: 10,
  maxConcurrentActivityTaskPolls: 4,
  stickyQueueScheduleToStartTimeout: '10s',
});

/** The tuning with WORKER_TUNING's JSON object laid over it; a malformed value stops the process at start. */
export function workerTuning(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const text = env.WORKER_TUNING;
  if (!text) return { ...TRANSFER_WORKER_TUNING };
  const extra = JSON.parse(text) as unknown;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error('WORKER_TUNING must be a JSON object');
  return { ...TRANSFER_WORKER_TUNING, ...(extra as WorkerTuning) };
}
