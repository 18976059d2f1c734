/**
 * What the rebuild proves before it swaps, so it never replaces the live
 * tables with a projection of part of the history:
 *
 * - every partition it read still starts at offset 0, checked before it
 *   starts and again once it has read up to the high watermarks (the log start
 *   only moves forward, so a partition still at 0 then was read from its very
 *   first event);
 * - its balances equal the ledger's own, account by account
 *   (ledger-balances.ts), which also catches what offsets cannot: a topic
 *   deleted and created again, events never published.
 *
 * Either failure throws; the rebuild then drops its shadow schema and the live
 * tables stay as they were.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../../lib/logger';
import type { Pool } from '../../../lib/pg';
import { IncompleteLogError, truncatedPartitions } from '../log-start';
import { sleep } from '../retry';
import { differingBalances, LedgerMismatchError, type LedgerBalances } from './ledger-balances';

export const REFUSED = 'the rebuild refuses to swap and the live tables are untouched';

export async function refuseTruncatedLog(admin: Admin, topics: readonly string[]): Promise<void> {
  const gaps = await truncatedPartitions(admin, topics);
  if (gaps.length > 0) {
    throw new IncompleteLogError(gaps, `events before those offsets were deleted, so a projection of what is left would be wrong: ${REFUSED}`);
  }
}

export interface LedgerCheck {
  ledger: LedgerBalances;
  /** Bound to the shadow schema. */
  pool: Pool;
  /** Lets the rebuild consume what was published since (the ledger is ahead of Kafka by the relay's delay). */
  catchUp: () => Promise<void>;
  logger: Logger;
  rounds?: number;
  pauseMs?: number;
}

// The ledger and the topics are read at slightly different instants: an
// account that differs is read again after the relay has had time to publish
// what the ledger wrote meanwhile. Only what still differs after every round refuses the swap.
const SETTLE_ROUNDS = 5;
const SETTLE_PAUSE_MS = 1_000;

/** Resolves with the number of ledger accounts compared once none differs. */
export async function confirmAgainstLedger(check: LedgerCheck): Promise<number> {
  const { compared, differences: found } = await differingBalances(check.ledger, check.pool);
  let differences = found;
  for (let round = 1; differences.length > 0 && round <= (check.rounds ?? SETTLE_ROUNDS); round += 1) {
    check.logger.info({ accounts: differences.length, round }, 'rebuilt balances differ from the ledger; letting events in flight arrive');
    await sleep(check.pauseMs ?? SETTLE_PAUSE_MS);
    await check.catchUp();
    ({ differences } = await differingBalances(
      check.ledger,
      check.pool,
      differences.map((difference) => difference.accountId),
    ));
  }
  if (differences.length > 0) throw new LedgerMismatchError(differences, REFUSED);
  return compared;
}
