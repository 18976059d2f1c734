/**
 * Failure drill: the ledger service is killed with SIGKILL while the
 * workflows' activities are calling it (reserving, capturing and voiding
 * holds), and restarted by `deploy/stack up` 5 s later. Requests cut off
 * mid-transaction roll back; the activities retry with the same hold ids and
 * Idempotency-Keys, so every hold is reserved, captured or voided exactly
 * once: each transfer ends as its kind must, none posts twice, and the
 * contract's invariants hold once the system is idle.
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { runDrill, violationsOf } from './support/drill';
import { signalComponent } from './support/stack';

it('when the ledger is killed while activities call it and restarted, then no hold is lost or applied twice and the invariants hold', async () => {
  const result = await runDrill({
    name: 'ledger',
    fault: 'ledger SIGKILL, restarted after 5 s',
    faulted: ['ledger'],
    holdMs: 5_000,
    inject: async (ctx) => {
      const inFlight = await ctx.pending();
      return `SIGKILL to the ledger (pid ${signalComponent('ledger', 'SIGKILL')}) with ${inFlight} transfers in flight`;
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
