/**
 * The trace collector of bench/transfers-e2e.ts, run as a process of its own
 * (so its CPU is counted apart): the dev trace sink's OTLP/HTTP JSON receiver
 * (deploy/trace-sink/otlp.ts) on BENCH_OTLP_SINK_PORT, doing what the dev
 * sink does with every export (one JSON line per span, appended to a file),
 * so its CPU stands for the stack's trace sink; but the file is a temporary
 * one, removed when it stops, and it counts the spans per service.
 * GET /healthz answers the counts: { requests, spans, byService }.
 */
import { appendFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOtlpReceiver } from '../deploy/trace-sink/otlp';

const port = Number(process.env.BENCH_OTLP_SINK_PORT ?? 14318);
const spansFile = path.join(os.tmpdir(), `bench-otlp-sink-${process.pid}.jsonl`);
const counts = { requests: 0, spans: 0, byService: {} as Record<string, number> };

void startOtlpReceiver(
  (spans) => {
    counts.requests++;
    counts.spans += spans.length;
    for (const span of spans) counts.byService[span.service] = (counts.byService[span.service] ?? 0) + 1;
    // As deploy/trace-sink/main.ts writes them.
    if (spans.length > 0) appendFileSync(spansFile, spans.map((s) => JSON.stringify(s)).join('\n') + '\n');
  },
  port,
  '127.0.0.1',
  () => counts,
);

// It keeps nothing to flush; the exporters hold their connections open, so do not wait for them.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    rmSync(spansFile, { force: true });
    process.exit(0);
  });
}
