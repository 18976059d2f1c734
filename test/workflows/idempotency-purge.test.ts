/**
 * The idempotency purge:
 * - on the real `transfers` database, keys (of transfers and of reversals)
 *   older than the cutoff are deleted in batches of at most the batch size,
 *   newer ones stay, and the transfers they named stay (purging a key removes
 *   the mapping only); the freed key can then create a new transfer;
 * - the activity never purges younger than 24 h, whatever retention it is
 *   given, and counts what it purged on idempotency_keys_purged_total;
 * - the workflow (time-skipping server, activity mocked) hands the retention
 *   to its activity and returns its counts.
 * The stack's own purge (7 days) never reaches these rows (3 days and 1 hour
 * old); rows older than 2 days left by other runs may be purged here too, so
 * the assertions name this test's rows only.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createIdempotencyPurgeActivities, type PurgeInput } from '../../activities/idempotency-purge';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { createPool, type Pool } from '../../lib/pg';
import { createBatchStore, createTransferStore, migrateTransfers, TRANSFERS_DATABASE } from '../../lib/transfers';
import { purgeIdempotencyKeys, type IdempotencyKeyTable, type PurgeCounts } from '../../lib/transfers/idempotency-purge';
import { idempotencyPurgeWorkflow } from '../../workflows';
import { createTimeSkippingEnv } from '../support/temporal';
import { bundleWorkflows, metricValue } from './support/harness';

let pool: Pool;

beforeAll(async () => {
  pool = createPool(loadConfig(), TRANSFERS_DATABASE, { applicationName: 'idempotency-purge-test', maxConnections: 3 });
  await migrateTransfers(pool);
});

afterAll(async () => {
  await pool?.end();
});

const principal = () => `purge-test-${randomUUID()}`;

/** A transfer and its key, the key created `age` ago (an SQL interval); with `reversal`, a reversal key too. */
async function keyAged(owner: string, age: string, { reversal = false, batch = false } = {}): Promise<{ key: string; transferId: string }> {
  const key = `purge-${randomUUID()}`;
  const { transfer } = await createTransferStore(pool).createTransfer({
    principal: owner,
    idempotencyKey: key,
    requestHash: 'h',
    transfer: { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1n, currency: 'USD' },
  });
  await pool.query(`UPDATE idempotency_keys SET created_at = now() - $3::interval WHERE principal = $1 AND key = $2`, [owner, key, age]);
  if (reversal) {
    await pool.query(
      `INSERT INTO reversal_idempotency_keys (principal, key, transfer_id, reversal_id, created_at) VALUES ($1, $2, $3, $4, now() - $5::interval)`,
      [owner, key, transfer.id, randomUUID(), age],
    );
  }
  if (batch) {
    const item = { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1n, currency: 'USD' };
    await createBatchStore(pool).createBatch({ principal: owner, idempotencyKey: key, requestHash: 'h', batch: { mode: 'atomic', traceId: null, createdBy: owner, items: [item] } });
    await pool.query(`UPDATE batch_idempotency_keys SET created_at = now() - $3::interval WHERE principal = $1 AND key = $2`, [owner, key, age]);
  }
  return { key, transferId: transfer.id };
}

async function keysLeft(owner: string): Promise<Record<IdempotencyKeyTable, string[]>> {
  const keys = async (table: IdempotencyKeyTable) =>
    (await pool.query<{ key: string }>(`SELECT key FROM ${table} WHERE principal = $1 ORDER BY key`, [owner])).rows.map((r) => r.key);
  return {
    idempotency_keys: await keys('idempotency_keys'),
    reversal_idempotency_keys: await keys('reversal_idempotency_keys'),
    batch_idempotency_keys: await keys('batch_idempotency_keys'),
  };
}

describe('purgeIdempotencyKeys on PostgreSQL', () => {
  it('when keys are older than the cutoff, then they go in batches of at most the batch size, newer keys and every transfer stay', async () => {
    const owner = principal();
    const old = [];
    for (let i = 0; i < 5; i += 1) old.push(await keyAged(owner, '3 days', { reversal: i < 3, batch: i < 2 }));
    const young = await keyAged(owner, '1 hour', { reversal: true, batch: true });
    const batches: Array<[IdempotencyKeyTable, number]> = [];

    const counts = await purgeIdempotencyKeys(pool, {
      olderThan: new Date(Date.now() - 2 * 86_400_000),
      batchSize: 2,
      onBatch: (table, deleted) => void batches.push([table, deleted]),
    });

    expect(await keysLeft(owner)).toEqual({ idempotency_keys: [young.key], reversal_idempotency_keys: [young.key], batch_idempotency_keys: [young.key] });
    expect(counts.batch_idempotency_keys).toBeGreaterThanOrEqual(2);
    expect(batches.every(([, deleted]) => deleted >= 1 && deleted <= 2)).toBe(true);
    expect(batches.filter(([table]) => table === 'idempotency_keys').length).toBeGreaterThanOrEqual(3);
    expect(batches.filter(([table]) => table === 'reversal_idempotency_keys').length).toBeGreaterThanOrEqual(2);
    expect(counts.idempotency_keys).toBeGreaterThanOrEqual(5);
    expect(counts.reversal_idempotency_keys).toBeGreaterThanOrEqual(3);
    expect(counts.batches).toBe(batches.length);
    const ids = [...old, young].map((k) => k.transferId);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[])', [ids]);
    expect(rows[0]?.n).toBe(6);
  });

  it('when a purged key is sent again, then it creates a new transfer (the contract: a key is free after its retention)', async () => {
    const owner = principal();
    const { key, transferId } = await keyAged(owner, '3 days');
    await purgeIdempotencyKeys(pool, { olderThan: new Date(Date.now() - 2 * 86_400_000) });

    const again = await createTransferStore(pool).createTransfer({
      principal: owner,
      idempotencyKey: key,
      requestHash: 'h',
      transfer: { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1n, currency: 'USD' },
    });

    expect(again.created).toBe(true);
    expect(again.transfer.id).not.toBe(transferId);
  });
});

describe('the purge activity', () => {
  it('when given a retention under 24 h, then it purges only keys older than 24 h, and counts them', async () => {
    const owner = principal();
    const old = await keyAged(owner, '3 days', { reversal: true });
    const young = await keyAged(owner, '1 hour', { reversal: true });
    const registry = new Registry();
    const { purgeIdempotencyKeys: purge } = createIdempotencyPurgeActivities({ pool, registry, logger: createLogger('purge-test', 'silent') });

    const counts = await purge({ retentionMs: 1 });

    expect(await keysLeft(owner)).toEqual({ idempotency_keys: [young.key], reversal_idempotency_keys: [young.key], batch_idempotency_keys: [] });
    expect(old.key).not.toBe(young.key);
    expect(await metricValue(registry, 'idempotency_keys_purged_total', { table: 'idempotency_keys' })).toBe(counts.idempotency_keys);
    expect(await metricValue(registry, 'idempotency_keys_purged_total', { table: 'reversal_idempotency_keys' })).toBe(counts.reversal_idempotency_keys);
    expect(counts.idempotency_keys).toBeGreaterThanOrEqual(1);
  });
});

describe('idempotencyPurgeWorkflow', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('when run, then its activity gets the retention and the run returns what the activity purged', async () => {
    const inputs: PurgeInput[] = [];
    const purged: PurgeCounts = { idempotency_keys: 1500, reversal_idempotency_keys: 2, batch_idempotency_keys: 0, batches: 3 };
    const taskQueue = `purge-test-${randomUUID()}`;
    const activities = {
      purgeIdempotencyKeys: async (input: PurgeInput) => {
        inputs.push(input);
        return purged;
      },
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });

    const result = await worker.runUntil(
      env.client.workflow.execute(idempotencyPurgeWorkflow, { taskQueue, workflowId: `purge-${randomUUID()}`, args: [{ retentionMs: 7 * 86_400_000 }] }),
    );

    expect(result).toEqual(purged);
    expect(inputs).toEqual([{ retentionMs: 7 * 86_400_000, batchSize: undefined }]);
  });
});
