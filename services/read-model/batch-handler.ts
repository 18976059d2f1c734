/**
 * What happens to a batch of one partition's messages: parse them, have the
 * events applied in the transaction of their fetch (apply-group.ts), then
 * count and log each, each in the span of its own producer's trace. Should
 * that transaction fail, the batch is applied again event by event
 * (message-handler.ts), so the events before a bad one are applied and the
 * bad one is retried on its own.
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { ApplyGroup } from './apply-group';
import { ApplyAborted } from './apply-gate';
import type { ApplyOutcome, EventPosition } from './apply';
import { startEventSpan, type EventSpan } from './event-span';
import { parseEvent, type ProjectionEvent } from './events';
import { lastOf, required } from '../../lib/assert';
import { keepTransactionMark } from '../../lib/telemetry/sampler';
import { applyAlone, type ConsumerControl, type MessageHandlerDeps } from './message-handler';
import { reportMalformed, reportOutcome } from './report';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** The topic of lib/kafka's TOPICS whose events these are, when `topic` is a test's copy of it under another name. */
  eventTopic?: string;
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

type ParsedEvent = Parsed & { event: ProjectionEvent };

export function createBatchHandler(deps: MessageHandlerDeps, group: ApplyGroup): BatchHandler {
  return async (batch, control) => {
    const parsed = batch.messages.map((message) => parse(deps, batch, message));
    // kafkajs hands eachBatch no empty batch (consumer.ts commits past those of control records only).
    const nextOffset = lastOf(parsed, `the messages of batch ${batch.topic}/${batch.partition}`).position.offset + 1n;
    try {
      await applyInGroup(deps, group, parsed.filter((p): p is ParsedEvent => p.event !== null));
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
  const result = parseEvent(batch.eventTopic ?? batch.topic, message.value);
  if (result.ok) return { message, position, event: result.event };
  reportMalformed(deps, position, result.reason);
  return { message, position, event: null };
}

/**
 * Each event's span stays in its producer's trace; it ends once the shared
 * transaction has committed or rolled back. The projection's statements are
 * the batch transaction's (traced as `read-model batch`, linked to the
 * events), not each traced in the event's trace (lib/telemetry/sampler.ts).
 */
async function applyInGroup(deps: MessageHandlerDeps, group: ApplyGroup, events: ParsedEvent[]): Promise<void> {
  if (events.length === 0) return;
  const spans: EventSpan[] = events.map(({ message, event, position }) => startEventSpan(message, event, position, deps.joinProducerTrace));
  let outcomes: ApplyOutcome[];
  try {
    outcomes = await group.submit({
      events: events.map(({ event, position }) => ({ event, position })),
      scope: (index, work) => context.with(keepTransactionMark(required(spans[index], `the span of event ${index} of the batch`).context), work),
      links: spans.map(({ span }) => ({ context: span.spanContext() })),
    });
  } catch (error) {
    for (const { span } of spans) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'transaction rolled back' });
      span.end();
    }
    throw error;
  }
  events.forEach(({ event, position }, i) =>
    finishEvent(deps, required(spans[i], `the span of event ${i} of the batch`), event, position, required(outcomes[i], `the outcome of event ${i} of the batch`)),
  );
}

function finishEvent(deps: MessageHandlerDeps, eventSpan: EventSpan, event: ProjectionEvent, position: EventPosition, outcome: ApplyOutcome): void {
  eventSpan.span.setAttribute('read_model.event.duplicate', !outcome.applied);
  context.with(eventSpan.context, () => reportOutcome(deps, event, position, outcome));
  eventSpan.span.end();
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
