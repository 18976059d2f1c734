/**
 * Proves the read model's internal GET /balances (for reconciliation): rows
 * come in byte order of their ids (the ledger's UUID order) in keyset pages
 * whose cursor is the last id, with no gap or repeat; ids given as a repeated
 * parameter (commas and all) return exactly their rows; the query rules hold
 * at their edges. How: the real app (server.ts) on port 0 against a schema of
 * this run in the real `readmodel` database, filled with direct INSERTs (no
 * Kafka: the projection is not what is under test here), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { createPool, type Pool } from '../../../lib/pg';
import { createRegistry } from '../../../lib/telemetry/metrics';
import { testCredential } from '../../../test/support/credentials';
import { call, startApp, type RunningApp } from '../../../test/support/service';
import { bindPoolToSchema, dropSchema, prepareSchema } from '../db/schema';
import { createReadModelMetrics } from '../metrics';
import { createReadModelApp } from '../server';

const schema = `rm_test_${randomBytes(5).toString('hex')}`;
let pool: Pool;
const credential = testCredential();
let app: RunningApp;

/** Uppercase sorts before lowercase in byte order; the comma one checks that ids are not split. */
const IDS = ['0a-first', '5f-second', 'Zz-upper', 'a,comma', 'b0-fifth', 'ff-last'];

beforeAll(async () => {
  pool = createPool(loadConfig(), 'readmodel', { applicationName: 'read-model-balance-page-test', maxConnections: 2 });
  bindPoolToSchema(pool, schema);
  await prepareSchema(pool, schema);
  for (const [i, id] of IDS.entries()) {
    await pool.query('INSERT INTO balances (account_id, currency, posted_minor, pending_minor) VALUES ($1, $2, $3, $4)', [id, 'USD', String(i * 100 - 150), String(i)]);
  }
  const registry = createRegistry('read-model-test');
  app = await startApp(createReadModelApp({ pool, logger: createLogger('read-model-test', 'silent'), registry, metrics: createReadModelMetrics(registry), readiness: {}, callers: credential.callers }));
});

afterAll(async () => {
  await app?.close();
  if (pool) {
    await dropSchema(pool, schema);
    await pool.end();
  }
});

const get = (query: string) => call(app.baseUrl, 'GET', `/balances?${query}`, undefined, credential.headers);
const idsOf = (body: { items: Array<{ accountId: string }> }) => body.items.map((row) => row.accountId);

describe('GET /balances', () => {
  it('when pages of 4 are followed by their cursor, then every row comes once, in byte order, and the last page has no cursor', async () => {
    const first = await get('limit=4');
    const second = await get(`limit=4&cursor=${encodeURIComponent(first.body.nextCursor)}`);

    expect(idsOf(first.body)).toEqual(['0a-first', '5f-second', 'Zz-upper', 'a,comma']);
    expect(first.body.nextCursor).toBe('a,comma');
    expect(idsOf(second.body)).toEqual(['b0-fifth', 'ff-last']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('when a page ends exactly at the last row, then it still gives a cursor, and the page after it is empty', async () => {
    const full = await get('limit=6');
    const after = await get(`limit=6&cursor=${encodeURIComponent(full.body.nextCursor)}`);

    expect(full.body.nextCursor).toBe('ff-last');
    expect(after.body).toEqual({ items: [], nextCursor: null });
  });

  it('when ids are given, then exactly their rows come back with signed amounts as strings, unknown ids left out', async () => {
    const answer = await get(`accountId=${encodeURIComponent('a,comma')}&accountId=0a-first&accountId=nobody`);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      items: [
        { accountId: '0a-first', currency: 'USD', postedMinor: '-150', pendingMinor: '0' },
        { accountId: 'a,comma', currency: 'USD', postedMinor: '150', pendingMinor: '3' },
      ],
      nextCursor: null,
    });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=1e2', 'limit'],
    ['cursor=x&accountId=y', 'accountId'],
  ])('when the query is %s, then 400 naming %s', async (query, field) => {
    const answer = await get(query);

    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });
});
