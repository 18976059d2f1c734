/**
 * Writes an event to the outbox inside the caller's transaction, with the
 * traceparent of the active context, so the event is published if and only if
 * the change commits, and in the trace of the request that made it.
 */
import { randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import type { PoolClient } from 'pg';
import { assert } from '../assert';
import type { EventEnvelope, Topic } from '../kafka';
import { inOpenTransaction } from '../pg';

export interface OutboxEvent<P> {
  topic: Topic;
  type: string;
  /** The account id: the message key, so one account's events stay ordered. */
  aggregateId: string;
  payload: P;
}

export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

export async function appendToOutbox<P>(client: PoolClient, events: OutboxEvent<P>[]): Promise<void> {
  if (events.length === 0) return;
  assert(inOpenTransaction(client), `the outbox rows of ${events.map((e) => e.type).join(', ')} written in the transaction of their change (lib/pg inTransaction)`);
  const traceparent = currentTraceparent();
  const occurredAt = new Date().toISOString();
  const values: unknown[] = [];
  const rows = events.map((event, i) => {
    const envelope: EventEnvelope<P> = {
      eventId: randomUUID(),
      type: event.type,
      occurredAt,
      aggregateId: event.aggregateId,
      payload: event.payload,
    };
    values.push(envelope.eventId, event.topic, event.aggregateId, event.type, JSON.stringify(envelope), traceparent);
    const p = i * 6;
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
  });
  await client.query(
    `INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, traceparent) VALUES ${rows.join(', ')}`,
    values,
  );
}
