/**
 * `npm run check:history`: a short history run for CI (about 60 s of load,
 * one worker SIGKILL, one ledger SIGSTOP/SIGCONT, one termination), the
 * report printed, the exit code non-zero on any anomaly. Knobs (environment):
 * HISTORY_SEED, HISTORY_SECONDS (60), HISTORY_OPS (20000), HISTORY_GROUPS (3),
 * HISTORY_ACCOUNTS (3 per group), HISTORY_CLIENTS (4 per group),
 * HISTORY_FAULTS (short | full | none). Run the stack with
 * LEDGER_INSTANCES=2 so a ledger fault hits one copy of two.
 */
import { FULL_SCHEDULE, SHORT_SCHEDULE } from './nemesis';
import { historyOptionsFromEnv } from './options';
import { runHistory } from './harness';

const SCHEDULES = { short: SHORT_SCHEDULE, full: FULL_SCHEDULE, none: [] };

async function main(): Promise<void> {
  const faults = (process.env.HISTORY_FAULTS ?? 'short') as keyof typeof SCHEDULES;
  const result = await runHistory(historyOptionsFromEnv({ seconds: 60, schedule: SCHEDULES[faults] ?? SHORT_SCHEDULE }));
  process.exit(result.anomalies.length === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
