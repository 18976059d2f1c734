/**
 * A transfer whose workflow an operator terminates (Temporal UI or CLI) still
 * reaches a final state and releases its money (the contract: `failed` with
 * failureCode WORKFLOW_TERMINATED within a minute, its reserved funds
 * released; a decision on it answers that final state, never a 409). Against
 * the whole running system: the transfer awaiting approval is created through
 * the public API, its workflow terminated with the Temporal client, and the
 * cancel and the balance read through the API as a client would. The pending
 * one is created by the gateway's own code with its workflow on a task queue
 * no worker polls (so it stays pending, as with the worker down), and the
 * stack's gateway, which sweeps closed workflows, finalizes it unasked.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createTransfer } from '../../api/transfers';
import { databaseUrl } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTransferStore, startTransferStatusListener, TRANSFERS_DATABASE, type TransferStatusListener } from '../../lib/transfers';
import { transferWorkflowId } from '../../lib/workflow-contract';
import { gatewayDeps } from '../support/gateway-deps';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { api, config, createAccount, ensureSystem, eventually, newKey, transfer, transferAndSettle } from '../support/system';

const APPROVAL_AMOUNT = '1000000';
/** The contract's bound on how long a transfer whose workflow was terminated stays unsettled, plus the read model's lag. */
const SETTLED_WITHIN_MS = 75_000;

let connection: Connection;
let temporal: Client;
let pools: InvariantPools;
let statusListener: TransferStatusListener;
const logger = createLogger('workflow-terminated-test', 'silent');

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  pools = invariantPools();
  statusListener = startTransferStatusListener({ connectionString: databaseUrl(config, TRANSFERS_DATABASE), applicationName: 'workflow-terminated-test', logger });
}, 10 * 60_000);

afterAll(async () => {
  await statusListener?.close();
  await connection?.close();
  await pools?.close();
});

const balanceOf = (accountId: string) => api.get(`/v1/accounts/${accountId}/balance`);

describe('a transfer whose workflow was terminated', () => {
  it('when it awaited approval and is then cancelled, then the answer is 200 failed WORKFLOW_TERMINATED and its hold is released', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const created = await transferAndSettle(transfer(from, to, APPROVAL_AMOUNT));
    expect(created.body).toMatchObject({ status: 'awaiting_approval' });
    const { id } = created.body;
    await eventually(() => balanceOf(from), (r) => r.body.pending === APPROVAL_AMOUNT);

    await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('terminated by an operator');
    const cancelled = await api.post(`/v1/transfers/${id}/cancel`);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'failed', failureCode: 'WORKFLOW_TERMINATED', entryId: null });
    expect(cancelled.body.failureMessage).toMatch(/TERMINATED/);
    expect((await api.get(`/v1/transfers/${id}`)).body).toEqual(cancelled.body);
    const balance = await eventually(() => balanceOf(from), (r) => r.body.pending === '0', SETTLED_WITHIN_MS);
    expect(balance.body).toMatchObject({ posted: '0', pending: '0' });
    // Any later decision answers that final state too.
    const approved = await api.post(`/v1/transfers/${id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual(cancelled.body);
  }, SETTLED_WITHIN_MS + 30_000);

  it('when it was still pending, then within a minute it is failed WORKFLOW_TERMINATED, with no hold and the source balance unchanged', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const store = createTransferStore(pools.transfers);
    const deps = gatewayDeps({ store, statusListener, temporal, logger, taskQueue: `workflow-terminated-${randomUUID()}` });
    const { transfer: pending } = await createTransfer(deps, { fromAccountId: from, toAccountId: to, amount: '250', currency: 'USD' }, { principal: 'development', idempotencyKey: newKey(), traceId: null });
    expect(pending.status).toBe('pending');

    await temporal.workflow.getHandle(transferWorkflowId(pending.id)).terminate('terminated by an operator');
    const settled = await eventually(() => api.get(`/v1/transfers/${pending.id}`), (r) => r.body.status !== 'pending', SETTLED_WITHIN_MS);

    expect(settled.body).toMatchObject({ id: pending.id, status: 'failed', failureCode: 'WORKFLOW_TERMINATED', entryId: null });
    expect(settled.body.failureMessage).toMatch(/TERMINATED/);
    expect((await balanceOf(from)).body).toMatchObject({ posted: '0', pending: '0' });
  }, SETTLED_WITHIN_MS + 30_000);
});
