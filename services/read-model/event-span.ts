/**
 * The span of one event's application, "read-model apply <type>", in the
 * trace of the request that produced the event (from its traceparent header),
 * so a transfer's trace shows the read model taking its events in.
 */
import { context, trace, type Context, type Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { EventPosition } from './apply';
import type { ProjectionEvent } from './events';
import { messageContext } from './trace-context';

export const tracer = trace.getTracer('read-model');

export interface EventSpan {
  span: Span;
  /** The span's context: work run in it (SQL, log lines) belongs to the event's trace. */
  context: Context;
}

/** `joinProducerTrace` off (the rebuild): the span hangs from whatever is active instead. */
export function startEventSpan(message: KafkaMessage, event: ProjectionEvent, position: EventPosition, joinProducerTrace: boolean): EventSpan {
  const parent = joinProducerTrace ? messageContext(message.headers) : context.active();
  const attributes = {
    'messaging.destination.name': position.topic,
    'messaging.kafka.destination.partition': position.partition,
    'messaging.kafka.message.offset': position.offset.toString(),
    'read_model.event.id': event.envelope.eventId,
    'read_model.event.type': event.envelope.type,
  };
  const span = tracer.startSpan(`read-model apply ${event.envelope.type}`, { attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}
