/**
 * One JSON logger per process (pino). Every line carries the service name and,
 * when a span is active, its trace_id and span_id, so the lines of one transfer
 * can be found across services by the transfer's trace id.
 */
import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import { instanceNumber } from './cluster/instance';

export type { Logger } from 'pino';

/** Adds the active span's ids to each line; the OTel API is a no-op without an SDK. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

/** `destination`: stdout by default; a test passes a stream to read the lines back. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    // Which copy wrote the line, when a service runs several on one port (lib/cluster/instances.ts).
    base: instanceNumber() === undefined ? { service } : { service, instance: instanceNumber() },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceFields,
    // Keys and secrets never reach a log line, even when a request is logged whole.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', 'password'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Field names as every line of ours spells them (`transfer_id`, `task_queue`):
 * libraries that log through us (kafkajs, the Temporal SDK) pass camelCase.
 */
export function snakeCaseKeys(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(), value]));
}

/**
 * Node's own process warnings as lines of `logger` instead of plain text on
 * stderr (which would break the log's one JSON line per entry). A service's
 * main calls it once. TimeoutNegativeWarning is DEBUG: kafkajs 2.2.4's request
 * queue arms a timer with a negative delay when nothing is throttled
 * (RequestQueue.scheduleCheckPendingRequests); Node runs it after 1 ms, as
 * Node 20 did silently, and Node 24 warns once per process.
 */
export function logProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning'); // Node's default listener, which prints to stderr
  process.on('warning', (warning) => {
    const level = warning.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn';
    logger[level]({ warning_name: warning.name, err: warning }, `node: ${warning.message}`);
  });
}
