/**
 * What happens to one consumed message: parse it, restore its trace, apply it
 * in one transaction (retrying with backoff while the database fails), count
 * and log the outcome. The Kafka wiring around it is in consumer.ts.
 */
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '../../lib/logger';
import type { Pool } from '../../lib/pg';
import { ApplyAborted, type ApplyGate } from './apply-gate';
import { applyEvent, type ApplyOutcome, type EventPosition } from './apply';
import { logFieldsOf, parseEvent, type ProjectionEvent } from './events';
import type { ReadModelMetrics } from './metrics';
import { APPLY_BACKOFF, backoffDelayMs, sleep, type BackoffPolicy } from './retry';
import { messageContext } from './trace-context';

export type HandleOutcome = 'applied' | 'duplicate' | 'malformed' | 'aborted';

export interface MessageHandlerDeps {
  pool: Pool;
  logger: Logger;
  metrics: ReadModelMetrics;
  /** Off for the rebuild: replayed events should not add spans to old traces. */
  joinProducerTrace: boolean;
  gate?: ApplyGate;
  backoff?: BackoffPolicy;
}

/** What the consumer loop lends the handler while it retries. */
export interface ConsumerControl {
  heartbeat: () => Promise<void>;
  isRunning: () => boolean;
}

export type MessageHandler = (message: KafkaMessage, position: EventPosition, control: ConsumerControl) => Promise<HandleOutcome>;

// Past this many failed attempts the database is not coming back by itself.
const ATTEMPTS_BEFORE_ERROR_LOG = 10;

const tracer = trace.getTracer('read-model');

export function createMessageHandler(deps: MessageHandlerDeps): MessageHandler {
  return async (message, position, control) => {
    const parsed = parseEvent(position.topic, message.value);
    if (!parsed.ok) {
      // Retrying cannot fix a malformed message and waiting on it would stall
      // the partition: skip it, loudly.
      deps.logger.error({ ...positionFields(position), reason: parsed.reason }, 'skipping malformed event');
      deps.metrics.eventsSkipped.inc({ topic: position.topic, reason: 'malformed' });
      return 'malformed';
    }
    const parent = deps.joinProducerTrace ? messageContext(message.headers) : context.active();
    return context.with(parent, () => applyInSpan(deps, parsed.event, position, control));
  };
}

function applyInSpan(deps: MessageHandlerDeps, event: ProjectionEvent, position: EventPosition, control: ConsumerControl): Promise<HandleOutcome> {
  const attributes = {
    'messaging.destination.name': position.topic,
    'messaging.kafka.destination.partition': position.partition,
    'messaging.kafka.message.offset': position.offset.toString(),
    'read_model.event.id': event.envelope.eventId,
    'read_model.event.type': event.envelope.type,
  };
  return tracer.startActiveSpan(`read-model apply ${event.envelope.type}`, { attributes }, async (span) => {
    try {
      const outcome = await applyWithRetry(deps, event, position, control, span);
      span.setAttribute('read_model.event.duplicate', !outcome.applied);
      return report(deps, event, position, outcome);
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
  const apply = () => applyEvent(deps.pool, event, position);
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

function report(deps: MessageHandlerDeps, event: ProjectionEvent, position: EventPosition, outcome: ApplyOutcome): HandleOutcome {
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
  // One line per event of a transfer or account (reserved, captured, posted, ...): a normal operation, so INFO.
  else deps.logger.info(fields, 'event applied');
  return 'applied';
}

function positionFields(position: EventPosition) {
  return { topic: position.topic, partition: position.partition, offset: position.offset.toString() };
}
