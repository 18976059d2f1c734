/**
 * Proves how consumed messages are read: envelopes of the three topics become
 * typed events, unknown types are recognised as such, and malformed messages
 * are refused with a reason instead of being applied. Also the backoff bounds
 * of the retry. Pure functions, no infrastructure.
 */
import { TOPICS } from '../../lib/kafka';
import { parseEvent } from './events';
import { backoffDelayMs } from './retry';

const message = (value: unknown) => Buffer.from(JSON.stringify(value));
const envelope = (type: string, payload: unknown) => ({ eventId: 'e-1', type, occurredAt: '2026-01-01T00:00:00.000Z', aggregateId: 'a-1', payload });
const entry = {
  entryId: 'n-1',
  transferId: 't-1',
  holdId: null,
  reversesEntryId: null,
  currency: 'USD',
  description: 'rent',
  postedAt: '2026-01-01T00:00:00.000Z',
  accountId: 'a-1',
  lines: [
    { accountId: 'a-1', direction: 'debit', amountMinor: '100', balanceAfterMinor: '-100' },
    { accountId: 'a-2', direction: 'credit', amountMinor: '100', balanceAfterMinor: '100' },
  ],
};

describe('parseEvent', () => {
  it('when an entry.posted envelope is well formed, then it is an entry event with its lines', () => {
    const parsed = parseEvent(TOPICS.entry, message(envelope('entry.posted', entry)));
    expect(parsed).toMatchObject({ ok: true, event: { kind: 'entry', envelope: { payload: { entryId: 'n-1', lines: entry.lines } } } });
  });

  it('when a hold event arrives, then its status comes from the event type', () => {
    const hold = { holdId: 'h-1', transferId: 't-1', fromAccountId: 'a-1', toAccountId: 'a-2', amountMinor: '5', currency: 'USD', status: 'voided', entryId: null, expiresAt: null };
    expect(parseEvent(TOPICS.hold, message(envelope('hold.voided', hold)))).toMatchObject({ ok: true, event: { kind: 'hold', status: 'voided' } });
  });

  it('when the type is unknown on the topic, then it is an unknown event, not an error', () => {
    expect(parseEvent(TOPICS.entry, message(envelope('entry.archived', {})))).toMatchObject({ ok: true, event: { kind: 'unknown' } });
  });

  it.each([
    ['no value', null],
    ['not JSON', Buffer.from('{')],
    ['no eventId', message({ ...envelope('entry.posted', entry), eventId: undefined })],
    ['a bad occurredAt', message({ ...envelope('entry.posted', entry), occurredAt: 'today' })],
    ['a zero amount', message(envelope('entry.posted', { ...entry, lines: [{ ...entry.lines[0], amountMinor: '0' }] }))],
    ['an amount past int64', message(envelope('entry.posted', { ...entry, lines: [{ ...entry.lines[0], amountMinor: '9223372036854775808' }] }))],
    ['a float amount', message(envelope('entry.posted', { ...entry, lines: [{ ...entry.lines[0], amountMinor: 1.5 }] }))],
    ['no lines', message(envelope('entry.posted', { ...entry, lines: [] }))],
  ])('when the message has %s, then it is refused with a reason', (_what, value) => {
    const parsed = parseEvent(TOPICS.entry, value);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).not.toBe('');
  });
});

describe('backoffDelayMs', () => {
  const policy = { initialDelayMs: 200, maxDelayMs: 10_000 };

  it('when retries go on, then the delay doubles from the first and never passes the maximum', () => {
    expect(backoffDelayMs(1, policy, () => 1)).toBe(200);
    expect(backoffDelayMs(2, policy, () => 1)).toBe(400);
    expect(backoffDelayMs(1_000, policy, () => 1)).toBe(10_000);
    expect(backoffDelayMs(1_000, policy, () => 0)).toBe(5_000);
  });
});
