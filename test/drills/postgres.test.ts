/**
 * Failure drill: PostgreSQL, which every service and the transfers table use,
 * is stopped mid-load (fast shutdown: open transactions roll back, every
 * connection is cut) and started again by `deploy/stack up` 5 s later. The
 * gateway answers 503 meanwhile and the load retries with the same
 * Idempotency-Key; activities, outbox relays and the read-model consumer
 * retry against the restarted server. Each transfer ends as its kind must and
 * the contract's invariants hold once the system is idle.
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { runDrill, violationsOf } from './support/drill';
import { stack } from './support/stack';

it('when PostgreSQL restarts mid-load, then every service reconnects, every transfer settles once and the invariants hold', async () => {
  const result = await runDrill({
    name: 'postgres',
    fault: 'PostgreSQL restarted (down 5 s)',
    faulted: ['postgres'],
    holdMs: 5_000,
    inject: async () => {
      await stack('stop', 'postgres');
      return 'deploy/stack stop postgres';
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
