/**
 * Restores the trace of the request that produced an event, from the W3C
 * `traceparent` header the outbox relay put on the message, so the read
 * model's spans (and the pg spans under them) join the transfer's trace.
 */
import { context, propagation, ROOT_CONTEXT, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

const kafkaHeaderGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map((item) => item.toString()) : value.toString();
  },
};

/** The context to apply a message in: the producer's trace when the message carries one. */
export function messageContext(headers: IHeaders | undefined): Context {
  const sent = propagation.extract(ROOT_CONTEXT, headers ?? {}, kafkaHeaderGetter);
  const sentSpan = trace.getSpanContext(sent);
  if (!sentSpan) return context.active();
  // The kafkajs instrumentation may already have us inside a span of that same
  // trace; keeping it as the parent gives the fuller tree.
  const active = trace.getActiveSpan()?.spanContext();
  return active?.traceId === sentSpan.traceId ? context.active() : sent;
}
