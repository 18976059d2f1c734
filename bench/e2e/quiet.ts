/**
 * After a scenario's transfers are terminal, the rest of their work is still
 * under way: outbox rows waiting for the relay, events for the read model,
 * spans in the exporters' batches (sent every few seconds). The scenario's
 * figures are read once all of it has landed, or after QUIET_TIMEOUT_MS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sumOf } from './prometheus';
import { probe, type Probe, type ProbeContext } from './probe';
import { run } from './settings';

const QUIET_TIMEOUT_MS = 20_000;
const LOOK_EVERY_MS = 1_000;

function isQuiet(previous: Probe, now: Probe): boolean {
  const metric = (p: Probe, name: string) => p.apps.reduce((sum, samples) => sum + sumOf(samples, name), 0);
  const spansStill = previous.sink === null || now.sink === null || previous.sink.spans === now.sink.spans;
  return spansStill && metric(now, 'outbox_oldest_unpublished_age_seconds') === 0 && metric(now, 'consumer_lag') === 0;
}

/** The probe taken once outbox, read model and exporters are done (or the timeout passed); `quiet` says which. */
export async function probeWhenQuiet(ctx: ProbeContext, timeoutMs = QUIET_TIMEOUT_MS): Promise<Probe & { quiet: boolean }> {
  const deadlineMs = Date.now() + timeoutMs;
  let previous = await probe(ctx);
  while (Date.now() < deadlineMs && !run.stopping) {
    await sleep(LOOK_EVERY_MS);
    const now = await probe(ctx);
    if (isQuiet(previous, now)) return { ...now, quiet: true };
    previous = now;
  }
  return { ...previous, quiet: false };
}

