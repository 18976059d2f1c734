/**
 * What the workflow side of a transfer costs the worker, without a stack: a
 * recorded history (test/workflows/fixtures/histories/<GENERATION>/<name>.json,
 * GENERATION from REPLAY_GENERATION, default one-step, the current shape;
 * given a trace header as every start in the stack has) replayed N times with
 * Worker.runReplayHistories, CPU of this process per replay. Two switches show
 * where that CPU goes:
 *
 *   npx tsx bench/workflow-replay.ts INTERCEPTORS HOOK [N] [HISTORY]
 *   npx tsx bench/workflow-replay.ts ours 1 300   # as the worker runs (workflows/tracing-interceptors.ts, stack-trace hook)
 *   npx tsx bench/workflow-replay.ts otel 1 300   # @temporalio/interceptors-opentelemetry's workflow interceptors instead
 *   npx tsx bench/workflow-replay.ts 0 1 300      # no workflow interceptors
 *   npx tsx bench/workflow-replay.ts ours 0 300   # without the SDK's stack-trace promise hook
 *   npx tsx bench/workflow-replay.ts ours nomap 300  # the bundle's source map emptied (what the hook's source-mapping costs)
 *
 * HOOK=0 replaces the SDK's internal GlobalHandlers.setPromiseHook (vm-shared)
 * with a no-op: an experiment only, there is no option for it (the hook records
 * a stack trace through the bundle's source map for every promise created in
 * workflow code, for the Web UI's stack-trace query). A replay sends no sink
 * calls, so exporting the workflow spans is not counted. A script, not a test.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as vmShared from '@temporalio/worker/lib/workflow/vm-shared';
import { historyFromJson } from '../test/workflows/support/history-json';

const ROOT = path.resolve(__dirname, '..');
/** A generation of recorded histories (test/workflows/replay.test.ts); the current one by default. */
const HISTORIES = path.join(ROOT, 'test', 'workflows', 'fixtures', 'histories', process.env.REPLAY_GENERATION ?? 'one-step');
const WARM_UP_REPLAYS = 50;

/** INTERCEPTORS: 'otel' the package's OpenTelemetry workflow interceptors, 'ours' workflows/tracing-interceptors.ts, '0' none. */
const INTERCEPTOR_MODULES: Record<string, string[]> = {
  otel: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
  ours: [require.resolve(path.join(ROOT, 'workflows', 'tracing-interceptors'))],
  '0': [],
};

function bundle(interceptors: string): Promise<WorkflowBundleWithSourceMap> {
  const modules = INTERCEPTOR_MODULES[interceptors];
  if (!modules) throw new Error(`INTERCEPTORS must be one of ${Object.keys(INTERCEPTOR_MODULES).join(', ')}`);
  return bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(ROOT, 'workflows')),
    workflowInterceptorModules: modules,
    logger: new DefaultLogger('WARN'),
  });
}

/** The bundle with its inline source map replaced by one that maps nothing (an experiment: HOOK=nomap). */
function withEmptySourceMap(code: string): string {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const file = JSON.parse(Buffer.from(code.slice(code.indexOf('base64,', at) + 7).trimEnd(), 'base64').toString()).file as string;
  const empty = Buffer.from(JSON.stringify({ version: 3, file, sources: [], names: [], mappings: '' })).toString('base64');
  return `${code.slice(0, at)}//# sourceMappingURL=data:application/json;base64,${empty}`;
}

/**
 * The history as if its start had been traced, as every start is in the
 * stack: the recorded histories carry no trace header, and without one the
 * tracing interceptors make no spans at all.
 */
function withTraceHeader(historyJson: string): string {
  const history = JSON.parse(historyJson) as { events: Array<{ workflowExecutionStartedEventAttributes?: { header?: { fields?: object } } }> };
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const traceparent = `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01`;
  const started = history.events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error('the recorded history does not open with WorkflowExecutionStarted');
  started.header = { fields: { '_tracer-data': { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ traceparent })) } } };
  return JSON.stringify(history);
}

/** Replays `history` `count` times in one replay worker (the transfer worker's reused V8 context); returns the failures. */
async function replay(workflowBundle: WorkflowBundleWithSourceMap, history: ReturnType<typeof historyFromJson>, count: number): Promise<number> {
  const histories = (async function* () {
    for (let i = 0; i < count; i++) yield { workflowId: `replay-${i}`, history };
  })();
  let failures = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle, reuseV8Context: true }, histories)) {
    if (!result.error) continue;
    if (failures === 0) console.error(result.error);
    failures += 1;
  }
  return failures;
}

async function main(): Promise<void> {
  const [interceptors, hook] = [process.argv[2] ?? 'ours', process.argv[3] !== '0'];
  const count = Number(process.argv[4] ?? 300);
  const name = process.argv[5] ?? 'transfer-posted';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // A private method of the SDK's, replaced for the experiment (the header says why).
  if (!hook) (vmShared.globalHandlers as unknown as { setPromiseHook: () => void }).setPromiseHook = () => undefined;
  const workflowBundle = await bundle(interceptors);
  if (process.argv[3] === 'nomap') workflowBundle.code = withEmptySourceMap(workflowBundle.code);
  const history = historyFromJson(withTraceHeader(readFileSync(path.join(HISTORIES, `${name}.json`), 'utf8')));
  await replay(workflowBundle, history, WARM_UP_REPLAYS);
  const cpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  const failures = await replay(workflowBundle, history, count);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerReplay = (cpu.user + cpu.system) / 1000 / count;
  const wallMsPerReplay = (Date.now() - startedAt) / count;
  console.log(JSON.stringify({ history: name, interceptors, hook, replays: count, failures, cpuMsPerReplay: +cpuMsPerReplay.toFixed(2), wallMsPerReplay: +wallMsPerReplay.toFixed(2) }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
