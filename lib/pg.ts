/**
 * PostgreSQL helpers shared by every service: a pool per service database,
 * a transaction wrapper, and a forward-only migration runner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { Pool, type PoolClient } from 'pg';
import { required } from './assert';
import { databaseUrl, type Config } from './config';
import { IN_TRANSACTION } from './telemetry/sampler';

export type { Pool, PoolClient } from 'pg';

export interface PoolOptions {
  /** Shown in pg_stat_activity, so a connection can be traced to its process. */
  applicationName: string;
  maxConnections?: number;
}

export function createPool(config: Config, database: string, options: PoolOptions): Pool {
  const pool = new Pool({
    connectionString: databaseUrl(config, database),
    application_name: options.applicationName,
    max: options.maxConnections ?? config.PG_POOL_MAX,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection that the server drops (a PostgreSQL restart) is emitted
  // here; unheard, it would crash the process. The pool discards that client
  // by itself, and queries in flight fail on their own, so there is nothing
  // more to do than to let the event be heard.
  pool.on('error', () => undefined);
  // The same for a client that is checked out but between queries (inside a
  // transaction awaiting other work) when the server goes: pg-pool takes its
  // own listener off a client it hands out, and an 'error' event nobody hears
  // crashes the process (the PostgreSQL drill found it: gateway, accounts and
  // ledger died). The client's next query fails, and release() discards it.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

const tracer = trace.getTracer('credit-ledger/pg');

/**
 * Runs `work` in one transaction: COMMIT when it returns, ROLLBACK when it
 * throws. Traced, inside a request's trace, as one `pg.transaction <database>`
 * span (checkout to release) instead of a span per statement
 * (lib/telemetry/sampler.ts); background work with no trace of its own (a
 * relay's poll) makes no span, as the pg instrumentation does (requireParentSpan).
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  if (!trace.getSpan(context.active())) return runTransaction(pool, work);
  const attributes = { 'db.system': 'postgresql', 'db.name': databaseOf(pool) };
  return tracer.startActiveSpan(`pg.transaction ${attributes['db.name']}`, { attributes }, async (span) => {
    try {
      return await context.with(context.active().setValue(IN_TRANSACTION, true), () => runTransaction(pool, work));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

function databaseOf(pool: Pool): string {
  const { database, connectionString } = pool.options;
  if (database) return database;
  return connectionString ? new URL(connectionString).pathname.slice(1) : '';
}

/** The clients between their BEGIN and their COMMIT or ROLLBACK in `inTransaction`. */
const openTransactions = new WeakSet<PoolClient>();

/**
 * Whether `client` is inside `inTransaction`'s work: what the writers that
 * must share their change's transaction (the outbox's rows, a ledger entry's
 * lines) assert, so a write outside one fails at once instead of publishing an
 * event for a change that may roll back.
 */
export function inOpenTransaction(client: PoolClient): boolean {
  return openTransactions.has(client);
}

async function runTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    openTransactions.add(client);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    openTransactions.delete(client);
    client.release();
  }
}

// Any fixed number works: it only has to be the same for every process
// migrating the same database.
const MIGRATION_LOCK_KEY = 7_101_7102;

/**
 * Applies the `NNN_name.sql` files of the directories that this database has
 * not seen yet, in name order across all of them (so a shared directory such as
 * lib/outbox's can come first by number), each in its own transaction. An
 * advisory lock keeps two processes starting at once from applying a file twice.
 */
export async function migrate(pool: Pool, ...directories: string[]): Promise<string[]> {
  const pathOf = new Map<string, string>();
  for (const directory of directories) {
    for (const file of readdirSync(directory).filter((f) => /^\d+_.+\.sql$/.test(f))) {
      if (pathOf.has(file)) throw new Error(`migration ${file} exists twice (${directory})`);
      pathOf.set(file, path.join(directory, file));
    }
  }
  const files = [...pathOf.keys()].sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    for (const file of files.filter((f) => !done.has(f))) {
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(required(pathOf.get(file), `the path of migration ${file}`), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
