/**
 * Releases reserved holds whose expiry has passed, on a fixed interval, in
 * bounded batches. The saga voids its own holds; this is the safety net for a
 * hold whose owner is gone.
 */
import type { LedgerDeps } from './deps';
import { expireDueHolds } from './holds';
import { expiredHoldIds } from './repository';

const BATCH_SIZE_MAX = 100;

export function startHoldExpiry(deps: LedgerDeps, intervalMs = 5_000): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    expiredHoldIds(deps.pool, BATCH_SIZE_MAX)
      .then((ids) => expireDueHolds(deps, ids))
      .then((count) => count > 0 && deps.logger.info({ count }, 'expired holds released'))
      .catch((error) => deps.logger.warn({ err: error }, 'hold expiry pass failed; will try again'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
