/**
 * The spans of chosen traces, as the native stack's trace sink received them
 * (deploy/trace-sink writes one FlatSpan per line to .data/traces/spans.jsonl),
 * and helpers to read a trace as a tree: a span's ancestry up to its root.
 */
import { SPANS_FILE } from '../../../deploy/trace-sink/main';
import type { FlatSpan } from '../../../deploy/trace-sink/otlp';
import { eventually } from '../../support/system';
import { FileTail } from './file-tail';

export type { FlatSpan } from '../../../deploy/trace-sink/otlp';

/** OTLP span kinds, as the sink stores them. */
export const Kind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
const KIND_NAMES: Record<number, string> = { 0: 'UNSPECIFIED', 1: 'INTERNAL', 2: 'SERVER', 3: 'CLIENT', 4: 'PRODUCER', 5: 'CONSUMER' };

const TRACE_ID = /"traceId":"([0-9a-f]{32})"/;

/**
 * Collects the spans of the traces it watches from the sink's file, from the
 * moment it is made. Watch a trace id before the next `poll`: lines read
 * while their trace is not watched are skipped for good.
 */
export class SpanCollector {
  private readonly tail = new FileTail(SPANS_FILE);
  private readonly traces = new Map<string, Map<string, FlatSpan>>();

  watch(traceIds: Iterable<string>): void {
    for (const id of traceIds) if (!this.traces.has(id)) this.traces.set(id, new Map());
  }

  /** Reads what the sink wrote since the last poll. A span exported twice is kept once. */
  poll(): void {
    this.tail.readNewLines((line) => {
      const spans = this.traces.get(TRACE_ID.exec(line)?.[1] ?? '');
      if (!spans) return;
      const span = JSON.parse(line) as FlatSpan;
      spans.set(span.spanId, span);
    });
  }

  spansOf(traceId: string): FlatSpan[] {
    return [...(this.traces.get(traceId)?.values() ?? [])];
  }

  /** Polls (every 100 ms, until `timeoutMs`) until `done` holds for the trace; returns its spans either way. */
  async waitFor(traceId: string, done: (spans: FlatSpan[]) => boolean, timeoutMs: number): Promise<FlatSpan[]> {
    return eventually(async () => {
      this.poll();
      return this.spansOf(traceId);
    }, done, timeoutMs);
  }
}

/** "service KIND name": how a span is named in assertions and failure messages. */
export function label(span: FlatSpan): string {
  return `${span.service} ${KIND_NAMES[span.kind] ?? span.kind} ${span.name}`;
}

/** A trace indexed by span id. */
export class Trace {
  readonly byId: Map<string, FlatSpan>;

  constructor(readonly spans: FlatSpan[]) {
    this.byId = new Map(spans.map((s) => [s.spanId, s]));
  }

  roots(): FlatSpan[] {
    return this.spans.filter((s) => s.parentSpanId === null);
  }

  /** Spans whose parent is named but missing from the trace: what a dropped span leaves behind. */
  orphans(): FlatSpan[] {
    return this.spans.filter((s) => s.parentSpanId !== null && !this.byId.has(s.parentSpanId));
  }

  parentOf(span: FlatSpan): FlatSpan | undefined {
    return span.parentSpanId === null ? undefined : this.byId.get(span.parentSpanId);
  }

  /** The span and its ancestors, root first; starts at the highest ancestor present if a link is missing. */
  ancestry(span: FlatSpan): FlatSpan[] {
    const chain = [span];
    for (let parent = this.parentOf(span); parent; parent = this.parentOf(parent)) {
      if (chain.length > this.spans.length) throw new Error(`parent cycle at ${label(parent)}`);
      chain.unshift(parent);
    }
    return chain;
  }

  find(predicate: (span: FlatSpan) => boolean): FlatSpan[] {
    return this.spans.filter(predicate);
  }
}

export const named = (service: string, kind: number, name: string | RegExp) => (span: FlatSpan): boolean =>
  span.service === service && span.kind === kind && (typeof name === 'string' ? span.name === name : name.test(span.name));
