/**
 * What the read model says about an event once its transaction has
 * committed: the metrics, and the log lines. Every event is logged at DEBUG;
 * INFO is kept for one line per batch (batch-handler.ts) and one per hold
 * that reaches its final status (the end of a transfer, as the projections
 * see it), so a transfer's trace id still shows in the read model's log.
 */
import type { Logger } from '../../lib/logger';
import type { ApplyOutcome, EventPosition } from './apply';
import { logFieldsOf, type ProjectionEvent } from './events';
import type { ReadModelMetrics } from './metrics';

export type HandleOutcome = 'applied' | 'duplicate' | 'malformed' | 'aborted';

export interface ReportDeps {
  logger: Logger;
  metrics: ReadModelMetrics;
}

/** Counts and logs one event's outcome; call it in the event's span context, after the commit. */
export function reportOutcome(deps: ReportDeps, event: ProjectionEvent, position: EventPosition, outcome: ApplyOutcome): HandleOutcome {
  const fields = { ...positionFields(position), ...logFieldsOf(event) };
  if (!outcome.applied) {
    deps.metrics.eventsSkipped.inc({ topic: position.topic, reason: 'duplicate' });
    deps.logger.debug(fields, 'event already applied; skipped');
    return 'duplicate';
  }
  deps.metrics.eventsProcessed.inc({ topic: position.topic, type: event.envelope.type });
  const latencySeconds = (Date.now() - Date.parse(event.envelope.occurredAt)) / 1000;
  deps.metrics.projectionLatency.observe({ topic: position.topic }, Math.max(0, latencySeconds));
  if (event.kind === 'unknown') deps.logger.warn(fields, 'event type unknown to the read model; recorded, not projected');
  else if (outcome.holdContradiction) deps.logger.warn(fields, 'hold already has another final status; event ignored');
  else if (outcome.holdSettled) deps.logger.debug(fields, 'hold settled');
  else deps.logger.debug(fields, 'event applied');
  return 'applied';
}

/** A message that is not an event the read model can read: skipped, loudly, as retrying cannot fix it. */
export function reportMalformed(deps: ReportDeps, position: EventPosition, reason: string): HandleOutcome {
  deps.logger.error({ ...positionFields(position), reason }, 'skipping malformed event');
  deps.metrics.eventsSkipped.inc({ topic: position.topic, reason: 'malformed' });
  return 'malformed';
}

export function positionFields(position: EventPosition) {
  return { topic: position.topic, partition: position.partition, offset: position.offset.toString() };
}
