/**
 * One event applied on its own, in a transaction of its own, retried with
 * backoff while the database fails: the path a batch falls back to when its
 * transaction fails (batch-handler.ts), so that an event the database refuses
 * holds up only itself and what follows it in its partition, never the events
 * before it. The event is retried, never skipped: skipping would lose money
 * movements from the projections.
 */
import { context, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import { firstOf } from '../../lib/assert';
import { ApplyAborted, type ApplyGate } from './apply-gate';
import { applyEvents, type ApplyOutcome, type EventPosition } from './apply';
import { startEventSpan } from './event-span';
import { logFieldsOf, type ProjectionEvent } from './events';
import type { ReadModelMetrics } from './metrics';
import { positionFields, reportOutcome, type HandleOutcome } from './report';
import { APPLY_BACKOFF, backoffDelayMs, sleep, type BackoffPolicy } from './retry';

export interface MessageHandlerDeps {
  pool: Pool;
  logger: Logger;
  metrics: ReadModelMetrics;
  /** Off for the rebuild: replayed events should not add spans to old traces. */
  joinProducerTrace: boolean;
  gate?: ApplyGate;
  backoff?: BackoffPolicy;
}

/** What the consumer loop lends the handlers while they work. */
export interface ConsumerControl {
  heartbeat: () => Promise<void>;
  isRunning: () => boolean;
}

// Past this many failed attempts the database is not coming back by itself.
const ATTEMPTS_BEFORE_ERROR_LOG = 10;

/** Applies one parsed event in its own transaction; 'aborted' when the consumer stops or the gate is shut. */
export function applyAlone(
  deps: MessageHandlerDeps,
  message: KafkaMessage,
  event: ProjectionEvent,
  position: EventPosition,
  control: ConsumerControl,
): Promise<HandleOutcome> {
  const { span, context: spanContext } = startEventSpan(message, event, position, deps.joinProducerTrace);
  return context.with(spanContext, async () => {
    try {
      const outcome = await applyWithRetry(deps, event, position, control, span);
      span.setAttribute('read_model.event.duplicate', !outcome.applied);
      return reportOutcome(deps, event, position, outcome);
    } catch (error) {
      if (error instanceof ApplyAborted) return 'aborted';
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

async function applyWithRetry(
  deps: MessageHandlerDeps,
  event: ProjectionEvent,
  position: EventPosition,
  control: ConsumerControl,
  span: Span,
): Promise<ApplyOutcome> {
  const apply = async () => firstOf(await applyEvents(deps.pool, [{ event, position }]), `the outcomes of event ${event.envelope.eventId}`);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await (deps.gate ? deps.gate.run(apply) : apply());
    } catch (error) {
      // Not committing the offset is what keeps the event: on shutdown it is redelivered later.
      if (error instanceof ApplyAborted || !control.isRunning()) throw error;
      const delayMs = backoffDelayMs(attempt, deps.backoff ?? APPLY_BACKOFF);
      const fields = { err: error, attempt, delay_ms: delayMs, ...positionFields(position), ...logFieldsOf(event) };
      if (attempt >= ATTEMPTS_BEFORE_ERROR_LOG) deps.logger.error(fields, 'applying event keeps failing; retrying');
      else deps.logger.warn(fields, 'applying event failed; retrying');
      span.addEvent('retry', { attempt, 'retry.delay_ms': delayMs });
      await control.heartbeat();
      await sleep(delayMs);
    }
  }
}
