/**
 * How the outbox relay hands rows to Kafka. Each message gets a PRODUCER span
 * of its own, started in the trace context stored with its row, and carries
 * that span's traceparent: the read model applies it in the trace of the
 * request that wrote the row, whatever other rows travelled with it.
 *
 * `sendAll` sends a whole claim in one produce request; `sendRowByRow` is the
 * fallback that isolates a row the broker refuses (one request per row, one
 * key's rows in id order, a key stopping at its first failure).
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Message, Producer } from 'kafkajs';

export interface OutboxRow {
  id: string;
  topic: string;
  message_key: string;
  envelope: string;
  traceparent: string | null;
}

const tracer = trace.getTracer('outbox-relay');

interface Prepared {
  row: OutboxRow;
  span: Span;
  message: Message;
}

/** The row's message, with a producer span in the row's own trace; the span's context goes in the headers. */
function prepare(row: OutboxRow): Prepared {
  const headers: Record<string, string> = row.traceparent ? { traceparent: row.traceparent } : {};
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer.startSpan(
    row.topic,
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.destination': row.topic, 'messaging.kafka.message.key': row.message_key },
    },
    parent,
  );
  // Without a tracing SDK the span is a no-op and the stored traceparent stays as it is.
  propagation.inject(trace.setSpan(parent, span), headers);
  return { row, span, message: { key: row.message_key, value: row.envelope, headers } };
}

function endSpans(prepared: Prepared[], error?: unknown): void {
  for (const { span } of prepared) {
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
    span.end();
  }
}

/**
 * The kafkajs instrumentation would give every message of a batch a producer
 * span under one and the same active context, and overwrite the traceparent
 * headers set above with those spans' ids. Tracing is suppressed for the call
 * so it does neither; our spans, made per row, stand in for its.
 */
function sendUntraced(producer: Producer, prepared: Prepared[]): Promise<unknown> {
  const byTopic = new Map<string, Message[]>();
  for (const { row, message } of prepared) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push(message);
    byTopic.set(row.topic, messages);
  }
  const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  return context.with(suppressTracing(ROOT_CONTEXT), () => producer.sendBatch({ acks: -1, topicMessages }));
}

/**
 * Sends `rows` (in id order) in one produce request. One key's rows keep their
 * order: they go to one partition, in one record batch, which the broker
 * appends whole or not at all.
 */
export async function sendAll(producer: Producer, rows: OutboxRow[]): Promise<void> {
  const prepared = rows.map(prepare);
  try {
    await sendUntraced(producer, prepared);
  } catch (error) {
    endSpans(prepared, error);
    throw error;
  }
  endSpans(prepared);
}

export interface RowByRowResult {
  /** Ids of the rows Kafka acknowledged. */
  acked: string[];
  /** The first failure, if any row was not acknowledged. */
  failure?: unknown;
}

/**
 * Sends row by row: one key's rows one after another in id order, stopping
 * at that key's first failure so none of its later rows overtakes it; keys
 * concurrently. Settles every key before returning.
 */
export async function sendRowByRow(producer: Producer, rows: OutboxRow[]): Promise<RowByRowResult> {
  const acked: string[] = [];
  const failures: unknown[] = [];
  const byKey = new Map<string, OutboxRow[]>();
  for (const row of rows) byKey.set(row.message_key, [...(byKey.get(row.message_key) ?? []), row]);
  const sendKey = async (keyRows: OutboxRow[]) => {
    for (const row of keyRows) {
      try {
        await sendAll(producer, [row]);
        acked.push(row.id);
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  };
  await Promise.all([...byKey.values()].map(sendKey));
  return failures.length > 0 ? { acked, failure: failures[0] } : { acked };
}
