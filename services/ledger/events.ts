/** The ledger's events, as outbox rows (topics and shapes: lib/contracts/ledger.ts). */
import type { EntryDto, HoldDto, HoldStatus, LedgerTxStamp } from '../../lib/contracts/ledger';
import { TOPICS } from '../../lib/kafka';
import type { OutboxEvent } from '../../lib/outbox';
import type { LockedBalance } from './repository';

/** One `entry.posted` per account the entry touches, keyed by that account. */
export function entryPostedEvents(entry: EntryDto): OutboxEvent<EntryDto & { accountId: string }>[] {
  const accountIds = [...new Set(entry.lines.map((line) => line.accountId))];
  return accountIds.map((accountId) => ({
    topic: TOPICS.entry,
    type: 'entry.posted',
    aggregateId: accountId,
    payload: { ...entry, accountId },
  }));
}

export function holdEvent(hold: HoldDto, status: HoldStatus = hold.status): OutboxEvent<HoldDto> {
  return { topic: TOPICS.hold, type: `hold.${status}`, aggregateId: hold.fromAccountId, payload: hold };
}

/**
 * The events of one ledger transaction, each carrying the transaction's
 * stamp: its id, how many events it wrote, and its step on every account it
 * saved (the version it left the row at, and the change of posted and pending
 * since the row was locked).
 */
/** What a stamp reads of an account's balance row: its version before the transaction, its sums then and now. */
export type StampedBalance = Pick<LockedBalance, 'accountId' | 'version' | 'postedMinor' | 'lockedPostedMinor' | 'pendingMinor' | 'lockedPendingMinor'>;

export function stampTransaction<P extends object>(txId: string, saved: StampedBalance[], events: OutboxEvent<P>[]): OutboxEvent<P & { ledgerTx: LedgerTxStamp }>[] {
  const ledgerTx: LedgerTxStamp = {
    txId,
    eventCount: events.length,
    accounts: saved.map((balance) => ({
      accountId: balance.accountId,
      version: (balance.version + 1n).toString(),
      postedDeltaMinor: (balance.postedMinor - balance.lockedPostedMinor).toString(),
      pendingDeltaMinor: (balance.pendingMinor - balance.lockedPendingMinor).toString(),
    })),
  };
  return events.map((event) => ({ ...event, payload: { ...event.payload, ledgerTx } }));
}
