/**
 * Applies one event in one transaction together with the record that it was
 * applied, so an event delivered again finds its id taken and changes nothing.
 */
import { inTransaction, type Pool, type PoolClient } from '../../lib/pg';
import type { ProjectionEvent } from './events';
import { projectAccount } from './projections/accounts';
import { projectEntryPosted } from './projections/entries';
import { projectHold } from './projections/holds';

/** Where a message sits in Kafka. */
export interface EventPosition {
  topic: string;
  partition: number;
  offset: bigint;
}

export type ApplyOutcome =
  | { applied: false }
  | { applied: true; holdContradiction: boolean };

export function applyEvent(pool: Pool, event: ProjectionEvent, position: EventPosition): Promise<ApplyOutcome> {
  return inTransaction(pool, async (client) => {
    // processed_events is always the first table an apply writes: the rebuild
    // locks it first as well, which rules out a deadlock between the two.
    if (!(await markProcessed(client, event, position))) return { applied: false };
    const holdContradiction = await project(client, event);
    await advanceAppliedPosition(client, position);
    return { applied: true, holdContradiction };
  });
}

/** Records the event id; false when it was already there (a redelivery). */
async function markProcessed(client: PoolClient, event: ProjectionEvent, position: EventPosition): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO processed_events (event_id, event_type, topic, partition, kafka_offset)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (event_id) DO NOTHING`,
    [event.envelope.eventId, event.envelope.type, position.topic, position.partition, position.offset.toString()],
  );
  return rowCount === 1;
}

/** Runs the event's projection; returns whether a hold event contradicted a known final status. */
async function project(client: PoolClient, event: ProjectionEvent): Promise<boolean> {
  const { envelope } = event;
  switch (event.kind) {
    case 'account':
      await projectAccount(client, event.envelope.payload, envelope.occurredAt);
      return false;
    case 'entry':
      await projectEntryPosted(client, event.envelope.payload);
      return false;
    case 'hold':
      return (await projectHold(client, event.envelope.payload, event.status, envelope.occurredAt)).contradiction;
    case 'unknown':
      return false;
  }
}

async function advanceAppliedPosition(client: PoolClient, position: EventPosition): Promise<void> {
  await client.query(
    `INSERT INTO applied_positions (topic, partition, next_offset) VALUES ($1, $2, $3)
     ON CONFLICT (topic, partition) DO UPDATE
        SET next_offset = GREATEST(applied_positions.next_offset, EXCLUDED.next_offset)`,
    [position.topic, position.partition, (position.offset + 1n).toString()],
  );
}
