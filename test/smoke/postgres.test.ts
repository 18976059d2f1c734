/**
 * Proves the native stack's PostgreSQL serves the three service databases:
 * a write and a read back in each, through the same pool helper the services use.
 */
import { loadConfig } from '../../lib/config';
import { createPool, inTransaction } from '../../lib/pg';
import { firstOf } from '../../lib/assert';

const config = loadConfig();

describe.each(['accounts', 'ledger', 'readmodel'])('PostgreSQL database %s', (database) => {
  it('when a row is written in a transaction, then it reads back as written', async () => {
    const pool = createPool(config, database, { applicationName: 'smoke-test', maxConnections: 2 });
    try {
      const amountMinor = 9223372036854775807n; // the largest amount the API accepts
      const readBack = await inTransaction(pool, async (client) => {
        await client.query('CREATE TEMP TABLE smoke (id int PRIMARY KEY, amount_minor bigint NOT NULL) ON COMMIT DROP');
        await client.query('INSERT INTO smoke VALUES (1, $1)', [amountMinor.toString()]);
        const { rows } = await client.query<{ db: string; amount_minor: string }>(
          'SELECT current_database() AS db, amount_minor FROM smoke WHERE id = 1',
        );
        return firstOf(rows, 'the smoke row');
      });
      expect(readBack.db).toBe(database);
      expect(BigInt(readBack.amount_minor)).toBe(amountMinor);
    } finally {
      await pool.end();
    }
  });
});
