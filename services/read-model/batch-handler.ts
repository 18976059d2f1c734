/**
 * What happens to a batch of one partition's messages: parse them, apply the
 * events in one transaction (apply.ts), then count and log each, each in the
 * span of its own producer's trace, and log one line for the batch. Should
 * the transaction fail, the batch is applied again event by event
 * (message-handler.ts), so the events before a bad one are applied and the
 * bad one is retried on its own.
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { ApplyAborted } from './apply-gate';
import { applyEvents, type ApplyOutcome, type EventPosition, type PositionedEvent } from './apply';
import { startEventSpan, tracer, type EventSpan } from './event-span';
import { parseEvent, type ProjectionEvent } from './events';
import { applyAlone, type ConsumerControl, type MessageHandlerDeps } from './message-handler';
import { reportMalformed, reportOutcome, type HandleOutcome } from './report';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
}

export interface BatchControl extends ConsumerControl {
  /** Every message before `nextOffset` has been handled; `count` of them since the last call. */
  handled: (nextOffset: bigint, count: number) => Promise<void>;
}

/** 'aborted': the consumer stops or the gate was shut; the messages not reported handled are redelivered later. */
export type BatchHandler = (batch: PartitionBatch, control: BatchControl) => Promise<'done' | 'aborted'>;

interface Parsed {
  message: KafkaMessage;
  position: EventPosition;
  /** Null for a malformed message, reported and skipped once, when parsed. */
  event: ProjectionEvent | null;
}

type Counts = Record<HandleOutcome, number>;

export function createBatchHandler(deps: MessageHandlerDeps): BatchHandler {
  return async (batch, control) => {
    const startedMs = Date.now();
    const parsed = batch.messages.map((message) => parse(deps, batch, message));
    const nextOffset = parsed[parsed.length - 1].position.offset + 1n;
    try {
      await applyTogether(deps, batch, parsed, startedMs);
    } catch (error) {
      if (error instanceof ApplyAborted || !control.isRunning()) return 'aborted';
      deps.logger.warn({ err: error, topic: batch.topic, partition: batch.partition, messages: parsed.length }, 'batch transaction failed; applying its events one by one');
      return applyOneByOne(deps, parsed, control);
    }
    await control.handled(nextOffset, parsed.length);
    return 'done';
  };
}

function parse(deps: MessageHandlerDeps, batch: PartitionBatch, message: KafkaMessage): Parsed {
  const position = { topic: batch.topic, partition: batch.partition, offset: BigInt(message.offset) };
  const result = parseEvent(batch.topic, message.value);
  if (result.ok) return { message, position, event: result.event };
  reportMalformed(deps, position, result.reason);
  return { message, position, event: null };
}

/**
 * One transaction for every event of the batch, under a span of the batch
 * that links to each event's producer span; each event's own span (and the
 * SQL of its projection) stays in its producer's trace, and ends once the
 * transaction has committed or rolled back. The batch's line is logged in the
 * batch's span: it belongs to no single event's trace.
 */
function applyTogether(deps: MessageHandlerDeps, batch: PartitionBatch, parsed: Parsed[], startedMs: number): Promise<void> {
  const events = parsed.filter((p): p is Parsed & { event: ProjectionEvent } => p.event !== null);
  const attributes = { 'messaging.destination.name': batch.topic, 'messaging.kafka.destination.partition': batch.partition, 'messaging.batch.message_count': parsed.length };
  return tracer.startActiveSpan('read-model batch', { attributes }, async (batchSpan) => {
    const spans: EventSpan[] = events.map(({ message, event, position }) => startEventSpan(message, event, position, deps.joinProducerTrace));
    for (const { span } of spans) batchSpan.addLink({ context: span.spanContext() });
    try {
      const positioned: PositionedEvent[] = events.map(({ event, position }) => ({ event, position }));
      const apply = () => applyEvents(deps.pool, positioned, (index, work) => context.with(spans[index].context, work));
      const applied = await (deps.gate ? deps.gate.run(apply) : apply());
      const outcomes = events.map(({ event, position }, i) => finishEvent(deps, spans[i], event, position, applied[i]));
      logBatch(deps, batch, parsed, count([...outcomes, ...parsed.filter((p) => p.event === null).map((): HandleOutcome => 'malformed')]), startedMs);
    } catch (error) {
      for (const { span } of spans) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'batch transaction rolled back' });
        span.end();
      }
      if (!(error instanceof ApplyAborted)) batchSpan.recordException(error as Error);
      batchSpan.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      batchSpan.end();
    }
  });
}

function finishEvent(deps: MessageHandlerDeps, eventSpan: EventSpan, event: ProjectionEvent, position: EventPosition, outcome: ApplyOutcome): HandleOutcome {
  eventSpan.span.setAttribute('read_model.event.duplicate', !outcome.applied);
  const reported = context.with(eventSpan.context, () => reportOutcome(deps, event, position, outcome));
  eventSpan.span.end();
  return reported;
}

/** The fallback: each event in a transaction of its own, reported handled as soon as it is applied. */
async function applyOneByOne(deps: MessageHandlerDeps, parsed: Parsed[], control: BatchControl): Promise<'done' | 'aborted'> {
  for (const { message, position, event } of parsed) {
    if (!control.isRunning()) return 'aborted';
    if (event !== null && (await applyAlone(deps, message, event, position, control)) === 'aborted') return 'aborted';
    await control.handled(position.offset + 1n, 1);
    // Sent only once the heartbeat interval has passed, so cheap to call per event.
    await control.heartbeat();
  }
  return 'done';
}

function count(outcomes: HandleOutcome[]): Counts {
  const counts: Counts = { applied: 0, duplicate: 0, malformed: 0, aborted: 0 };
  for (const outcome of outcomes) counts[outcome] += 1;
  return counts;
}

function logBatch(deps: MessageHandlerDeps, batch: PartitionBatch, parsed: Parsed[], counts: Counts, startedMs: number): void {
  deps.logger.info(
    {
      topic: batch.topic,
      partition: batch.partition,
      first_offset: parsed[0].position.offset.toString(),
      last_offset: parsed[parsed.length - 1].position.offset.toString(),
      messages: parsed.length,
      applied: counts.applied,
      duplicates: counts.duplicate,
      malformed: counts.malformed,
      duration_ms: Date.now() - startedMs,
    },
    'batch applied',
  );
}
