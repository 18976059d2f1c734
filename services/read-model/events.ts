/**
 * Turns a Kafka message into a typed event the projections can apply, or says
 * why it cannot. Only the fields the projections use are checked, typed as
 * picks of the contract types (lib/contracts) so a contract change that
 * breaks the read model breaks its compilation too.
 */
import { z } from 'zod';
import type { AccountEventPayload, AccountEventType } from '../../lib/contracts/accounts';
import type { EntryLineDto, EntryPostedPayload, HoldEventPayload, HoldStatus, LedgerTxStamp } from '../../lib/contracts/ledger';
import { TOPICS, type EventEnvelope } from '../../lib/kafka';
import { parseAmountMinor } from '../../lib/money';
import { parseRfc3339 } from './time';

export type AccountFacts = Pick<AccountEventPayload, 'id' | 'code' | 'currency' | 'creditLimit' | 'status' | 'createdAt'>;
export type EntryFacts = Pick<EntryPostedPayload, 'entryId' | 'transferId' | 'currency' | 'description' | 'postedAt' | 'accountId' | 'lines' | 'ledgerTx'>;
export type HoldFacts = Pick<HoldEventPayload, 'holdId' | 'transferId' | 'fromAccountId' | 'amountMinor' | 'currency' | 'entryId' | 'expiresAt' | 'ledgerTx'>;

export type ProjectionEvent =
  | { kind: 'account'; envelope: EventEnvelope<AccountFacts>; type: AccountEventType }
  | { kind: 'entry'; envelope: EventEnvelope<EntryFacts> }
  | { kind: 'hold'; envelope: EventEnvelope<HoldFacts>; status: HoldStatus }
  /** A type this version does not know: recorded as processed, projected nowhere. */
  | { kind: 'unknown'; envelope: EventEnvelope<unknown> };

export type ParseResult = { ok: true; event: ProjectionEvent } | { ok: false; reason: string };

const id = z.string().min(1).max(255);
const time = z.string().refine((value) => parseRfc3339(value) !== null, 'must be an RFC 3339 time');
const positiveAmount = z.string().refine((value) => parseAmountMinor(value).ok, 'must be a positive amount in minor units');
// A balance may be negative; numeric(40,0) holds far more than 64 bits, 30 digits is plenty.
const signedAmount = z.string().regex(/^(0|-?[1-9][0-9]{0,29})$/, 'must be a signed integer in minor units');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code');

const envelopeSchema = z.object({
  eventId: id,
  type: z.string().min(1).max(100),
  occurredAt: time,
  aggregateId: id,
  payload: z.unknown(),
});

const accountSchema: z.ZodType<AccountFacts> = z.object({
  id,
  code: z.string().max(255),
  currency,
  creditLimit: z.string().max(40),
  status: z.enum(['active', 'frozen']),
  createdAt: time,
});

const lineSchema: z.ZodType<EntryLineDto> = z.object({
  accountId: id,
  direction: z.enum(['debit', 'credit']),
  amountMinor: positiveAmount,
  balanceAfterMinor: signedAmount,
});

// Events written before the ledger stamped its transactions have none: they are applied one by one, as before.
const ledgerTxSchema: z.ZodType<LedgerTxStamp> = z.object({
  txId: id,
  eventCount: z.number().int().min(1).max(1_000),
  accounts: z
    .array(
      z.object({
        accountId: id,
        version: z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be a positive version'),
        postedDeltaMinor: signedAmount,
        pendingDeltaMinor: signedAmount,
      }),
    )
    .min(1)
    .max(1_000),
});

const entrySchema: z.ZodType<EntryFacts> = z.object({
  entryId: id,
  transferId: id.nullable().default(null),
  currency,
  description: z.string().max(10_000).nullable().default('').transform((value) => value ?? ''),
  postedAt: time,
  accountId: id,
  lines: z.array(lineSchema).min(1).max(1_000),
  ledgerTx: ledgerTxSchema.optional(),
});

const holdSchema: z.ZodType<HoldFacts> = z.object({
  holdId: id,
  transferId: id,
  fromAccountId: id,
  amountMinor: positiveAmount,
  currency,
  entryId: id.nullable().default(null),
  expiresAt: time.nullable().default(null),
  ledgerTx: ledgerTxSchema.optional(),
});

const HOLD_STATUS_BY_TYPE: ReadonlyMap<string, HoldStatus> = new Map([
  ['hold.reserved', 'reserved'],
  ['hold.captured', 'captured'],
  ['hold.voided', 'voided'],
  ['hold.expired', 'expired'],
]);
const ACCOUNT_TYPES: ReadonlySet<string> = new Set<AccountEventType>(['account.created', 'account.frozen', 'account.unfrozen']);

/** Parses and checks one message of one of the three topics. */
export function parseEvent(topic: string, value: Buffer | null): ParseResult {
  if (value === null) return { ok: false, reason: 'message has no value' };
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'message value is not JSON' };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `bad envelope: ${describeIssues(envelope.error)}` };
  return parsePayload(topic, envelope.data as EventEnvelope<unknown>);
}

function parsePayload(topic: string, envelope: EventEnvelope<unknown>): ParseResult {
  if (topic === TOPICS.account && ACCOUNT_TYPES.has(envelope.type)) {
    return withPayload(envelope, accountSchema, (e) => ({ kind: 'account', envelope: e, type: envelope.type as AccountEventType }));
  }
  if (topic === TOPICS.entry && envelope.type === 'entry.posted') {
    return withPayload(envelope, entrySchema, (e) => ({ kind: 'entry', envelope: e }));
  }
  const holdStatus = HOLD_STATUS_BY_TYPE.get(envelope.type);
  if (topic === TOPICS.hold && holdStatus !== undefined) {
    return withPayload(envelope, holdSchema, (e) => ({ kind: 'hold', envelope: e, status: holdStatus }));
  }
  return { ok: true, event: { kind: 'unknown', envelope } };
}

function withPayload<P>(
  envelope: EventEnvelope<unknown>,
  schema: z.ZodType<P>,
  build: (envelope: EventEnvelope<P>) => ProjectionEvent,
): ParseResult {
  const payload = schema.safeParse(envelope.payload);
  if (!payload.success) return { ok: false, reason: `bad ${envelope.type} payload: ${describeIssues(payload.error)}` };
  return { ok: true, event: build({ ...envelope, payload: payload.data }) };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`)
    .join('; ');
}

/** The stamp of the ledger transaction an event belongs to; undefined for account events and older ledger events. */
export function ledgerTxOf(event: ProjectionEvent): LedgerTxStamp | undefined {
  return event.kind === 'entry' || event.kind === 'hold' ? event.envelope.payload.ledgerTx : undefined;
}

/** The domain ids an event carries, as log fields (design: account_id, entry_id, transfer_id). */
export function logFieldsOf(event: ProjectionEvent): Record<string, string | undefined> {
  const base = { event_id: event.envelope.eventId, event_type: event.envelope.type, account_id: event.envelope.aggregateId };
  switch (event.kind) {
    case 'entry': {
      const entry = event.envelope.payload;
      return { ...base, account_id: entry.accountId, entry_id: entry.entryId, transfer_id: entry.transferId ?? undefined };
    }
    case 'hold': {
      const hold = event.envelope.payload;
      return { ...base, account_id: hold.fromAccountId, hold_id: hold.holdId, transfer_id: hold.transferId };
    }
    case 'account':
      return { ...base, account_id: event.envelope.payload.id };
    default:
      return base;
  }
}
