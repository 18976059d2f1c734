/**
 * Failure drill: the ledger service is killed with SIGKILL while the
 * workflows' activities are calling it (reserving, capturing and voiding
 * holds, posting batch chunks), and restarted by `deploy/stack up` 5 s later.
 * Requests cut off mid-transaction roll back; the activities retry with the
 * same hold ids, entry ids and Idempotency-Keys, so every hold is reserved,
 * captured or voided exactly once and every batch item posted at most once:
 * each transfer ends as its kind must, an atomic batch posts all or none, and
 * the contract's invariants hold once the system is idle.
 * The kill lands while a batch is mid-way (support/batches.ts: an
 * independent batch of two chunks caught with one recorded, an atomic batch
 * of 500 items under way).
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { runDrill, strikeMidBatch, violationsOf } from './support/drill';
import { signalComponent } from './support/stack';

it('when the ledger is killed while activities and batch chunks call it and restarted, then nothing is lost or applied twice and the invariants hold', async () => {
  const result = await runDrill({
    name: 'ledger',
    fault: 'ledger SIGKILL mid-batch, restarted after 5 s',
    faulted: ['ledger'],
    holdMs: 5_000,
    batches: true,
    inject: async (ctx) => {
      const inFlight = await ctx.pending();
      const killed = await strikeMidBatch(ctx, () => `SIGKILL to the ledger (pid ${signalComponent('ledger', 'SIGKILL')})`);
      return `${killed} with ${inFlight} transfers in flight`;
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
