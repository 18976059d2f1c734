/**
 * The Worker.create options that decide how fast the transfer worker runs
 * (workflow cache, task slots and pollers, sticky queue, V8 context reuse),
 * for the ceiling's worker, so that engine and transfer are measured with the
 * same worker settings.
 *
 * MIRRORED from workers/main.ts, not imported: there they are written inline
 * in its Worker.create call. As of commit 36a218b that call sets none of them
 * (SDK defaults; shutdownGraceTime only matters at shutdown). When the worker's
 * values change, change them here too, or better, have workers/ export them
 * from one module and import it here.
 *
 * BENCH_CEILING_WORKER_OPTIONS (a JSON object, e.g. '{"maxCachedWorkflows":500}')
 * is laid over them, to measure the engine with other settings.
 */
import type { WorkerOptions } from '@temporalio/worker';

type Tuning = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'stickyQueueScheduleToStartTimeout'
  | 'reuseV8Context'
  | 'shutdownGraceTime'
>;

/** What workers/main.ts passes (see above). */
const TRANSFER_WORKER_TUNING: Tuning = {
  shutdownGraceTime: 15_000,
};

export function ceilingWorkerTuning(): Tuning {
  const text = process.env.BENCH_CEILING_WORKER_OPTIONS;
  if (!text) return TRANSFER_WORKER_TUNING;
  const extra = JSON.parse(text) as unknown;
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error('BENCH_CEILING_WORKER_OPTIONS must be a JSON object');
  return { ...TRANSFER_WORKER_TUNING, ...(extra as Tuning) };
}
