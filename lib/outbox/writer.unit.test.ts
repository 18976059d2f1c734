/**
 * The outbox's rows are written in the transaction of the change they
 * announce, or not at all: appendToOutbox asserts its client is inside
 * lib/pg's inTransaction. Proved with a fake pool whose client records its
 * statements: inside the transaction the INSERT runs between BEGIN and
 * COMMIT; with the same client outside one, the call throws before any
 * statement.
 */
import type { Pool, PoolClient } from 'pg';
import { AssertionError } from '../assert';
import { TOPICS } from '../kafka';
import { inOpenTransaction, inTransaction } from '../pg';
import { appendToOutbox, type OutboxEvent } from './writer';

const event: OutboxEvent<{ n: number }> = { topic: TOPICS.entry, type: 'entry.posted', aggregateId: 'a-1', payload: { n: 1 } };

function fakePool(): { pool: Pool; client: PoolClient; statements: string[] } {
  const statements: string[] = [];
  const client = {
    query: async (text: string) => {
      statements.push(text.split(' ')[0] ?? text);
      return { rows: [], rowCount: 0 };
    },
    release: () => undefined,
  } as unknown as PoolClient;
  const pool = { connect: async () => client } as unknown as Pool;
  return { pool, client, statements };
}

it('when written inside inTransaction, then the INSERT runs between BEGIN and COMMIT', async () => {
  const { pool, client, statements } = fakePool();
  await inTransaction(pool, (inside) => appendToOutbox(inside, [event]));
  expect(statements).toEqual(['BEGIN', 'INSERT', 'COMMIT']);
  expect(inOpenTransaction(client)).toBe(false);
});

it('when written with a client outside a transaction, then it throws and writes nothing', async () => {
  const { client, statements } = fakePool();
  await expect(appendToOutbox(client, [event])).rejects.toThrow(AssertionError);
  await expect(appendToOutbox(client, [event])).rejects.toThrow('written in the transaction of their change');
  expect(statements).toEqual([]);
});
