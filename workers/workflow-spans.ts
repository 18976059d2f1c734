/**
 * The worker's end of the workflow spans: the `tracing` sink that
 * workflows/tracing-interceptors.ts calls from the sandbox, turning each plain
 * span into an OpenTelemetry ReadableSpan for the worker's span processor.
 * The workflow's id and run id are added here, outside the sandbox, under the
 * attribute names the activity spans use (@temporalio/interceptors-opentelemetry).
 */
import { SpanKind, type HrTime } from '@opentelemetry/api';
import type { IResource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { TracingSinks, WorkflowSpan } from '../workflows/tracing-interceptors';

const INSTRUMENTATION = { name: 'credit-ledger/workflow-tracing' };

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

export function readableSpan(span: WorkflowSpan, info: WorkflowInfo, resource: IResource): ReadableSpan {
  const spanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, isRemote: false };
  return {
    name: span.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => spanContext,
    parentSpanId: span.parentSpanId,
    startTime: hrTime(span.startTimeMs),
    endTime: hrTime(span.endTimeMs),
    duration: hrTime(span.endTimeMs - span.startTimeMs),
    status: span.status,
    attributes: { temporalWorkflowId: info.workflowId, run_id: info.runId },
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationLibrary: INSTRUMENTATION,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** The sink the interceptors call; not called while a history is replayed (the SDK's default), so no span is sent twice. */
export function workflowSpanSink(processor: SpanProcessor, resource: IResource): InjectedSinks<TracingSinks> {
  return {
    tracing: {
      export: { fn: (info, span) => processor.onEnd(readableSpan(span, info, resource)) },
    },
  };
}
