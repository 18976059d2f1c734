/**
 * History drill: the long Jepsen-style run. Client processes move money
 * within groups of accounts (small transfers, approvals decided by another
 * client, reversals, balance and statement reads) for about 150 s while the
 * nemesis SIGKILLs and SIGSTOPs the worker, a ledger copy, accounts, the read
 * model and the gateway, restarts PostgreSQL, Kafka and Temporal, and
 * terminates transfer workflows as an operator would. Everything is healed,
 * indeterminate ops are resolved with their Idempotency-Keys, and the history
 * must pass every check (test/history/checks.ts) and the Go checker: no money
 * appeared, disappeared, moved twice or stayed locked.
 * How: runHistory (test/history/harness.ts); knobs as for `npm run
 * check:history` (HISTORY_SECONDS defaults to 150 here, HISTORY_SEED replays a
 * run's choices). The ledger runs two copies for the run (the nemesis stops
 * one of them), and one again afterwards; `deploy/stack up` remembers the count
 * for the heals in between.
 */
import { runHistory } from '../history/harness';
import { FULL_SCHEDULE } from '../history/nemesis';
import { historyOptionsFromEnv } from '../history/options';
import { recordResult } from './support/report';
import { stack } from './support/stack';

/** Runs deploy/stack up with LEDGER_INSTANCES set (passed through process.env, which stack() hands to the child). */
async function upWithLedgers(count: string): Promise<void> {
  const saved = process.env.LEDGER_INSTANCES;
  process.env.LEDGER_INSTANCES = count;
  try {
    await stack('up');
  } finally {
    if (saved === undefined) delete process.env.LEDGER_INSTANCES;
    else process.env.LEDGER_INSTANCES = saved;
  }
}

beforeAll(() => upWithLedgers('2'), 10 * 60_000);
afterAll(() => upWithLedgers('1'), 10 * 60_000);

it('when every fault hits mid-load, then the history has no anomaly', async () => {
  // Six groups of two clients rather than three of four: the same twelve
  // clients, but half the operations per group. Porcupine's search grows
  // exponentially with the operations of one group whose answer came late
  // (resolved after the run); at three groups of four, 150 s with every fault
  // left it undecided after 60 s per group (and 12 GB after 4 minutes).
  const result = await runHistory(historyOptionsFromEnv({ seconds: 150, schedule: FULL_SCHEDULE, groups: 6, clientsPerGroup: 2 }));
  const failed = result.checks.filter((c) => c.violations.length > 0).map((c) => `${c.name} (${c.violations.length})`);
  recordResult({
    drill: 'history',
    fault: 'every fault, one after another',
    submitted: `${result.report.match(/\btransfer ok (\d+)/)?.[1] ?? '?'} transfers answered`,
    recovery: '-',
    drain: '-',
    invariants: [failed.length === 0 ? 'all checks hold' : `failed: ${failed.join(', ')}`, `Go checker ${result.goChecker.verdict}`].join('; '),
  });
  expect(result.anomalies).toEqual([]);
}, 30 * 60_000);
