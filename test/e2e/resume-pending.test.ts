/**
 * The gateway's resumer (api/resume-pending.ts) on the real transfers
 * database and Temporal server: a transfer left pending without a workflow
 * gets one; each attempt that reached Temporal pushes the next one out,
 * twice as far each time, so a transfer held up for hours is not started again
 * every pass; a transfer whose start cannot reach Temporal is tried again at
 * the next pass. The same for a claimed reversal left without its workflow,
 * and a reversal the ledger refused is finished: no pass asks Temporal for it.
 * A start that finds the workflow terminated is no success: a pending
 * transfer's is finalized (`failed` WORKFLOW_TERMINATED), a reversal's gets a
 * new run.
 * The workflows run on a task queue of the test's own, which no worker polls,
 * and are terminated at the end.
 *
 * The rows live in a transfers database of the test's own (created afresh,
 * dropped at the end): a pass takes every due row of its database, so on the
 * stack's database it would also start other tests' pending rows on this
 * test's dead task queues (where they would stay pending for good), and the
 * stack's own gateway, whose resumer passes over its database every 15 s,
 * could start this test's rows first.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient, type Pool } from 'pg';
import { resumeClaimedReversals, resumePendingTransfers, type ResumeOptions } from '../../api/resume-pending';
import type { TransferDeps } from '../../api/transfers';
import { databaseUrl } from '../../lib/config';
import { createPool } from '../../lib/pg';
import { firstOf } from '../../lib/assert';
import { createLogger } from '../../lib/logger';
import { createTransferStore, migrateTransfers, startTransferStatusListener, TRANSFERS_DATABASE, type TransferStatusListener } from '../../lib/transfers';
import { reverseTransferWorkflowId, transferWorkflowId } from '../../lib/workflow-contract';
import { gatewayDeps } from '../support/gateway-deps';
import { config, ensureSystem } from '../support/system';

const OPTIONS: ResumeOptions = { olderThanMs: 0, firstBackoffMs: 15_000, maxBackoffMs: 60 * 60_000 };

let connection: Connection;
let temporal: Client;
/** The test's own transfers database (see the header). */
const SCRATCH_DATABASE = 'transfers_resume_test';
let pools: { transfers: Pool };
let statusListener: TransferStatusListener;
const logger = createLogger('resume-test', 'silent');
const created: string[] = [];

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  await adminQuery(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${SCRATCH_DATABASE}`);
  pools = { transfers: createPool(config, SCRATCH_DATABASE, { applicationName: 'resume-test', maxConnections: 4 }) };
  await migrateTransfers(pools.transfers);
  statusListener = startTransferStatusListener({ connectionString: databaseUrl(config, SCRATCH_DATABASE), applicationName: 'resume-test', logger });
}, 10 * 60_000);

afterAll(async () => {
  for (const id of created) {
    await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('resume-pending test cleanup').catch(() => undefined);
    await temporal.workflow.getHandle(reverseTransferWorkflowId(id)).terminate('resume-pending test cleanup').catch(() => undefined);
  }
  await statusListener?.close();
  await connection?.close();
  await pools?.transfers.end();
  await adminQuery(`DROP DATABASE IF EXISTS ${SCRATCH_DATABASE} WITH (FORCE)`);
});

/** A statement outside any database of the test (CREATE and DROP DATABASE), on the stack's transfers database. */
async function adminQuery(sql: string): Promise<void> {
  const admin = new PgClient({ connectionString: databaseUrl(config, TRANSFERS_DATABASE) });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

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
  const row = firstOf(rows, `transfer ${id}`);
  return { attempts: row.resume_attempts, dueInS: row.due_in_s === null ? null : Number(row.due_in_s) };
}

const makeDue = (id: string) => pools.transfers.query(`UPDATE transfers SET resume_after = clock_timestamp() - interval '1 second' WHERE id = $1`, [id]);

/** A posted transfer row (its entry is nowhere: no workflow of this test runs) whose reversal was claimed and never started. */
async function strandedReversal(pool: Pool): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `INSERT INTO transfers (id, from_account_id, to_account_id, amount_minor, currency, status, entry_id) VALUES ($1, $2, $3, 100, 'USD', 'posted', $4)`,
    [id, randomUUID(), randomUUID(), randomUUID()],
  );
  created.push(id);
  const claim = await createTransferStore(pool).claimReversal(id, { reversalId: randomUUID(), principal: 'development', idempotencyKey: `resume-test-${randomUUID()}`, traceId: null });
  expect(claim.outcome).toBe('claimed');
  return id;
}

async function reversalResumeState(id: string): Promise<{ attempts: number; dueInS: number | null }> {
  const { rows } = await pools.transfers.query<{ attempts: number; due_in_s: string | null }>(
    `SELECT reversal_resume_attempts AS attempts, extract(epoch FROM reversal_resume_after - clock_timestamp())::text AS due_in_s FROM transfers WHERE id = $1`,
    [id],
  );
  const row = firstOf(rows, `transfer ${id}`);
  return { attempts: row.attempts, dueInS: row.due_in_s === null ? null : Number(row.due_in_s) };
}

const makeReversalDue = (id: string) => pools.transfers.query(`UPDATE transfers SET reversal_resume_after = clock_timestamp() - interval '1 second' WHERE id = $1`, [id]);

/** The reverse-<id> workflow as Temporal knows it, or 'none' when it was never started. */
async function reversalWorkflow(id: string): Promise<{ status: string; taskQueue: string } | 'none'> {
  try {
    const description = await temporal.workflow.getHandle(reverseTransferWorkflowId(id)).describe();
    return { status: description.status.name, taskQueue: description.taskQueue };
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return 'none';
    throw error;
  }
}

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

describe('resuming claimed reversals', () => {
  it('when a pending transfer\'s workflow was terminated, then the next due pass finalizes it failed WORKFLOW_TERMINATED', async () => {
    const id = await strandedTransfer(pools.transfers);
    const taskQueue = `resume-test-${randomUUID()}`;
    await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS);

    await temporal.workflow.getHandle(transferWorkflowId(id)).terminate('terminated by an operator');
    await makeDue(id);
    await resumePendingTransfers(deps(temporal, taskQueue), pools.transfers, OPTIONS);

    const transfer = await createTransferStore(pools.transfers).getTransfer(id);
    expect(transfer).toMatchObject({ status: 'failed', failureCode: 'WORKFLOW_TERMINATED' });
    expect(transfer?.failureMessage).toMatch(/TERMINATED/);
  });

  it('when a claimed reversal\'s workflow was terminated, then the next due pass starts a new run of it', async () => {
    const id = await strandedReversal(pools.transfers);
    const taskQueue = `resume-test-${randomUUID()}`;
    await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    const handle = temporal.workflow.getHandle(reverseTransferWorkflowId(id));
    const firstRun = (await handle.describe()).runId;

    await handle.terminate('terminated by an operator');
    await makeReversalDue(id);
    await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS);

    const latest = await temporal.workflow.getHandle(reverseTransferWorkflowId(id)).describe();
    expect(latest.status.name).toBe('RUNNING');
    expect(latest.runId).not.toBe(firstRun);
  });

  it('when a reversal is claimed without a workflow, then a pass starts it, and each later attempt waits twice as long as the last', async () => {
    const id = await strandedReversal(pools.transfers);
    const taskQueue = `resume-test-${randomUUID()}`;

    expect(await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS)).toBeGreaterThanOrEqual(1);
    expect(await reversalWorkflow(id)).toEqual({ status: 'RUNNING', taskQueue });
    const first = await reversalResumeState(id);
    expect(first.attempts).toBe(1);
    expect(first.dueInS).toBeGreaterThan(10);
    expect(first.dueInS).toBeLessThanOrEqual(15);

    // Not due yet: the next pass leaves it alone.
    await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    expect((await reversalResumeState(id)).attempts).toBe(1);

    // Due again: the start finds the workflow running (a no-op) and the wait doubles.
    await makeReversalDue(id);
    await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS);
    const second = await reversalResumeState(id);
    expect(second.attempts).toBe(2);
    expect(second.dueInS).toBeGreaterThan(25);
    expect(second.dueInS).toBeLessThanOrEqual(30);
  });

  it('when the ledger refused the reversal, then a pass does not ask Temporal for it and leaves its resume state alone, while it starts one still pending', async () => {
    const refused = await strandedReversal(pools.transfers);
    const pending = await strandedReversal(pools.transfers);
    const recorded = await createTransferStore(pools.transfers).recordReversalRefused(refused, { failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'no funds' });
    expect(recorded.applied).toBe(true);
    const taskQueue = `resume-test-${randomUUID()}`;

    await resumeClaimedReversals(deps(temporal, taskQueue), pools.transfers, OPTIONS);

    expect(await reversalWorkflow(pending)).toEqual({ status: 'RUNNING', taskQueue });
    expect(await reversalWorkflow(refused)).toBe('none');
    expect(await reversalResumeState(refused)).toEqual({ attempts: 0, dueInS: null });
  });

  it('when Temporal cannot be reached, then the reversal is not pushed out: the next pass tries it again', async () => {
    const id = await strandedReversal(pools.transfers);
    const unavailable = { workflow: { start: () => Promise.reject(new Error('14 UNAVAILABLE: connection refused')) } } as unknown as Client;
    await resumeClaimedReversals(deps(unavailable, `resume-test-${randomUUID()}`), pools.transfers, OPTIONS);
    expect(await reversalResumeState(id)).toEqual({ attempts: 0, dueInS: null });
  });
});
