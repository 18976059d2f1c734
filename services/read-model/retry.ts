/**
 * Bounded exponential backoff for applying an event while the database is in
 * trouble. The event is retried, never skipped: skipping would lose money
 * movements from the projections.
 */

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const APPLY_BACKOFF: BackoffPolicy = { initialDelayMs: 200, maxDelayMs: 10_000 };

/** Delay before retry number `attempt` (from 1): doubling, capped, with jitter in its upper half so consumers do not retry in step. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceilingMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceilingMs / 2 + (random() * ceilingMs) / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
