/**
 * What the workflow side of a transfer costs the worker, without a stack: a
 * recorded history (test/workflows/fixtures/histories/rejected-code/<name>.json)
 * replayed N times with Worker.runReplayHistories, CPU of this process per
 * replay. Two switches show where that CPU goes:
 *
 *   npx tsx bench/workflow-replay.ts INTERCEPTORS HOOK [N] [HISTORY]
 *   npx tsx bench/workflow-replay.ts 1 1 300    # as the worker runs (OpenTelemetry workflow interceptors, stack-trace hook)
 *   npx tsx bench/workflow-replay.ts 1 0 300    # without the SDK's stack-trace promise hook
 *   npx tsx bench/workflow-replay.ts 0 1 300    # without the interceptors
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
/** The current generation of recorded histories (test/workflows/replay.test.ts). */
const HISTORIES = path.join(ROOT, 'test', 'workflows', 'fixtures', 'histories', 'rejected-code');
const WARM_UP_REPLAYS = 50;

function bundle(interceptors: boolean): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(ROOT, 'workflows')),
    workflowInterceptorModules: interceptors ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : [],
    logger: new DefaultLogger('WARN'),
  });
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
  const [interceptors, hook] = [process.argv[2] !== '0', process.argv[3] !== '0'];
  const count = Number(process.argv[4] ?? 300);
  const name = process.argv[5] ?? 'transfer-posted';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // A private method of the SDK's, replaced for the experiment (the header says why).
  if (!hook) (vmShared.globalHandlers as unknown as { setPromiseHook: () => void }).setPromiseHook = () => undefined;
  const workflowBundle = await bundle(interceptors);
  const history = historyFromJson(readFileSync(path.join(HISTORIES, `${name}.json`), 'utf8'));
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
