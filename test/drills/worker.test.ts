/**
 * Failure drill: the worker is killed with SIGKILL mid-load (no graceful
 * shutdown: activities and workflow tasks in flight are simply lost) and
 * restarted by `deploy/stack up` a few seconds later. Temporal must resume
 * every workflow on the new worker: each transfer ends as its kind must, none
 * posts twice, and the contract's invariants hold once the system is idle.
 * The load includes transfer batches (support/batches.ts), and the kill lands
 * while one is mid-way: an independent batch with its first chunk recorded
 * and its second being posted, an atomic one of 500 items under way. The
 * restarted worker repeats the lost local activities; the entry ids derived
 * from batch and index make the ledger replay what was posted, so each item
 * posts once, an atomic batch all or none, and every batch ends final.
 * How: runDrill (support/drill.ts) runs the load and the checks; this file
 * says only which fault, when, for how long.
 */
import { runDrill, strikeMidBatch, violationsOf } from './support/drill';
import { signalComponent } from './support/stack';

it('when the worker is killed with SIGKILL mid-load and mid-batch and restarted, then every transfer and batch item settles once and the invariants hold', async () => {
  const result = await runDrill({
    name: 'worker',
    fault: 'worker SIGKILL mid-batch, restarted after 5 s',
    faulted: ['worker'],
    holdMs: 5_000,
    batches: true,
    inject: (ctx) => strikeMidBatch(ctx, () => `SIGKILL to the worker (pid ${signalComponent('worker', 'SIGKILL')})`),
  });
  expect(violationsOf(result)).toEqual([]);
});
