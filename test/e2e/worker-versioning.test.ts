/**
 * Worker Versioning as the worker uses it (workers/deployment-version.ts), on
 * the stack's real Temporal server: two builds of a workflow module poll one
 * task queue as two versions of one Worker Deployment; once the second is
 * made current, new workflows run on it, a PINNED workflow started on the
 * first finishes on the first, and an AUTO_UPGRADE one moves to the second.
 * The build id is the bundle's hash: the same code bundled twice gives the
 * same id, other code another. The deployment and task queue are the test's
 * own; the workflows end, the deployment stays (the server keeps it).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createLogger } from '../../lib/logger';
import { buildIdOf, currentVersion, makeCurrent } from '../../workers/deployment-version';
import { autoUpgradeWorkflow, goSignal, pinnedWorkflow } from './fixtures/versioned-workflows-a';
import { config } from '../support/system';

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
const namespace = config.TEMPORAL_NAMESPACE;
const logger = createLogger('worker-versioning-test', 'silent');

beforeAll(async () => {
  connection = await Connection.connect({ address: config.temporalAddress });
  nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  client = new Client({ connection, namespace });
});

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

const bundle = (build: 'a' | 'b'): Promise<WorkflowBundleWithSourceMap> =>
  bundleWorkflowCode({ workflowsPath: require.resolve(`./fixtures/versioned-workflows-${build}`), logger: silentBundleLogger() });

function versionedWorker(taskQueue: string, deploymentName: string, workflowBundle: WorkflowBundleWithSourceMap): Promise<Worker> {
  const version = { deploymentName, buildId: buildIdOf(workflowBundle.code) };
  return Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle,
    workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
  });
}

describe('worker versioning', () => {
  it('when the same workflow code is bundled twice, then the build id is the same; other code gives another', async () => {
    const [a1, a2, b] = await Promise.all([bundle('a'), bundle('a'), bundle('b')]);

    expect(buildIdOf(a1.code)).toBe(buildIdOf(a2.code));
    expect(buildIdOf(a1.code)).not.toBe(buildIdOf(b.code));
    expect(buildIdOf(a1.code)).toMatch(/^workflows-[0-9a-f]{12}$/);
  });

  it('when a second build is made current, then new workflows run on it, a pinned one stays on the first, an auto-upgrade one moves', async () => {
    const deploymentName = `versioning-test-${randomUUID().slice(0, 8)}`;
    const taskQueue = `versioning-test-${randomUUID()}`;
    const [bundleA, bundleB] = await Promise.all([bundle('a'), bundle('b')]);
    const a = { deploymentName, buildId: buildIdOf(bundleA.code) };
    const b = { deploymentName, buildId: buildIdOf(bundleB.code) };
    const start = (workflow: typeof pinnedWorkflow) => client.workflow.start(workflow, { taskQueue, workflowId: `versioning-test-${randomUUID()}` });
    const [workerA, workerB] = await Promise.all([versionedWorker(taskQueue, deploymentName, bundleA), versionedWorker(taskQueue, deploymentName, bundleB)]);

    const outcome = await workerA.runUntil(async () => {
      const madeA = [await makeCurrent(client, namespace, a, logger), await makeCurrent(client, namespace, a, logger)];
      const pinnedOnA = await start(pinnedWorkflow);
      const upgradingFromA = await start(autoUpgradeWorkflow);
      // Both must have run a workflow task on A before B exists: A is then the version each was started on.
      await untilRunningOn(pinnedOnA.workflowId, a.buildId);
      await untilRunningOn(upgradingFromA.workflowId, a.buildId);

      return workerB.runUntil(async () => {
        const madeB = await makeCurrent(client, namespace, b, logger);
        const current = await currentVersion(client, namespace, deploymentName);
        const startedOnB = await start(pinnedWorkflow);
        for (const handle of [pinnedOnA, upgradingFromA, startedOnB]) await handle.signal(goSignal);
        return { madeA, madeB, current, pinned: await pinnedOnA.result(), upgraded: await upgradingFromA.result(), started: await startedOnB.result() };
      });
    });

    expect(outcome).toEqual({ madeA: ['set', 'already'], madeB: 'set', current: b.buildId, pinned: 'A', upgraded: 'B', started: 'B' });
  }, 120_000);
});

/** Waits until the workflow's first task completed on the version `buildId` (its versioning info names it). */
async function untilRunningOn(workflowId: string, buildId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { raw } = await client.workflow.getHandle(workflowId).describe();
    if (raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId === buildId) return;
    if (Date.now() > deadline) throw new Error(`${workflowId} did not run on ${buildId}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function silentBundleLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}
