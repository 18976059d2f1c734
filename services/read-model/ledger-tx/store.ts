/**
 * The parked events of ledger transactions not applied yet, and the
 * versions of the balance rows, in the caller's transaction (the tables:
 * db/migrations/002_ledger_transactions.sql).
 */
import type { PoolClient } from '../../../lib/pg';
import type { EventPosition } from '../apply';
import { parseEvent, type ProjectionEvent } from '../events';
import type { LedgerTx, TxStep, Versions } from './ordering';

/** One event of a ledger transaction; `arrival` is its index in the batch being applied, null when it was parked before. */
export interface Part {
  event: ProjectionEvent;
  position: EventPosition;
  arrival: number | null;
}

/**
 * The parts parked earlier for `txIds`, and for the transactions that take an
 * account of `reached` to the version after the one given, by transaction id.
 */
export async function loadParked(client: PoolClient, txIds: string[], reached: Pick<TxStep, 'accountId' | 'version'>[]): Promise<Map<string, Part[]>> {
  const parked = new Map<string, Part[]>();
  if (txIds.length === 0 && reached.length === 0) return parked;
  const { rows } = await client.query<{ tx_id: string; topic: string; partition: number; kafka_offset: string; envelope: string }>(
    `SELECT tx_id, topic, partition, kafka_offset, envelope FROM parked_events
      WHERE tx_id = ANY($1::text[])
         OR tx_id IN (SELECT s.tx_id FROM parked_steps s
                        JOIN unnest($2::text[], $3::bigint[]) AS r(account_id, version)
                          ON s.account_id = r.account_id AND s.version = r.version + 1)
      ORDER BY topic, partition, kafka_offset`,
    [txIds, reached.map((step) => step.accountId), reached.map((step) => step.version.toString())],
  );
  for (const row of rows) {
    const parsed = parseEvent(row.topic, Buffer.from(row.envelope, 'utf8'));
    // It was parsed before it was parked: a failure now is a broken table, not a bad event.
    if (!parsed.ok) throw new Error(`assertion: parked event of transaction ${row.tx_id} no longer parses: ${parsed.reason}`);
    const position = { topic: row.topic, partition: row.partition, offset: BigInt(row.kafka_offset) };
    parked.set(row.tx_id, [...(parked.get(row.tx_id) ?? []), { event: parsed.event, position, arrival: null }]);
  }
  return parked;
}

/** The versions of the accounts that have a balance row (the others are at 0). */
export async function readVersions(client: PoolClient, accountIds: string[]): Promise<Versions> {
  const { rows } = await client.query<{ account_id: string; version: string }>('SELECT account_id, version FROM balances WHERE account_id = ANY($1::text[])', [
    accountIds,
  ]);
  return new Map(rows.map((row) => [row.account_id, BigInt(row.version)]));
}

/** Parks the newly arrived parts of transactions that must wait, and their steps (once per transaction). */
export async function park(client: PoolClient, txs: LedgerTx<Part>[]): Promise<void> {
  const parts = txs.flatMap((tx) => tx.parts.filter((part) => part.arrival !== null).map((part) => ({ txId: tx.txId, part })));
  if (parts.length === 0) return;
  const steps = txs.flatMap((tx) => tx.steps.map((step) => ({ txId: tx.txId, step })));
  await client.query(
    `WITH events AS (
       INSERT INTO parked_events (event_id, tx_id, topic, partition, kafka_offset, envelope)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])
       ON CONFLICT (event_id) DO NOTHING)
     INSERT INTO parked_steps (account_id, version, tx_id)
     SELECT * FROM unnest($7::text[], $8::bigint[], $9::text[])
     ON CONFLICT DO NOTHING`,
    [
      parts.map(({ part }) => part.event.envelope.eventId),
      parts.map(({ txId }) => txId),
      parts.map(({ part }) => part.position.topic),
      parts.map(({ part }) => part.position.partition),
      parts.map(({ part }) => part.position.offset.toString()),
      parts.map(({ part }) => JSON.stringify(part.event.envelope)),
      steps.map(({ step }) => step.accountId),
      steps.map(({ step }) => step.version.toString()),
      steps.map(({ txId }) => txId),
    ],
  );
}

/** Forgets the parked rows of transactions now applied (or found applied before). */
export async function unpark(client: PoolClient, txIds: string[]): Promise<void> {
  if (txIds.length === 0) return;
  await client.query(
    `WITH events AS (DELETE FROM parked_events WHERE tx_id = ANY($1::text[]))
     DELETE FROM parked_steps WHERE tx_id = ANY($1::text[])`,
    [txIds],
  );
}
