/**
 * The batch span processor every process exports through, counting what it
 * loses. The SDK's BatchSpanProcessor drops a span silently when its queue is
 * full (a diag line at most) and an export that fails loses its whole batch;
 * otel_spans_dropped_total{reason} makes both visible on /metrics
 * (lib/telemetry/metrics.ts adds the counter to every process's registry).
 */
import { TraceFlags, type Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BatchSpanProcessor,
  type BufferConfig,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Counter } from 'prom-client';

export const spansDroppedTotal = new Counter({
  name: 'otel_spans_dropped_total',
  help: 'Spans never delivered to the trace collector: queue_full (the batch queue was full) or export_failed.',
  labelNames: ['reason'],
  registers: [],
});
// Both series exist from the start, so "no span dropped" reads as 0, not as absent.
spansDroppedTotal.inc({ reason: 'queue_full' }, 0);
spansDroppedTotal.inc({ reason: 'export_failed' }, 0);

/** The queue limits of every process (a trace of one transfer is a few hundred spans). */
export const BATCH_SPAN_CONFIG = { maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMillis: 500 } as const;

/**
 * A BatchSpanProcessor that counts dropped spans. Its queue is private, so the
 * number of spans waiting is kept beside it, with the same rule: a sampled span
 * joins the queue when it ends unless the queue is full, and leaves it when its
 * batch is handed to the exporter.
 */
export class CountingBatchSpanProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor;
  private readonly maxQueueSize: number;
  private queued = 0;

  constructor(exporter: SpanExporter, config: BufferConfig & { maxQueueSize: number } = BATCH_SPAN_CONFIG) {
    this.maxQueueSize = config.maxQueueSize;
    const counting: SpanExporter = {
      export: (spans, done) => {
        this.queued -= spans.length;
        exporter.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) spansDroppedTotal.inc({ reason: 'export_failed' }, spans.length);
          done(result);
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
    this.batch = new BatchSpanProcessor(counting, config);
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
      if (this.queued >= this.maxQueueSize) spansDroppedTotal.inc({ reason: 'queue_full' });
      else this.queued += 1;
    }
    this.batch.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
