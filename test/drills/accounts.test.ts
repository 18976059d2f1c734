/**
 * Failure drill: the accounts service is stopped for 20 s mid-load, then
 * started again by `deploy/stack up`. The gateway keeps accepting transfers
 * (it does not call accounts); their workflows' account checks, and the
 * ledger's own account lookups, fail and retry until accounts is back. No
 * transfer may end differently because of it (a frozen account stays
 * refused, a funded one still posts), and the contract's invariants hold
 * once the system is idle.
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { runDrill, violationsOf } from './support/drill';
import { stack } from './support/stack';

it('when the accounts service is down for 20 s mid-load, then transfers wait for it, end as they must, and the invariants hold', async () => {
  const result = await runDrill({
    name: 'accounts',
    fault: 'accounts service stopped for 20 s',
    faulted: ['accounts'],
    holdMs: 20_000,
    inject: async () => {
      await stack('stop', 'accounts');
      return 'deploy/stack stop accounts';
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
