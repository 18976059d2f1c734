/**
 * The gateway's fallback for a decision its update cannot carry in time
 * (api/transfers.ts, decide), on the real transfers database and Temporal
 * server: with no worker at all, the answer comes at the wait cap with the
 * transfer as it stands, and the decision, sent as a signal too (durable,
 * unlike an update never accepted), takes effect once a worker runs. The
 * workflow is a stand-in that takes decisions by signal only
 * (fixtures/signal-only-transfer-workflow.ts), so the outcome can only come
 * from the signal. It runs on a task queue of the test's own and is
 * terminated at the end; the row is deleted.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { decide, WAIT_MS_MAX, type TransferDeps } from '../../api/transfers';
import type { Principal } from '../../api/principal';
import { gatewayDeps } from '../support/gateway-deps';
import { databaseUrl } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import {
  createTransferStore,
  migrateTransfers,
  startTransferStatusListener,
  TRANSFERS_DATABASE,
  type TransferStatusListener,
  type TransferStore,
} from '../../lib/transfers';
import { transferWorkflowId } from '../../lib/workflow-contract';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { config, ensureSystem, eventually } from '../support/system';
import type { SignalOnlyActivities } from './fixtures/signal-only-transfer-workflow';

let connection: Connection;
let nativeConnection: NativeConnection;
let temporal: Client;
let pools: InvariantPools;
let store: TransferStore;
let statusListener: TransferStatusListener;
let workflowBundle: WorkflowBundleWithSourceMap;
const logger = createLogger('decision-fallback-test', 'silent');
const created: string[] = [];
/** The decider; the rows here have no createdBy, so four-eyes does not apply. */
const APPROVER: Principal = { id: 'approver-1', roles: ['approver'], development: false };

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  pools = invariantPools();
  await migrateTransfers(pools.transfers);
  store = createTransferStore(pools.transfers);
  statusListener = startTransferStatusListener({ connectionString: databaseUrl(config, TRANSFERS_DATABASE), applicationName: 'decision-fallback-test', logger });
  workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/signal-only-transfer-workflow'), logger: silentBundleLogger() });
}, 10 * 60_000);

afterAll(async () => {
  for (const id of created) {
    await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('decision-fallback test cleanup').catch(() => undefined);
    await pools.transfers.query('DELETE FROM transfers WHERE id = $1', [id]);
  }
  await statusListener?.close();
  await nativeConnection?.close();
  await connection?.close();
  await pools?.close();
});

function deps(taskQueue: string): TransferDeps {
  return gatewayDeps({ store, statusListener, temporal, logger, taskQueue });
}

/** A transfer row awaiting approval whose workflow is the stand-in, started on `taskQueue`. */
async function awaitingWithSignalOnlyWorkflow(taskQueue: string): Promise<string> {
  const id = randomUUID();
  await pools.transfers.query(
    `INSERT INTO transfers (id, from_account_id, to_account_id, amount_minor, currency, status) VALUES ($1, $2, $3, 1000000, 'USD', 'awaiting_approval')`,
    [id, randomUUID(), randomUUID()],
  );
  created.push(id);
  await temporal.workflow.start('transferWorkflow', { taskQueue, workflowId: transferWorkflowId(id), args: [{ transferId: id }] });
  return id;
}

/** What the stand-in records for a decision: approve posts (an entry of its own), the others cancel. */
const activities: SignalOnlyActivities = {
  async recordDecision(transferId, decision) {
    await store.recordStatus(transferId, decision === 'approve' ? { status: 'posted', entryId: randomUUID() } : { status: 'cancelled' });
  },
};

const runWorker = <T>(taskQueue: string, work: () => Promise<T>): Promise<T> =>
  Worker.create({ connection: nativeConnection, namespace: config.TEMPORAL_NAMESPACE, taskQueue, workflowBundle, activities }).then((worker) => worker.runUntil(work()));

describe('a decision the update cannot carry', () => {
  it('when no worker answers within the wait cap, then the answer is the transfer as it stands, and the decision takes effect once a worker runs', async () => {
    const taskQueue = `decision-fallback-${randomUUID()}`;
    const id = await awaitingWithSignalOnlyWorkflow(taskQueue);

    const answer = await decide(deps(taskQueue), id, 'reject', APPROVER);
    expect(answer).toMatchObject({ id, status: 'awaiting_approval' });

    const later = await runWorker(taskQueue, () => eventually(() => store.getTransfer(id), (t) => t?.status !== 'awaiting_approval', 30_000));
    expect(later).toMatchObject({ id, status: 'cancelled' });
  }, WAIT_MS_MAX + 60_000);
});

function silentBundleLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };
}
