/**
 * Puts the rebuilt schema in the live one's place, in one transaction. The
 * live tables are locked against writes first (processed_events first, as
 * every apply writes it first), then the live applied positions are compared
 * with the rebuild's: if the live consumer has applied an event the rebuild has
 * not, the swap would lose it, so nothing changes and the rebuild catches up
 * and tries again. Readers are never blocked: renaming a schema locks no
 * table, and statements that start after the commit resolve the names to the
 * rebuilt tables. The live consumer's writes that waited on the locks are
 * re-resolved by PostgreSQL to the new tables too.
 */
import type { Pool, PoolClient } from '../../../lib/pg';
import { inTransaction } from '../../../lib/pg';
import { schemaIdentifier } from '../db/schema';
import { readAppliedPositions, type ConsumedOffsets, type Offsets } from './positions';

export interface SwapSchemas {
  live: string;
  shadow: string;
  /** The old live schema's name between the swap and its drop. */
  retired: string;
}

export type SwapResult = { swapped: true; hadLiveSchema: boolean } | { swapped: false; liveAhead: Offsets };

// Bounded: a swap that cannot get its locks gives up and is tried again.
const LOCK_TIMEOUT = '10s';

export function swapIfCaughtUp(pool: Pool, schemas: SwapSchemas, consumed: ConsumedOffsets): Promise<SwapResult> {
  return inTransaction(pool, async (client) => {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    // The rebuild's pool skips commit flushes; the swap must not.
    await client.query('SET LOCAL synchronous_commit TO on');
    const liveTables = await tablesOf(client, schemas.live);
    if (liveTables.length > 0) {
      await lockAgainstWrites(client, schemas.live, liveTables);
      const liveAhead = consumed.behind(await readAppliedPositions(client, schemas.live));
      if (liveAhead.size > 0) return { swapped: false, liveAhead };
      await client.query(`DROP SCHEMA IF EXISTS ${schemaIdentifier(schemas.retired)} CASCADE`);
      await client.query(`ALTER SCHEMA ${schemaIdentifier(schemas.live)} RENAME TO ${schemaIdentifier(schemas.retired)}`);
    }
    await client.query(`ALTER SCHEMA ${schemaIdentifier(schemas.shadow)} RENAME TO ${schemaIdentifier(schemas.live)}`);
    return { swapped: true, hadLiveSchema: liveTables.length > 0 };
  });
}

/** Dropped after the swap's commit, so readers still on the old tables finish without holding the swap up. */
export async function dropRetired(pool: Pool, schemas: SwapSchemas): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schemaIdentifier(schemas.retired)} CASCADE`);
}

async function tablesOf(client: PoolClient, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema]);
  const names = rows.map((row) => row.tablename);
  return [...names.filter((name) => name === 'processed_events'), ...names.filter((name) => name !== 'processed_events').sort()];
}

/** EXCLUSIVE mode blocks writers and lets readers through; tables are locked in the order given. */
async function lockAgainstWrites(client: PoolClient, schema: string, tables: string[]): Promise<void> {
  const qualified = tables.map((table) => `${schemaIdentifier(schema)}."${table.replace(/"/g, '""')}"`);
  await client.query(`LOCK TABLE ${qualified.join(', ')} IN EXCLUSIVE MODE`);
}
