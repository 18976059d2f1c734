/**
 * The workflow's spans (workflows/tracing-interceptors.ts) on the
 * time-skipping test server, the real transfer workflow and activities over
 * fakes: what the sink receives and what each activity finds in its headers,
 * for a traced start, an untraced one, an unsampled one and a refusal.
 */
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type InjectedSinks, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createLogger } from '../../lib/logger';
import { transferWorkflow } from '../../workflows';
import { TRANSFER_WORKFLOW_ID_REUSE_POLICY, transferWorkflowStartSearchAttributes, transferWorkflowId, type TransferWorkflowInput } from '../../lib/workflow-contract';
import { SpanStatus, TRACE_HEADER, parentFromHeaders, type TracingSinks, type WorkflowSpan } from '../../workflows/tracing-interceptors';
import { account } from './support/fakes';
import { FROM_ACCOUNT_ID, createTransferTestEnv, newFakes, quietLogger, transferInput, type Fakes } from './support/harness';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SENDER_SPAN_ID = '00f067aa0ba902b7';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await createTransferTestEnv();
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [require.resolve('../../workflows/tracing-interceptors')],
    logger: quietLogger(),
  });
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** A client that starts workflows with `traceparent` in the header, as the gateway's OpenTelemetry client interceptor does. */
function clientSending(traceparent: string | undefined): Client {
  const interceptor: WorkflowClientInterceptor = {
    start: (input, next) =>
      next(traceparent ? { ...input, headers: { ...input.headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload({ traceparent }) } } : input),
  };
  return new Client({ connection: env.connection, namespace: env.namespace, interceptors: { workflow: [interceptor] } });
}

interface Recorded {
  spans: WorkflowSpan[];
  /** The span id each activity found in its header, in the order they ran (null: no header). */
  activityParents: Array<{ activity: string; parentSpanId: string | null; traceFlags: number | null }>;
}

/** Runs one transfer to its end on a worker with the tracing interceptors, recording sink calls and activity headers. */
async function runTransfer(fakes: Fakes, traceparent: string | undefined, input: TransferWorkflowInput = transferInput()): Promise<Recorded> {
  const recorded: Recorded = { spans: [], activityParents: [] };
  const sinks: InjectedSinks<TracingSinks> = { tracing: { export: { fn: (_info, span) => void recorded.spans.push(span) } } };
  const taskQueue = `tracing-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createActivities({ ...fakes, logger: createLogger('test', 'silent') }),
    sinks,
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: {
            execute: (activityInput, next) => {
              const parent = parentFromHeaders(activityInput.headers);
              recorded.activityParents.push({ activity: ctx.info.activityType, parentSpanId: parent?.spanId ?? null, traceFlags: parent?.traceFlags ?? null });
              return next(activityInput);
            },
          },
        }),
      ],
    },
  });
  await worker.runUntil(
    clientSending(traceparent).workflow.execute(transferWorkflow, {
      taskQueue,
      workflowId: transferWorkflowId(input.transferId),
      workflowIdReusePolicy: TRANSFER_WORKFLOW_ID_REUSE_POLICY,
      args: [input],
      typedSearchAttributes: transferWorkflowStartSearchAttributes(input),
    }),
  );
  return recorded;
}

describe('the workflow tracing interceptors', () => {
  it('when a transfer starts with a sampled traceparent, then RunWorkflow hangs under the sender and each activity under its own StartActivity span', async () => {
    const { spans, activityParents } = await runTransfer(newFakes(), `00-${TRACE_ID}-${SENDER_SPAN_ID}-01`);

    const [run, ...others] = [...spans].sort((a, b) => (a.name.startsWith('RunWorkflow') ? -1 : b.name.startsWith('RunWorkflow') ? 1 : 0));
    if (!run) throw new Error('no workflow span was exported');
    expect(run).toMatchObject({ name: 'RunWorkflow:transferWorkflow', traceId: TRACE_ID, parentSpanId: SENDER_SPAN_ID, traceFlags: 1, status: { code: SpanStatus.OK } });
    expect(run.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(run.endTimeMs).toBeGreaterThanOrEqual(run.startTimeMs);
    // the one-step post and the status record: one StartActivity span per activity that ran, each a child of the run.
    expect(others.map((s) => s.name).sort()).toEqual(activityParents.map((a) => `StartActivity:${a.activity}`).sort());
    expect(activityParents.map((a) => a.activity)).toEqual(expect.arrayContaining(['reserveAndCaptureHold', 'recordTransferStatus']));
    for (const span of others) expect(span).toMatchObject({ traceId: TRACE_ID, parentSpanId: run.spanId, status: { code: SpanStatus.OK } });
    // Each activity received the span id of a distinct StartActivity span of its own name.
    const byId = new Map(others.map((s) => [s.spanId, s]));
    expect(new Set(activityParents.map((a) => a.parentSpanId)).size).toBe(activityParents.length);
    for (const a of activityParents) expect(byId.get(a.parentSpanId!)?.name).toBe(`StartActivity:${a.activity}`);
  });

  it('when a transfer starts without a trace header, then no span is sent and activities get no header', async () => {
    const { spans, activityParents } = await runTransfer(newFakes(), undefined);
    expect(spans).toEqual([]);
    expect(activityParents.length).toBeGreaterThanOrEqual(2);
    expect(activityParents.every((a) => a.parentSpanId === null)).toBe(true);
  });

  it('when the sender did not sample its trace, then no span is sent and activities inherit the unsampled context', async () => {
    const { spans, activityParents } = await runTransfer(newFakes(), `00-${TRACE_ID}-${SENDER_SPAN_ID}-00`);
    expect(spans).toEqual([]);
    expect(activityParents.length).toBeGreaterThanOrEqual(2);
    expect(activityParents.every((a) => a.parentSpanId === SENDER_SPAN_ID && a.traceFlags === 0)).toBe(true);
  });

  it('when the ledger refuses the one-step post, then the refusal is the transfer outcome, not a span error', async () => {
    const fakes = newFakes();
    fakes.accounts.add(account(FROM_ACCOUNT_ID, { status: 'frozen' }));
    const { spans } = await runTransfer(fakes, `00-${TRACE_ID}-${SENDER_SPAN_ID}-01`);
    const reserve = spans.find((s) => s.name === 'StartActivity:reserveAndCaptureHold');
    expect(reserve?.status).toEqual({ code: SpanStatus.OK });
    expect(spans.find((s) => s.name === 'RunWorkflow:transferWorkflow')?.status).toEqual({ code: SpanStatus.OK });
  });
});
