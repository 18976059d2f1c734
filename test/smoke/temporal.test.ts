/**
 * Proves both Temporal servers run workflows: a workflow on the native dev
 * server, and a one-day sleep on the time-skipping test server whose clock
 * jumps a day while the test takes well under a second.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { createTimeSkippingEnv } from '../support/temporal';
import { greet, sleepOneDay } from './fixtures/workflows';

const config = loadConfig();
const ONE_DAY_MS = 24 * 60 * 60 * 1000;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/workflows'), logger: quietLogger() });
});

describe('Temporal dev server (native stack)', () => {
  it('when a workflow is started, then a worker runs it to its result', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: config.temporalAddress });
    const clientConnection = await Connection.connect({ address: config.temporalAddress });
    try {
      const worker = await Worker.create({ connection, taskQueue, workflowBundle, namespace: config.TEMPORAL_NAMESPACE });
      const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
      const result = await worker.runUntil(
        client.workflow.execute(greet, { taskQueue, workflowId: `smoke-${randomUUID()}`, args: ['ledger'] }),
      );
      expect(result).toBe('hello, ledger');
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  });
});

describe('Temporal time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('when a workflow sleeps one day, then the environment clock advances a day', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    const clockBeforeMs = await env.currentTimeMs();

    const sleptMs = await worker.runUntil(
      env.client.workflow.execute(sleepOneDay, { taskQueue, workflowId: `smoke-${randomUUID()}` }),
    );

    expect(sleptMs).toBeGreaterThanOrEqual(ONE_DAY_MS);
    expect((await env.currentTimeMs()) - clockBeforeMs).toBeGreaterThanOrEqual(ONE_DAY_MS);
  });
});

function quietLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}
