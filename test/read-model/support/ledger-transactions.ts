/**
 * Builders of ledger transactions as the ledger writes them now: every event
 * of one transaction carries its stamp (lib/contracts/ledger.ts LedgerTxStamp),
 * each account's version going up by one per transaction. Keeps each
 * account's posted, pending and version, so the events carry what a real
 * ledger would compute, and tests can say which state each step leads to.
 */
import { randomUUID } from 'node:crypto';
import type { EntryDto, EntryPostedPayload, HoldDto, HoldEventPayload, HoldStatus, LedgerTxStamp } from '../../../lib/contracts/ledger';
import { TOPICS } from '../../../lib/kafka';
import { envelope, type Publication } from './events';

export interface AccountState {
  postedMinor: bigint;
  pendingMinor: bigint;
  version: bigint;
}

interface Change {
  accountId: string;
  postedDeltaMinor: bigint;
  pendingDeltaMinor: bigint;
}

export class StampedLedger {
  private readonly states = new Map<string, AccountState>();

  constructor(private readonly currency = 'USD') {}

  stateOf(accountId: string): AccountState {
    return this.states.get(accountId) ?? { postedMinor: 0n, pendingMinor: 0n, version: 0n };
  }

  /** A direct entry from one account to another: its two entry.posted events (source first). */
  transfer(fromAccountId: string, toAccountId: string, amountMinor: bigint): [Publication, Publication] {
    const changes = [
      { accountId: fromAccountId, postedDeltaMinor: -amountMinor, pendingDeltaMinor: 0n },
      { accountId: toAccountId, postedDeltaMinor: amountMinor, pendingDeltaMinor: 0n },
    ];
    return this.transaction(changes, (stamp) => this.entryEvents(this.entry(fromAccountId, toAccountId, amountMinor, null), fromAccountId, toAccountId, stamp));
  }

  /** A hold reserved on its source: one hold.reserved. */
  reserve(hold: HoldDto): [Publication] {
    const changes = [{ accountId: hold.fromAccountId, postedDeltaMinor: 0n, pendingDeltaMinor: BigInt(hold.amountMinor) }];
    return this.transaction(changes, (stamp) => [this.holdEvent(hold, 'reserved', null, stamp)]);
  }

  /** The capture of a reserved hold: the entry's two events (source, destination), then hold.captured. */
  capture(hold: HoldDto): [Publication, Publication, Publication] {
    const amountMinor = BigInt(hold.amountMinor);
    const changes = [
      { accountId: hold.fromAccountId, postedDeltaMinor: -amountMinor, pendingDeltaMinor: -amountMinor },
      { accountId: hold.toAccountId, postedDeltaMinor: amountMinor, pendingDeltaMinor: 0n },
    ];
    return this.transaction(changes, (stamp) => {
      const entry = this.entry(hold.fromAccountId, hold.toAccountId, amountMinor, hold.holdId);
      return [...this.entryEvents(entry, hold.fromAccountId, hold.toAccountId, stamp), this.holdEvent(hold, 'captured', entry.entryId, stamp)];
    });
  }

  /** Moves the states by `changes`, then builds the events (balances after are the new states) with the transaction's stamp. */
  private transaction<Events extends Publication[]>(changes: Change[], build: (stamp: LedgerTxStamp) => Events): Events {
    const accounts = changes.map((change) => {
      const state = this.stateOf(change.accountId);
      const next = {
        postedMinor: state.postedMinor + change.postedDeltaMinor,
        pendingMinor: state.pendingMinor + change.pendingDeltaMinor,
        version: state.version + 1n,
      };
      this.states.set(change.accountId, next);
      return {
        accountId: change.accountId,
        version: next.version.toString(),
        postedDeltaMinor: change.postedDeltaMinor.toString(),
        pendingDeltaMinor: change.pendingDeltaMinor.toString(),
      };
    });
    const stamp: LedgerTxStamp = { txId: randomUUID(), eventCount: 0, accounts };
    const events = build(stamp);
    stamp.eventCount = events.length;
    return events;
  }

  private entry(fromAccountId: string, toAccountId: string, amountMinor: bigint, holdId: string | null): EntryDto {
    const amount = amountMinor.toString();
    return {
      entryId: randomUUID(),
      transferId: randomUUID(),
      holdId,
      reversesEntryId: null,
      currency: this.currency,
      description: 'stamped test transfer',
      postedAt: new Date().toISOString(),
      lines: [
        { accountId: fromAccountId, direction: 'debit', amountMinor: amount, balanceAfterMinor: this.stateOf(fromAccountId).postedMinor.toString() },
        { accountId: toAccountId, direction: 'credit', amountMinor: amount, balanceAfterMinor: this.stateOf(toAccountId).postedMinor.toString() },
      ],
    };
  }

  /** The entry's two events, keyed by its accounts: the source's, then the destination's. */
  private entryEvents(entry: EntryDto, fromAccountId: string, toAccountId: string, ledgerTx: LedgerTxStamp): [Publication, Publication] {
    const event = (accountId: string): Publication => {
      const payload: EntryPostedPayload = { ...entry, accountId, ledgerTx };
      return { topic: TOPICS.entry, envelope: envelope('entry.posted', accountId, payload) };
    };
    return [event(fromAccountId), event(toAccountId)];
  }

  private holdEvent(hold: HoldDto, status: HoldStatus, entryId: string | null, ledgerTx: LedgerTxStamp): Publication {
    const payload: HoldEventPayload = { ...hold, status, entryId, updatedAt: new Date().toISOString(), ledgerTx };
    return { topic: TOPICS.hold, envelope: envelope(`hold.${status}`, hold.fromAccountId, payload) };
  }
}
