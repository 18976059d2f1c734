/**
 * Every ledger transaction that changes balances writes its events through
 * here, once, after its last change: so all of them carry the same stamp
 * (services/ledger/events.ts), which lets a consumer apply the transaction
 * whole and in each account's commit order.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { assert } from '../../lib/assert';
import { appendToOutbox, type OutboxEvent } from '../../lib/outbox';
import { stampTransaction } from './events';
import type { LockedBalance } from './repository';

export async function appendTransactionEvents<P extends object>(
  client: PoolClient,
  locked: Map<string, LockedBalance>,
  events: OutboxEvent<P>[],
): Promise<void> {
  const saved = [...locked.values()].filter((balance) => balance.saved);
  assert(saved.length > 0, 'a ledger transaction that writes events to have changed a balance');
  await appendToOutbox(client, stampTransaction(randomUUID(), saved, events));
}
