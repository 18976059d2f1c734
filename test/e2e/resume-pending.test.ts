/**
 * The gateway's resumer (api/resume-pending.ts) on the real transfers
 * database and Temporal server: a transfer left pending without a workflow
 * gets one; each attempt that reached Temporal pushes the next one out,
 * twice as far each time, so a transfer held up for hours is not started again
 * every pass; a transfer whose start cannot reach Temporal is tried again at
 * the next pass. The workflows run on a task queue of the test's own, which
 * no worker polls, and are terminated at the end; the rows are deleted.
 *
 * The stack's own gateway runs the same pass every 15 s over rows older than
 * 10 s: the test's rows are new, its passes take rows of any age, and each
 * test is done with its row within a second or two.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Pool } from 'pg';
import { resumePendingTransfers, type ResumeOptions } from '../../api/resume-pending';
import type { TransferDeps } from '../../api/transfers';
import { databaseUrl } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createTransferStore, migrateTransfers, startTransferStatusListener, TRANSFERS_DATABASE, type TransferStatusListener } from '../../lib/transfers';
import { transferWorkflowId } from '../../workflows/definitions';
import { gatewayDeps } from '../support/gateway-deps';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { config, ensureSystem } from '../support/system';

const OPTIONS: ResumeOptions = { olderThanMs: 0, firstBackoffMs: 15_000, maxBackoffMs: 60 * 60_000 };

let connection: Connection;
let temporal: Client;
let pools: InvariantPools;
let statusListener: TransferStatusListener;
const logger = createLogger('resume-test', 'silent');
const created: string[] = [];

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  pools = invariantPools();
  await migrateTransfers(pools.transfers);
  statusListener = startTransferStatusListener({ connectionString: databaseUrl(config, TRANSFERS_DATABASE), applicationName: 'resume-test', logger });
}, 10 * 60_000);

afterAll(async () => {
  for (const id of created) {
    await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('resume-pending test cleanup').catch(() => undefined);
    await pools.transfers.query('DELETE FROM transfers WHERE id = $1', [id]);
  }
  await statusListener?.close();
  await connection?.close();
  await pools?.close();
});

function deps(client: Client, taskQueue: string): TransferDeps {
  return gatewayDeps({ store: createTransferStore(pools.transfers), statusListener, temporal: client, logger, taskQueue });
}

/** A transfer row left pending with no workflow, as after a start that failed. */
async function strandedTransfer(pool: Pool): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO transfers (id, from_account_id, to_account_id, amount_minor, currency) VALUES ($1, $2, $3, 100, 'USD')`,
    [id, randomUUID(), randomUUID()],
  );
  created.push(id);
  return id;
}

async function resumeState(id: string): Promise<{ attempts: number; dueInS: number | null }> {
  const { rows } = await pools.transfers.query<{ resume_attempts: number; due_in_s: string | null }>(
    `SELECT resume_attempts, extract(epoch FROM resume_after - clock_timestamp())::text AS due_in_s FROM transfers WHERE id = $1`,
    [id],
  );
  return { attempts: rows[0].resume_attempts, dueInS: rows[0].due_in_s === null ? null : Number(rows[0].due_in_s) };
}

const makeDue = (id: string) => pools.transfers.query(`UPDATE transfers SET resume_after = clock_timestamp() - interval '1 second' WHERE id = $1`, [id]);

describe('resuming pending transfers', () => {
  it('when a transfer is pending without a workflow, then a pass starts it, and each later attempt waits twice as long as the last', async () => {
    const id = await strandedTransfer(pools.transfers);
    const taskQueue = `resume-test-${randomUUID()}`;

    expect(await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS)).toBeGreaterThanOrEqual(1);
    const description = await temporal.workflow.getHandle(transferWorkflowId(id)).describe();
    expect({ status: description.status.name, taskQueue: description.taskQueue }).toEqual({ status: 'RUNNING', taskQueue });
    const first = await resumeState(id);
    expect(first.attempts).toBe(1);
    expect(first.dueInS).toBeGreaterThan(10);
    expect(first.dueInS).toBeLessThanOrEqual(15);

    // Not due yet: the next pass leaves it alone.
    await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    expect((await resumeState(id)).attempts).toBe(1);

    // Due again: the start finds the workflow (a no-op) and the wait doubles, then doubles again.
    await makeDue(id);
    await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    const second = await resumeState(id);
    expect(second.attempts).toBe(2);
    expect(second.dueInS).toBeGreaterThan(25);
    expect(second.dueInS).toBeLessThanOrEqual(30);
    await makeDue(id);
    await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    expect((await resumeState(id)).dueInS).toBeGreaterThan(55);
  });

  it('when the wait would pass the cap, then it stays at the cap', async () => {
    const id = await strandedTransfer(pools.transfers);
    await pools.transfers.query(`UPDATE transfers SET resume_attempts = 40 WHERE id = $1`, [id]);
    await resumePendingTransfers(deps(temporal, `resume-test-${randomUUID()}`), pools.transfers, OPTIONS);
    const state = await resumeState(id);
    expect(state.attempts).toBe(41);
    expect(state.dueInS).toBeGreaterThan(3590);
    expect(state.dueInS).toBeLessThanOrEqual(3600);
  });

  it('when Temporal cannot be reached, then the transfer is not pushed out: the next pass tries it again', async () => {
    const id = await strandedTransfer(pools.transfers);
    // A client whose every start fails as a Temporal that is down answers (the SDK's own retries would take ~20 s to give up).
    const unavailable = { workflow: { start: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused')) } } as unknown as Client;
    await resumePendingTransfers(deps(unavailable, `resume-test-${randomUUID()}`), pools.transfers, OPTIONS);
    expect(await resumeState(id)).toEqual({ attempts: 0, dueInS: null });
  });
});
