/**
 * Applies the events of one partition, in offset order, in one transaction,
 * together with the record that each was applied: an event delivered again
 * (in this batch, or in a later one after a crash) finds its id taken and
 * changes nothing, and a transaction that fails midway applies nothing at all.
 * Events of ledger transactions (stamped by the ledger) are applied a whole
 * ledger transaction at a time, in each account's commit order, or kept until
 * they can be (ledger-tx/apply-transactions.ts); account events and ledger
 * events written before the stamp existed are applied one by one.
 */
import { required } from '../../lib/assert';
import { inTransaction, type Pool, type PoolClient } from '../../lib/pg';
import { ledgerTxOf, type ProjectionEvent } from './events';
import { applyLedgerTransactions, type Arrival } from './ledger-tx/apply-transactions';
import { projectEvent } from './project-event';
import { BalanceChanges } from './projections/balances';

/** Where a message sits in Kafka. */
export interface EventPosition {
  topic: string;
  partition: number;
  offset: bigint;
}

export interface PositionedEvent {
  event: ProjectionEvent;
  position: EventPosition;
}

export type ApplyOutcome =
  | { applied: false }
  | {
      applied: true;
      holdContradiction: boolean;
      /** The hold event took the hold to its final status (captured, voided, expired). */
      holdSettled: boolean;
    };

/** Runs one event's projection; the caller may wrap it (in the event's trace span, say). */
export type EventScope = <T>(index: number, work: () => Promise<T>) => Promise<T>;

const unscoped: EventScope = (_index, work) => work();

const TAKE_TURN = `CROSS JOIN (SELECT pg_advisory_xact_lock(hashtext('read-model-apply:' || current_schema()))) AS turn`;

/** One outcome per event, in the order given; all of them committed, or the call throws and none is. */
export async function applyEvents(pool: Pool, events: PositionedEvent[], scope: EventScope = unscoped): Promise<ApplyOutcome[]> {
  if (events.length === 0) return [];
  return inTransaction(pool, async (client) => {
    // processed_events is always the first table an apply writes: the rebuild
    // locks it first as well, which rules out a deadlock between the two.
    const fresh = await markProcessed(client, events, events.some(({ event }) => ledgerTxOf(event) !== undefined));
    const balances = new BalanceChanges();
    const outcomes: ApplyOutcome[] = [];
    const arrivals: Arrival[] = [];
    for (const [index, { event, position }] of events.entries()) {
      const stamp = ledgerTxOf(event);
      if (!fresh.has(index)) outcomes.push({ applied: false });
      else if (stamp) {
        arrivals.push({ index, event, position, stamp });
        outcomes.push({ applied: false }); // replaced below
      } else outcomes.push(await scope(index, () => projectEvent(client, event, balances)));
    }
    for (const [index, outcome] of await applyLedgerTransactions(client, arrivals, balances, scope)) outcomes[index] = outcome;
    await balances.write(client);
    await advanceAppliedPositions(client, events);
    return outcomes;
  });
}

/**
 * Records the events' ids; returns the indexes of those not recorded before
 * (nor earlier in this batch). With `takeTurn`, the same statement also takes
 * the appliers' turn: whether a ledger transaction is complete and its
 * accounts ready is decided from what is committed, so two apply transactions
 * deciding at once could each park one half of a ledger transaction and never
 * see the other half. They take turns instead, on a lock held to the commit
 * (per schema, so a rebuild does not wait on the live consumer); the live
 * consumer applies one transaction at a time anyway (apply-group.ts). The
 * statements after this one see every commit of the turns before.
 */
async function markProcessed(client: PoolClient, events: PositionedEvent[], takeTurn: boolean): Promise<Set<number>> {
  const firstIndexById = new Map<string, number>();
  events.forEach(({ event }, index) => {
    if (!firstIndexById.has(event.envelope.eventId)) firstIndexById.set(event.envelope.eventId, index);
  });
  const candidates = events.filter(({ event }, index) => firstIndexById.get(event.envelope.eventId) === index);
  const { rows } = await client.query<{ event_id: string }>(
    `INSERT INTO processed_events (event_id, event_type, topic, partition, kafka_offset)
     SELECT t.* FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[]) AS t
     ${takeTurn ? TAKE_TURN : ''}
     ON CONFLICT (event_id) DO NOTHING
     RETURNING event_id`,
    [
      candidates.map(({ event }) => event.envelope.eventId),
      candidates.map(({ event }) => event.envelope.type),
      candidates.map(({ position }) => position.topic),
      candidates.map(({ position }) => position.partition),
      candidates.map(({ position }) => position.offset.toString()),
    ],
  );
  return new Set(rows.map((row) => required(firstIndexById.get(row.event_id), `the candidate of event ${row.event_id}`)));
}

/** How far each partition has been applied: past the last event of the batch. */
async function advanceAppliedPositions(client: PoolClient, events: PositionedEvent[]): Promise<void> {
  const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const { position } of events) {
    const key = `${position.topic}:${position.partition}`;
    const known = next.get(key);
    if (!known || known.offset < position.offset + 1n) next.set(key, { ...position, offset: position.offset + 1n });
  }
  const positions = [...next.values()];
  await client.query(
    `INSERT INTO applied_positions (topic, partition, next_offset)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])
     ON CONFLICT (topic, partition) DO UPDATE
        SET next_offset = GREATEST(applied_positions.next_offset, EXCLUDED.next_offset)`,
    [positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.offset.toString())],
  );
}
