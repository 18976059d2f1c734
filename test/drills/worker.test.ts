/**
 * Failure drill: the worker is killed with SIGKILL mid-load (no graceful
 * shutdown: activities and workflow tasks in flight are simply lost) and
 * restarted by `deploy/stack up` a few seconds later. Temporal must resume
 * every workflow on the new worker: each transfer ends as its kind must, none
 * posts twice, and the contract's invariants hold once the system is idle.
 * How: runDrill (support/drill.ts) runs the load and the checks; this file
 * says only which fault, for how long.
 */
import { runDrill, violationsOf } from './support/drill';
import { signalComponent } from './support/stack';

it('when the worker is killed with SIGKILL mid-load and restarted, then every transfer settles once and the invariants hold', async () => {
  const result = await runDrill({
    name: 'worker',
    fault: 'worker SIGKILL, restarted after 5 s',
    faulted: ['worker'],
    holdMs: 5_000,
    inject: async () => `SIGKILL to the worker (pid ${signalComponent('worker', 'SIGKILL')})`,
  });
  expect(violationsOf(result)).toEqual([]);
});
