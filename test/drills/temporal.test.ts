/**
 * Failure drill: the Temporal dev server is restarted mid-load (stopped, then
 * started again on its SQLite file by `deploy/stack up`). While it is down the
 * gateway answers 503 to new transfers (recorded, workflow not started yet)
 * and the load retries with the same Idempotency-Key, which starts the
 * missing workflow; the worker reconnects and resumes the workflows in flight
 * from their persisted history. Each transfer ends as its kind must and the
 * contract's invariants hold once the system is idle.
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { runDrill, violationsOf } from './support/drill';
import { stack } from './support/stack';

it('when the Temporal server restarts mid-load, then the workflows resume, every transfer settles once and the invariants hold', async () => {
  const result = await runDrill({
    name: 'temporal',
    fault: 'Temporal dev server restarted (down 5 s)',
    faulted: ['temporal'],
    holdMs: 5_000,
    inject: async () => {
      await stack('stop', 'temporal');
      return 'deploy/stack stop temporal';
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
