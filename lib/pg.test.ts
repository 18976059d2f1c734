/**
 * The shared pool (lib/pg.ts) against the real PostgreSQL: a connection the
 * server ends while a caller holds it between two queries (what a PostgreSQL
 * restart does to a transaction in progress) fails that caller's next query
 * and nothing else; the process goes on and the pool serves new queries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from './config';
import { createPool, inTransaction, type Pool } from './pg';
import { firstOf } from './assert';

const config = loadConfig();
let pool: Pool;
let admin: Pool;

beforeAll(() => {
  pool = createPool(config, 'ledger', { applicationName: 'pg-test-victim', maxConnections: 2 });
  admin = createPool(config, 'ledger', { applicationName: 'pg-test-admin', maxConnections: 1 });
});

afterAll(async () => {
  await pool.end();
  await admin.end();
});

/** Errors Node would report as uncaught while `work` runs (an unheard 'error' event on a client is one). */
async function uncaughtDuring(work: () => Promise<void>): Promise<Error[]> {
  const caught: Error[] = [];
  const listener = (error: Error) => caught.push(error);
  const previous = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', listener);
  try {
    await work();
  } finally {
    process.removeListener('uncaughtException', listener);
    for (const l of previous) process.on('uncaughtException', l);
  }
  return caught;
}

it('when the server ends a connection held between two queries of a transaction, then only that transaction fails and the pool goes on', async () => {
  let transactionError: unknown;
  const uncaught = await uncaughtDuring(async () => {
    transactionError = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The transaction is now idle on the server while the caller "does other work".
      await admin.query('SELECT pg_terminate_backend($1)', [firstOf(rows, 'the backend pid').pid]);
      await sleep(300);
      await client.query('SELECT 1');
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
  });

  expect(uncaught).toEqual([]);
  expect(transactionError).toBeInstanceOf(Error);
  const { rows } = await pool.query<{ ok: number }>('SELECT 1 AS ok');
  expect(rows).toEqual([{ ok: 1 }]);
});
