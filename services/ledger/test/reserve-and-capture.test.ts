/**
 * Proves POST /holds/captured against the real `ledger` database: it is
 * "reserve, then capture" done atomically. A new hold moves the money once,
 * with one entry and only the hold.captured and entry.posted events; replays
 * (one after another or 20 at once) move nothing again; a refusal is
 * remembered as a refused reserve's is; a hold id that is known already is
 * answered as a reserve replay then a capture of that hold would be.
 */
import { randomUUID } from 'node:crypto';
import { startLedger, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});
afterEach(() => {
  jest.restoreAllMocks();
});

function capturedRequest(fromAccountId: string, toAccountId: string, amountMinor: string, extra: Record<string, unknown> = {}) {
  return { holdId: randomUUID(), transferId: randomUUID(), fromAccountId, toAccountId, amountMinor, currency: 'USD', entryId: randomUUID(), ...extra };
}

/** The same hold as POST /holds would take it: the request without its capture part. */
function reserveOf({ entryId: _entryId, description: _description, ...reserve }: Record<string, unknown>) {
  return reserve;
}

async function pair(fundedMinor: bigint, creditLimit = '0') {
  const from = ledger.directory.add('USD', creditLimit);
  const to = ledger.directory.add('USD', '0');
  if (fundedMinor > 0n) await ledger.fund(from, 'USD', fundedMinor);
  return { from, to };
}

/** The outbox rows about one hold: its own events and its entry's, as `type key`. */
async function outboxOf(holdId: string): Promise<string[]> {
  const { rows } = await ledger.pool.query<{ event_type: string; message_key: string }>(
    `SELECT event_type, message_key FROM outbox WHERE envelope->'payload'->>'holdId' = $1 ORDER BY event_type, message_key`,
    [holdId],
  );
  return rows.map((row) => `${row.event_type} ${row.message_key}`);
}

async function entriesOf(holdId: string): Promise<string[]> {
  const { rows } = await ledger.pool.query<{ entry_id: string }>('SELECT entry_id FROM entries WHERE hold_id = $1', [holdId]);
  return rows.map((row) => row.entry_id);
}

/** Holds every account lookup until `count` were asked: the callers then race into their transactions together. */
function lookupsMeetAt(count: number) {
  const real = ledger.directory.getAccounts.bind(ledger.directory);
  let asked = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return jest.spyOn(ledger.directory, 'getAccounts').mockImplementation(async (accountIds) => {
    if (++asked === count) open();
    await opened;
    return real(accountIds);
  });
}

function sorted(...keys: string[]): string[] {
  return [...keys].sort();
}

it('when a new hold is reserved and captured, then 201, the money moves once, one entry, and only hold.captured and entry.posted are written', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300', { description: 'rent' });
  const lookupsBefore = ledger.directory.lookups.length;

  const answer = await ledger.post('/holds/captured', request);

  expect(answer.status).toBe(201);
  expect(answer.body.hold).toMatchObject({ holdId: request.holdId, transferId: request.transferId, status: 'captured', entryId: request.entryId, amountMinor: '300', expiresAt: null });
  expect(answer.body.entry).toMatchObject({ entryId: request.entryId, holdId: request.holdId, transferId: request.transferId, description: 'rent' });
  expect(answer.body.entry.lines).toEqual([
    { accountId: from, direction: 'debit', amountMinor: '300', balanceAfterMinor: '700' },
    { accountId: to, direction: 'credit', amountMinor: '300', balanceAfterMinor: '300' },
  ]);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
  expect(await ledger.balance(to)).toEqual({ posted: 300n, pending: 0n, available: 300n });
  expect(await entriesOf(request.holdId)).toEqual([request.entryId]);
  expect(await outboxOf(request.holdId)).toEqual(sorted(`entry.posted ${from}`, `entry.posted ${to}`, `hold.captured ${from}`));
  expect((await ledger.get(`/holds/${request.holdId}`)).body).toEqual(answer.body.hold);
  expect(ledger.directory.lookups.slice(lookupsBefore)).toEqual([[from, to]]);
});

it('when the same call is repeated, then 200 with the same hold and entry, and nothing moves or is written again', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  const first = await ledger.post('/holds/captured', request);

  const replay = await ledger.post('/holds/captured', request);

  expect([first.status, replay.status]).toEqual([201, 200]);
  expect(replay.body).toEqual(first.body);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
  expect((await ledger.balance(to)).posted).toBe(300n);
  expect(await entriesOf(request.holdId)).toEqual([request.entryId]);
  expect(await outboxOf(request.holdId)).toHaveLength(3);
});

it('when 20 identical calls race into their transactions at once, then one does it (201), the others replay it (200), and the money moves once', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  const lookups = lookupsMeetAt(20);

  const answers = await Promise.all(Array.from({ length: 20 }, () => ledger.post('/holds/captured', request)));

  expect(lookups).toHaveBeenCalledTimes(20); // every call found the id unknown: the race was on the insert
  expect(answers.map((a) => a.status).sort()).toEqual([...Array(19).fill(200), 201]);
  expect(new Set(answers.map((a) => a.body.entry.entryId))).toEqual(new Set([request.entryId]));
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
  expect((await ledger.balance(to)).posted).toBe(300n);
  expect(await entriesOf(request.holdId)).toEqual([request.entryId]);
  expect(await outboxOf(request.holdId)).toHaveLength(3);
});

it('when a new hold is captured, then the metrics count a reserve and a capture, and one INFO line says so', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  const holdChanged = jest.spyOn(ledger.deps.metrics, 'holdChanged');
  const entryCreated = jest.spyOn(ledger.deps.metrics, 'entryCreated');
  const info = jest.spyOn(ledger.deps.logger, 'info');

  await ledger.post('/holds/captured', request);

  expect(holdChanged.mock.calls).toEqual([['reserved'], ['captured']]);
  expect(entryCreated.mock.calls).toEqual([['capture']]);
  expect(info.mock.calls.filter((call) => call[1] === 'hold reserved and captured')).toEqual([
    [
      { hold_id: request.holdId, entry_id: request.entryId, transfer_id: request.transferId, account_id: from, amount_minor: '300', currency: 'USD' },
      'hold reserved and captured',
    ],
  ]);
});

it('when the capture takes available exactly to −creditLimit, then it is done; one minor unit more is refused', async () => {
  const { from, to } = await pair(100n, '50');

  const atLimit = await ledger.post('/holds/captured', capturedRequest(from, to, '150'));
  const beyond = await ledger.post('/holds/captured', capturedRequest(from, to, '1'));

  expect(atLimit.status).toBe(201);
  expect([beyond.status, beyond.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
  // The reserve's wording (services/ledger/holds.ts), which a later POST /holds of that id is answered with.
  expect(beyond.body.detail).toBe(`account ${from} would have -51 available, below its credit limit`);
  expect(await ledger.balance(from)).toEqual({ posted: -50n, pending: 0n, available: -50n });
  expect((await ledger.balance(to)).posted).toBe(150n);
});

it('when funds are insufficient, then 422 INSUFFICIENT_FUNDS, nothing moves, and the refusal is remembered as a refused reserve is', async () => {
  const { from, to } = await pair(100n);
  const request = capturedRequest(from, to, '500');
  const refusalsCounted = jest.spyOn(ledger.deps.metrics, 'validationError');

  const refused = await ledger.post('/holds/captured', request);
  await ledger.fund(from, 'USD', 1000n); // enough now: only the remembered refusal can still refuse
  const repeat = await ledger.post('/holds/captured', request);
  const reserve = await ledger.post('/holds', reserveOf(request));
  const voided = await ledger.post(`/holds/${request.holdId}/void`, {});

  expect([refused.status, refused.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
  expect([repeat.status, repeat.body.code, repeat.body.detail]).toEqual([422, 'INSUFFICIENT_FUNDS', refused.body.detail]);
  expect([reserve.status, reserve.body.code, reserve.body.detail]).toEqual([422, 'INSUFFICIENT_FUNDS', refused.body.detail]);
  expect([voided.status, voided.body]).toEqual([200, { holdId: request.holdId, status: 'voided', tombstone: true }]);
  expect(refusalsCounted.mock.calls).toEqual([['INSUFFICIENT_FUNDS'], ['INSUFFICIENT_FUNDS'], ['INSUFFICIENT_FUNDS']]);
  expect(await ledger.balance(from)).toEqual({ posted: 1100n, pending: 0n, available: 1100n });
  expect(await ledger.get(`/accounts/${to}/balance`)).toMatchObject({ status: 404 }); // never took part in a movement
  expect(await entriesOf(request.holdId)).toEqual([]);
  expect(await outboxOf(request.holdId)).toEqual([]);
});

it.each([
  ['ACCOUNT_FROZEN', (from: string, to: string) => ({ request: capturedRequest(from, to, '100'), undo: () => ledger.directory.setStatus(to, 'active'), arrange: () => ledger.directory.setStatus(to, 'frozen') })],
  ['CURRENCY_MISMATCH', (from: string, to: string) => ({ request: capturedRequest(from, to, '100', { currency: 'EUR' }), undo: () => undefined, arrange: () => undefined })],
  ['ACCOUNT_NOT_FOUND', (from: string) => ({ request: capturedRequest(from, randomUUID(), '100'), undo: () => undefined, arrange: () => undefined })],
])('when an account refuses (%s), then 422 with that code, nothing moves, and a repeat gets the same refusal', async (code, make) => {
  const { from, to } = await pair(500n);
  const { request, arrange, undo } = make(from, to);
  arrange();

  const refused = await ledger.post('/holds/captured', request);
  undo();
  const repeat = await ledger.post('/holds/captured', request);

  expect([refused.status, refused.body.code]).toEqual([422, code]);
  expect([repeat.status, repeat.body.code]).toEqual([422, code]);
  expect(await ledger.balance(from)).toEqual({ posted: 500n, pending: 0n, available: 500n });
  expect(await entriesOf(request.holdId)).toEqual([]);
});

it('when the hold id is reused with another amount, then 409 hold-id-reused and nothing moves again', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  await ledger.post('/holds/captured', request);

  const other = await ledger.post('/holds/captured', { ...request, amountMinor: '301' });

  expect(other.status).toBe(409);
  expect(other.body.type).toMatch(/hold-id-reused$/);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
});

it('when the hold was reserved by POST /holds with the same fields, then this call captures it (201, one entry, pending released)', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  const reserved = await ledger.post('/holds', reserveOf(request));

  const captured = await ledger.post('/holds/captured', request);

  expect([reserved.status, captured.status, captured.body.hold.status]).toEqual([201, 201, 'captured']);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
  expect((await ledger.balance(to)).posted).toBe(300n);
  expect(await entriesOf(request.holdId)).toEqual([request.entryId]);
  expect(await outboxOf(request.holdId)).toEqual(sorted(`entry.posted ${from}`, `entry.posted ${to}`, `hold.reserved ${from}`, `hold.captured ${from}`));
});

it('when a hold done by this call is then reserved or captured the two-call way, then those replay it', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  await ledger.post('/holds/captured', request);

  const reserve = await ledger.post('/holds', reserveOf(request));
  const capture = await ledger.post(`/holds/${request.holdId}/capture`, { entryId: request.entryId });

  expect([reserve.status, reserve.body.status]).toEqual([200, 'captured']);
  expect([capture.status, capture.body.entry.entryId]).toEqual([200, request.entryId]);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
});

it('when the hold was voided (after its reserve, or before it as a tombstone), then 422 HOLD_NOT_RESERVED and nothing moves', async () => {
  const { from, to } = await pair(1000n);
  const voidedAfter = capturedRequest(from, to, '300');
  await ledger.post('/holds', reserveOf(voidedAfter));
  await ledger.post(`/holds/${voidedAfter.holdId}/void`, {});
  const voidedBefore = capturedRequest(from, to, '300');
  await ledger.post(`/holds/${voidedBefore.holdId}/void`, {});

  const answers = [await ledger.post('/holds/captured', voidedAfter), await ledger.post('/holds/captured', voidedBefore)];

  expect(answers.map((a) => [a.status, a.body.code])).toEqual([
    [422, 'HOLD_NOT_RESERVED'],
    [422, 'HOLD_NOT_RESERVED'],
  ]);
  expect(await ledger.balance(from)).toEqual({ posted: 1000n, pending: 0n, available: 1000n });
  expect([...(await entriesOf(voidedAfter.holdId)), ...(await entriesOf(voidedBefore.holdId))]).toEqual([]);
});

it('when a captured hold is asked again with another entryId, then 409 hold-already-captured and no second entry', async () => {
  const { from, to } = await pair(1000n);
  const request = capturedRequest(from, to, '300');
  await ledger.post('/holds/captured', request);

  const other = await ledger.post('/holds/captured', { ...request, entryId: randomUUID() });

  expect(other.status).toBe(409);
  expect(other.body.type).toMatch(/hold-already-captured$/);
  expect(await entriesOf(request.holdId)).toEqual([request.entryId]);
  expect((await ledger.balance(to)).posted).toBe(300n);
});

it('when the entry id is taken already, then 409 entry-id-reused and the reserve is undone with it: no hold, nothing held', async () => {
  const { from, to } = await pair(1000n);
  const first = capturedRequest(from, to, '100');
  await ledger.post('/holds/captured', first);
  const second = capturedRequest(from, to, '300', { entryId: first.entryId });

  const answer = await ledger.post('/holds/captured', second);

  expect(answer.status).toBe(409);
  expect(answer.body.type).toMatch(/entry-id-reused$/);
  expect((await ledger.get(`/holds/${second.holdId}`)).status).toBe(404);
  expect(await ledger.balance(from)).toEqual({ posted: 900n, pending: 0n, available: 900n });
});

it('when the accounts are the same or a field is malformed, then 400 naming the field, and nothing is written', async () => {
  const { from, to } = await pair(1000n);
  const same = capturedRequest(from, from, '300');
  const noEntry = { ...capturedRequest(from, to, '300'), entryId: 'not-a-uuid' };

  const answers = [await ledger.post('/holds/captured', same), await ledger.post('/holds/captured', noEntry)];

  expect(answers.map((a) => [a.status, a.body.errors.map((e: { field: string }) => e.field)])).toEqual([
    [400, ['toAccountId']],
    [400, ['entryId']],
  ]);
  expect((await ledger.get(`/holds/${same.holdId}`)).status).toBe(404);
  expect(await ledger.balance(from)).toEqual({ posted: 1000n, pending: 0n, available: 1000n });
});
