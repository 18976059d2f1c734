/**
 * Runs the projection of one event, adding its balance deltas to `balances`:
 * for an event applied on its own (account events, ledger events older than
 * the transaction stamp) and for each event of a ledger transaction applied
 * whole (ledger-tx/apply-transactions.ts, which discards these deltas for the
 * stamp's).
 */
import type { PoolClient } from '../../lib/pg';
import type { ApplyOutcome } from './apply';
import type { ProjectionEvent } from './events';
import { projectAccount } from './projections/accounts';
import type { BalanceChanges } from './projections/balances';
import { projectEntryPosted } from './projections/entries';
import { projectHold } from './projections/holds';

export async function projectEvent(client: PoolClient, event: ProjectionEvent, balances: BalanceChanges): Promise<ApplyOutcome> {
  const { envelope } = event;
  switch (event.kind) {
    case 'account':
      await projectAccount(client, event.envelope.payload, envelope.occurredAt, balances);
      return { applied: true, holdContradiction: false, holdSettled: false };
    case 'entry':
      await projectEntryPosted(client, event.envelope.payload, balances);
      return { applied: true, holdContradiction: false, holdSettled: false };
    case 'hold': {
      const transition = await projectHold(client, event.envelope.payload, event.status, envelope.occurredAt, balances);
      return { applied: true, holdContradiction: transition.contradiction, holdSettled: transition.write && event.status !== 'reserved' };
    }
    case 'unknown':
      return { applied: true, holdContradiction: false, holdSettled: false };
  }
}
