/**
 * The trace collector of bench/transfers-e2e.ts, run as a process of its own
 * (so its CPU is counted apart): the dev trace sink's OTLP/HTTP JSON receiver
 * (deploy/trace-sink/otlp.ts) on BENCH_OTLP_SINK_PORT, parsing every export
 * the same way, but counting the spans per service and keeping none.
 * GET /healthz answers the counts: { requests, spans, byService }.
 */
import { startOtlpReceiver } from '../deploy/trace-sink/otlp';

const port = Number(process.env.BENCH_OTLP_SINK_PORT ?? 14318);
const counts = { requests: 0, spans: 0, byService: {} as Record<string, number> };

void startOtlpReceiver(
  (spans) => {
    counts.requests++;
    counts.spans += spans.length;
    for (const span of spans) counts.byService[span.service] = (counts.byService[span.service] ?? 0) + 1;
  },
  port,
  '127.0.0.1',
  () => counts,
);

// It keeps nothing to flush; the exporters hold their connections open, so do not wait for them.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
