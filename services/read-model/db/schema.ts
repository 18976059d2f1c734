/**
 * The read model keeps its tables in one PostgreSQL schema of the `readmodel`
 * database, chosen per pool through the search_path. That lets the rebuild
 * fill a shadow schema with the very same migrations and queries, then swap it
 * in by renaming schemas, and lets tests run in a schema of their own.
 */
import path from 'node:path';
import { migrate, type Pool } from '../../../lib/pg';

/** The schema the running service reads and writes. */
export const LIVE_SCHEMA = 'read_model';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

// Short enough to take the "_rebuild" and "_retired" suffixes within
// PostgreSQL's 63-byte identifier limit; lower case so quoting is a formality.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** A schema name as a quoted SQL identifier; refuses anything but plain names, so it is safe to interpolate. */
export function schemaIdentifier(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return `"${schema}"`;
}

/**
 * Makes every connection of `pool` resolve unqualified table names in
 * `schema`. node-postgres runs a client's queries in order, so the SET queued
 * on connect runs before any query of the code that checked the client out.
 */
export function bindPoolToSchema(pool: Pool, schema: string): void {
  const statement = `SET search_path TO ${schemaIdentifier(schema)}`;
  pool.on('connect', (client) => {
    // A failure here means the connection is broken: the next query on it fails too.
    client.query(statement).catch(() => undefined);
  });
}

/** Creates the schema if needed and applies the migrations it has not seen; `pool` must be bound to it. */
export async function prepareSchema(pool: Pool, schema: string): Promise<string[]> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schemaIdentifier(schema)}`);
  return migrate(pool, MIGRATIONS_DIR);
}

/** Drops the schema and everything in it; for the rebuild's leftovers and for tests. */
export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schemaIdentifier(schema)} CASCADE`);
}
