/**
 * Builders of the events the read model consumes, shaped exactly as the
 * contracts (lib/contracts) say the accounts and ledger services publish them.
 * TestLedger keeps running balances so entries carry the balanceAfterMinor a
 * real ledger would compute.
 */
import { randomUUID } from 'node:crypto';
import type { AccountDto } from '../../../lib/contracts/accounts';
import type { EntryDto, EntryPostedPayload, HoldDto, HoldStatus } from '../../../lib/contracts/ledger';
import { TOPICS, type EventEnvelope, type Topic } from '../../../lib/kafka';

export interface Publication {
  topic: Topic;
  envelope: EventEnvelope;
}

export function envelope<P>(type: string, aggregateId: string, payload: P, occurredAt = new Date().toISOString()): EventEnvelope<P> {
  return { eventId: randomUUID(), type, occurredAt, aggregateId, payload };
}

export function newAccount(currency = 'USD', creditLimit = '0'): AccountDto {
  const id = randomUUID();
  return { id, code: `rm-test-${id}`, name: 'Read model test', currency, creditLimit, status: 'active', createdBy: null, createdAt: new Date().toISOString() };
}

export function accountCreated(account: AccountDto): Publication {
  return { topic: TOPICS.account, envelope: envelope('account.created', account.id, account) };
}

export interface TransferLeg {
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  postedAt: string;
  transferId?: string;
  description?: string;
}

/** Posts two-line entries and remembers each account's balance (credits - debits). */
export class TestLedger {
  private readonly postedMinor = new Map<string, bigint>();

  constructor(private readonly currency = 'USD') {}

  post(leg: TransferLeg): EntryDto {
    const from = this.move(leg.fromAccountId, -leg.amountMinor);
    const to = this.move(leg.toAccountId, leg.amountMinor);
    const amountMinor = leg.amountMinor.toString();
    return {
      entryId: randomUUID(),
      transferId: leg.transferId ?? randomUUID(),
      holdId: null,
      reversesEntryId: null,
      currency: this.currency,
      description: leg.description ?? 'test transfer',
      postedAt: leg.postedAt,
      lines: [
        { accountId: leg.fromAccountId, direction: 'debit', amountMinor, balanceAfterMinor: from.toString() },
        { accountId: leg.toAccountId, direction: 'credit', amountMinor, balanceAfterMinor: to.toString() },
      ],
    };
  }

  balanceOf(accountId: string): bigint {
    return this.postedMinor.get(accountId) ?? 0n;
  }

  private move(accountId: string, deltaMinor: bigint): bigint {
    const after = this.balanceOf(accountId) + deltaMinor;
    this.postedMinor.set(accountId, after);
    return after;
  }
}

/** entry.posted: one event per account the entry touches, keyed by that account. */
export function entryPosted(entry: EntryDto): Publication[] {
  const accounts = [...new Set(entry.lines.map((line) => line.accountId))];
  return accounts.map((accountId) => {
    const payload: EntryPostedPayload = { ...entry, accountId };
    return { topic: TOPICS.entry, envelope: envelope('entry.posted', accountId, payload) };
  });
}

export function newHold(fromAccountId: string, toAccountId: string, amountMinor: bigint, expiresAt: string | null = null): HoldDto {
  const now = new Date().toISOString();
  return {
    holdId: randomUUID(),
    transferId: randomUUID(),
    fromAccountId,
    toAccountId,
    amountMinor: amountMinor.toString(),
    currency: 'USD',
    status: 'reserved',
    entryId: null,
    expiresAt,
    createdAt: now,
    updatedAt: now,
  };
}

export function holdEvent(hold: HoldDto, status: HoldStatus, entryId: string | null = null): Publication {
  const payload: HoldDto = { ...hold, status, entryId: entryId ?? hold.entryId, updatedAt: new Date().toISOString() };
  return { topic: TOPICS.hold, envelope: envelope(`hold.${status}`, hold.fromAccountId, payload) };
}
