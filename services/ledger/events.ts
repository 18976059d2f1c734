/** The ledger's events, as outbox rows (topics and shapes: lib/contracts/ledger.ts). */
import type { EntryDto, HoldDto, HoldStatus } from '../../lib/contracts/ledger';
import { TOPICS } from '../../lib/kafka';
import type { OutboxEvent } from '../../lib/outbox';

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
