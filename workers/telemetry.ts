/**
 * The worker's Temporal telemetry: the SDK's log lines go through our pino
 * logger (one JSON format per process), the Core SDK's own metrics are served
 * for Prometheus by the Runtime, and interceptors stitch client → workflow →
 * activity spans into the transfer's trace.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { Runtime, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { snakeCaseKeys } from '../lib/logger';
import { CountingBatchSpanProcessor } from '../lib/telemetry/span-processor';
import { workflowSpanSink } from './workflow-spans';

/**
 * Adapts pino to the SDK's logger interface. The SDK's metadata comes in
 * camelCase (workflowId, taskQueue) and is written snake_case like every other
 * line; an activity's task token (an opaque base64 handle) is left out.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method = level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    // Under `err`, pino's serializer keeps an Error's message and stack (they are not enumerable).
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { error, taskToken, ...fields } = meta ?? {};
    const line = snakeCaseKeys(fields);
    logger[method](error === undefined ? line : { ...line, err: error }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * Installs the process-wide Temporal Runtime: our logger, and the Core SDK's
 * worker metrics (task latencies, slots, failures) on a Prometheus endpoint.
 * The Core SDK's (Rust) own lines are forwarded to the same logger, WARN and
 * above (without `forward` it prints them to stderr in its own format).
 * Signals are left to the process's own shutdown handler.
 */
export function installRuntime(logger: Logger, metricsBindAddress: string): void {
  Runtime.install({
    logger: temporalLogger(logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      metrics: { prometheus: { bindAddress: metricsBindAddress } },
    },
  });
}

export interface TracingWiring {
  interceptors: NonNullable<WorkerOptions['interceptors']>;
  sinks: NonNullable<WorkerOptions['sinks']>;
  /** Flushes the workflow spans; part of shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Workflow spans are made inside the sandbox by our own interceptors
 * (workflows/tracing-interceptors.ts says why not the package's) and leave it
 * through a sink, to a span processor of their own (the NodeSDK's is not
 * reachable) exporting to the same OTLP endpoint. Activity spans are the
 * package's, on the global tracer. Undefined when tracing is disabled
 * (OTEL_SDK_DISABLED=true).
 */
export function tracingWiring(serviceName: string): TracingWiring | undefined {
  if (process.env.OTEL_SDK_DISABLED === 'true') return undefined;
  const spanProcessor = new CountingBatchSpanProcessor(new OTLPTraceExporter());
  const resource = new Resource({ 'service.name': serviceName });
  return {
    interceptors: {
      workflowModules: [require.resolve('../workflows/tracing-interceptors')],
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    sinks: workflowSpanSink(spanProcessor, resource),
    shutdown: () => spanProcessor.shutdown(),
  };
}
