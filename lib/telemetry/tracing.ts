/**
 * OpenTelemetry tracing for a Node process: the SDK with OTLP/HTTP export and
 * the instrumentations of HTTP (server and client), Express, pg and kafkajs.
 * Configured only through the standard OTEL_* variables
 * (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_SDK_DISABLED, ...).
 * Log lines get their trace_id/span_id from lib/logger.ts, not from an
 * instrumentation: instrumentation-pino for OpenTelemetry 1.x patches pino <10
 * only, and its other half, sending each line to the OTLP logs endpoint, had
 * no receiver (the trace sink takes traces only).
 */
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { processSampler } from './sampler';
import { CountingBatchSpanProcessor } from './span-processor';

let sdk: NodeSDK | undefined;

export interface TracingOptions {
  serviceName: string;
  /** Tests pass their own exporter; processes export OTLP/HTTP. */
  exporter?: SpanExporter;
}

/** Starts tracing once per process; must run before the instrumented modules are loaded. */
export function startTracing(options: TracingOptions): void {
  if (sdk || process.env.OTEL_SDK_DISABLED === 'true') return;
  process.env.OTEL_SERVICE_NAME ??= options.serviceName;
  // The native stack's trace sink listens on OTLP_HTTP_PORT (deploy/defaults.env).
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??= `http://127.0.0.1:${process.env.OTLP_HTTP_PORT ?? 4318}`;
  const exporter = options.exporter ?? new OTLPTraceExporter();
  sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME,
    // Drops the leaves nobody reads (a statement inside a transaction, an Express layer): see sampler.ts.
    sampler: processSampler(),
    // Bounded queue, exported in batches: a slow collector costs spans (counted), never memory without end.
    spanProcessors: [new CountingBatchSpanProcessor(exporter)],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => ['/metrics', '/healthz', '/readyz'].includes(req.url ?? '') }),
      // No span per middleware (json parser, metrics, ...): noise. Router layers stay: when they are
      // ignored, instrumentation-express 0.47 never pops their mount path, so a request that passes two
      // routers mounted at /v1 is named "POST /v1/v1/transfers" (span name and http.route).
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();
}

/** Flushes and stops the SDK; part of every process's graceful shutdown. */
export async function stopTracing(): Promise<void> {
  await sdk?.shutdown();
  sdk = undefined;
}
