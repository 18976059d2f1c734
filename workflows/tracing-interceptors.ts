/**
 * The workflow's part of a transfer's trace: a `RunWorkflow:<type>` span under
 * the client's `StartWorkflow` span, a `StartActivity:<type>` span under it for
 * each activity or local activity, and that span's context passed on in the
 * activity's headers so the worker's `RunActivity` span (the activity
 * interceptor of @temporalio/interceptors-opentelemetry) hangs below it.
 * Signals and updates get a `HandleSignal:` / `HandleUpdate:` span under their
 * sender's span.
 *
 * Why not that package's workflow interceptors, which make the same spans: they
 * run the OpenTelemetry SDK inside the workflow sandbox (a tracer provider, a
 * context manager, a span processor per workflow), and every promise created in
 * workflow code costs a stack trace (the SDK's promise hook for the Web UI's
 * stack-trace query), so they doubled the workflow's share of the worker's CPU
 * per transfer (bench/README.md). Here a span is a plain object sent out
 * once, when it ends, through the `tracing` sink; the worker turns it into an
 * OpenTelemetry span (workers/telemetry.ts). The header is the one the
 * package's client and activity interceptors read and write: `_tracer-data`, a
 * payload holding a W3C `traceparent`.
 *
 * Deterministic: ids come from the workflow's seeded Math.random and times
 * from its clock (the time of the workflow task, as with the package's
 * interceptors), and the sink is not called while a history is replayed.
 * Activities scheduled from an update or signal handler hang under the
 * run's span, not the handler's: the sandbox keeps no async context.
 */
import { ApplicationFailure, ApplicationFailureCategory, ActivityFailure, defaultPayloadConverter, type Headers } from '@temporalio/common';
import {
  ContinueAsNew,
  proxySinks,
  workflowInfo,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type SignalInput,
  type Sinks,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The header of @temporalio/interceptors-opentelemetry (its TRACE_HEADER), so its client and activity interceptors interoperate. */
export const TRACE_HEADER = '_tracer-data';

/** OpenTelemetry's span status codes (UNSET 0, OK 1, ERROR 2), without importing the API into the sandbox. */
export const SpanStatus = { OK: 1, ERROR: 2 } as const;

/** A span as it leaves the sandbox. */
export interface WorkflowSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceFlags: number;
  startTimeMs: number;
  endTimeMs: number;
  status: { code: number; message?: string };
}

export interface TracingSinks extends Sinks {
  tracing: { export(span: WorkflowSpan): void };
}

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const SAMPLED = 0x01;

/** The sender's span context from the headers; undefined when there is none. */
export function parentFromHeaders(headers: Headers): SpanContext | undefined {
  const payload = headers[TRACE_HEADER];
  if (!payload) return undefined;
  const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: unknown }>(payload);
  const match = typeof carrier?.traceparent === 'string' ? TRACEPARENT.exec(carrier.traceparent) : null;
  const [, traceId, spanId, flags] = match ?? [];
  return traceId !== undefined && spanId !== undefined && flags !== undefined ? { traceId, spanId, traceFlags: parseInt(flags, 16) } : undefined;
}

const sampled = (span: SpanContext): boolean => (span.traceFlags & SAMPLED) !== 0;

/** Headers that make `span` the parent of what receives them. */
export function headersWithSpan(headers: Headers, span: SpanContext): Headers {
  const traceparent = `00-${span.traceId}-${span.spanId}-${span.traceFlags.toString(16).padStart(2, '0')}`;
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) };
}

/** 16 hex digits from the workflow's seeded Math.random (never all zero: an invalid id). */
function newSpanId(): string {
  const half = () => Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  const id = half() + half();
  return id === '0000000000000000' ? '0000000000000001' : id;
}

/** A refusal is marked BENIGN (a business outcome, activities/index.ts): not an error of the span, also when an activity failure wraps it. */
function statusOf(error: unknown): WorkflowSpan['status'] {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  if (failure instanceof ApplicationFailure && failure.category === ApplicationFailureCategory.BENIGN) return { code: SpanStatus.OK };
  if (error instanceof ContinueAsNew) return { code: SpanStatus.OK };
  return { code: SpanStatus.ERROR, message: error instanceof Error ? error.message : String(error) };
}

const sinks = proxySinks<TracingSinks>();

/**
 * Runs `fn` inside a new span under `parent`, sent out when it settles. Under
 * a parent that is not sampled no span is made, and `fn` gets the parent: what
 * it passes on stays unsampled, as the sender decided.
 */
async function inSpan<T>(name: string, parent: SpanContext, fn: (span: SpanContext) => Promise<T>): Promise<T> {
  if (!sampled(parent)) return fn(parent);
  const span: SpanContext = { traceId: parent.traceId, spanId: newSpanId(), traceFlags: parent.traceFlags };
  const startTimeMs = Date.now();
  let status: WorkflowSpan['status'] = { code: SpanStatus.OK };
  try {
    return await fn(span);
  } catch (error) {
    status = statusOf(error);
    throw error;
  } finally {
    sinks.tracing.export({ name, ...span, parentSpanId: parent.spanId, startTimeMs, endTimeMs: Date.now(), status });
  }
}

/** What the interceptors of one run share: the run's span, the parent of its activities. */
interface RunTrace {
  span?: SpanContext;
}

class TracingInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly run: RunTrace) {}

  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const parent = parentFromHeaders(input.headers);
    if (!parent) return next(input);
    return inSpan(`RunWorkflow:${workflowInfo().workflowType}`, parent, (span) => {
      this.run.span = span;
      return next(input);
    });
  }

  handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const parent = parentFromHeaders(input.headers);
    return parent ? inSpan(`HandleSignal:${input.signalName}`, parent, () => next(input)) : next(input);
  }

  handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const parent = parentFromHeaders(input.headers);
    return parent ? inSpan(`HandleUpdate:${input.name}`, parent, () => next(input)) : next(input);
  }
}

class TracingOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly run: RunTrace) {}

  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    const parent = this.run.span;
    if (!parent) return next(input);
    return inSpan(`StartActivity:${input.activityType}`, parent, (span) => next({ ...input, headers: headersWithSpan(input.headers, span) }));
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>): Promise<unknown> {
    const parent = this.run.span;
    if (!parent) return next(input);
    return inSpan(`StartActivity:${input.activityType}`, parent, (span) => next({ ...input, headers: headersWithSpan(input.headers, span) }));
  }
}

/** Loaded by the worker through `interceptors.workflowModules`: called once per workflow run. */
export function interceptors(): WorkflowInterceptors {
  const run: RunTrace = {};
  return { inbound: [new TracingInbound(run)], outbound: [new TracingOutbound(run)] };
}
