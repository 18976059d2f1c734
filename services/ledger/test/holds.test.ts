/**
 * Proves two-phase movements against the real `ledger` database: a hold
 * lowers `available` at once and `posted` only on capture; voiding releases
 * it; the reserve looks the accounts up once and the capture of that
 * authorized hold never again (a freeze since does not undo it); a void
 * that overtakes its reserve leaves a tombstone that refuses the late
 * reserve; an expired hold is released by the expiry pass; a retried
 * reserve whose expiry differs (each attempt reads its own clock) replays the
 * first hold, expiry included.
 */
import { randomUUID } from 'node:crypto';
import { expireDueHolds } from '../holds';
import { expiredHoldIds } from '../repository';
import { startLedger, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

function holdRequest(fromAccountId: string, toAccountId: string, amountMinor: string, extra: Record<string, unknown> = {}) {
  return { holdId: randomUUID(), transferId: randomUUID(), fromAccountId, toAccountId, amountMinor, currency: 'USD', ...extra };
}

async function pair(fundedMinor: bigint, creditLimit = '0') {
  const from = ledger.directory.add('USD', creditLimit);
  const to = ledger.directory.add('USD', '0');
  if (fundedMinor > 0n) await ledger.fund(from, 'USD', fundedMinor);
  return { from, to };
}

it('when a hold is reserved, then available drops and posted does not; capture then posts it', async () => {
  const { from, to } = await pair(1000n);
  const request = holdRequest(from, to, '300');

  const reserved = await ledger.post('/holds', request);
  expect(reserved.status).toBe(201);
  expect(await ledger.balance(from)).toEqual({ posted: 1000n, pending: 300n, available: 700n });

  const entryId = randomUUID();
  const captured = await ledger.post(`/holds/${request.holdId}/capture`, { entryId });
  expect(captured.status).toBe(200);
  expect(captured.body.hold.status).toBe('captured');
  expect(captured.body.entry.holdId).toBe(request.holdId);
  expect(await ledger.balance(from)).toEqual({ posted: 700n, pending: 0n, available: 700n });
  expect((await ledger.balance(to)).posted).toBe(300n);

  const replay = await ledger.post(`/holds/${request.holdId}/capture`, { entryId });
  expect(replay.status).toBe(200);
  expect(replay.body.entry.entryId).toBe(entryId);
  expect((await ledger.balance(to)).posted).toBe(300n);
});

it('when a hold would take available below −creditLimit, then INSUFFICIENT_FUNDS; exactly at the limit it is reserved', async () => {
  const { from, to } = await pair(100n, '50');
  const atLimit = await ledger.post('/holds', holdRequest(from, to, '150'));
  const beyond = await ledger.post('/holds', holdRequest(from, to, '1'));
  expect(atLimit.status).toBe(201);
  expect(beyond.status).toBe(422);
  expect(beyond.body.code).toBe('INSUFFICIENT_FUNDS');
  expect((await ledger.balance(from)).available).toBe(-50n);
});

it('when a hold is voided, then its funds are released; voiding again is harmless; capturing it is refused', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '200');
  await ledger.post('/holds', request);

  const voided = await ledger.post(`/holds/${request.holdId}/void`, {});
  const again = await ledger.post(`/holds/${request.holdId}/void`);
  const capture = await ledger.post(`/holds/${request.holdId}/capture`, { entryId: randomUUID() });

  expect([voided.status, voided.body.status, again.status, again.body.status]).toEqual([200, 'voided', 200, 'voided']);
  expect(capture.status).toBe(422);
  expect(capture.body.code).toBe('HOLD_NOT_RESERVED');
  expect(await ledger.balance(from)).toEqual({ posted: 500n, pending: 0n, available: 500n });
});

it('when a hold is reserved and captured, then the accounts are looked up once, in one request, at the reserve', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '200');
  const lookupsBefore = ledger.directory.lookups.length;

  await ledger.post('/holds', request);
  const capture = await ledger.post(`/holds/${request.holdId}/capture`, { entryId: randomUUID() });

  expect(capture.status).toBe(200);
  expect(ledger.directory.lookups.slice(lookupsBefore)).toEqual([[from, to]]);
});

it('when the destination is frozen after the reserve, then the authorized hold is still captured (a freeze stops new transfers only)', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '200');
  await ledger.post('/holds', request);
  ledger.directory.setStatus(to, 'frozen');

  const capture = await ledger.post(`/holds/${request.holdId}/capture`, { entryId: randomUUID() });

  expect(capture.status).toBe(200);
  expect(await ledger.balance(from)).toEqual({ posted: 300n, pending: 0n, available: 300n });
  expect((await ledger.get(`/holds/${request.holdId}`)).body.status).toBe('captured');
});

it('when an account is frozen before the reserve, then the reserve is refused with ACCOUNT_FROZEN and nothing is held', async () => {
  const { from, to } = await pair(500n);
  ledger.directory.setStatus(to, 'frozen');

  const reserve = await ledger.post('/holds', holdRequest(from, to, '200'));

  expect(reserve.status).toBe(422);
  expect(reserve.body.code).toBe('ACCOUNT_FROZEN');
  expect(await ledger.balance(from)).toEqual({ posted: 500n, pending: 0n, available: 500n });
});

it.each([
  ['INSUFFICIENT_FUNDS', () => undefined],
  ['ACCOUNT_FROZEN', (to: string) => ledger.directory.setStatus(to, 'frozen')],
])('when a refused reserve (%s) is voided by the saga and then repeated (a retried workflow task), then the repeat gets the same refusal', async (code, arrange) => {
  const { from, to } = await pair(100n);
  arrange(to);
  const request = holdRequest(from, to, '500');

  const first = await ledger.post('/holds', request);
  const voided = await ledger.post(`/holds/${request.holdId}/void`, {});
  const repeat = await ledger.post('/holds', request);

  expect([first.status, first.body.code]).toEqual([422, code]);
  expect(voided.status).toBe(200);
  expect([repeat.status, repeat.body.code, repeat.body.detail]).toEqual([422, code, first.body.detail]);
  expect(await ledger.balance(from)).toEqual({ posted: 100n, pending: 0n, available: 100n });
});

it('when a void arrives before its reserve, then the late reserve is refused and reserves nothing', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '200');

  const voided = await ledger.post(`/holds/${request.holdId}/void`, {});
  const late = await ledger.post('/holds', request);

  expect(voided.body).toEqual({ holdId: request.holdId, status: 'voided', tombstone: true });
  expect(late.status).toBe(422);
  expect(late.body.code).toBe('HOLD_NOT_RESERVED');
  expect((await ledger.balance(from)).pending).toBe(0n);
});

it('when a hold id is replayed with the same body, then 200 and one reservation; with another body, 409', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '100');
  const first = await ledger.post('/holds', request);
  const replay = await ledger.post('/holds', request);
  const other = await ledger.post('/holds', { ...request, amountMinor: '101' });
  expect([first.status, replay.status, other.status]).toEqual([201, 200, 409]);
  expect((await ledger.balance(from)).pending).toBe(100n);
});

it('when a reserve is repeated with another expiry, then it replays the first hold and its expiry, reserving nothing again', async () => {
  const { from, to } = await pair(500n);
  const firstExpiry = new Date(Date.now() + 3_600_000).toISOString();
  const first = holdRequest(from, to, '100', { expiresAt: firstExpiry });
  const retry = { ...first, expiresAt: new Date(Date.now() + 3_601_000).toISOString() };

  const reserved = await ledger.post('/holds', first);
  const replayed = await ledger.post('/holds', retry);

  expect([reserved.status, replayed.status]).toEqual([201, 200]);
  expect(Date.parse(replayed.body.expiresAt)).toBe(Date.parse(firstExpiry));
  expect((await ledger.balance(from)).pending).toBe(100n);
});

it('when a reserved hold passes its expiry, then the expiry pass releases it and capture is refused', async () => {
  const { from, to } = await pair(500n);
  const request = holdRequest(from, to, '100', { expiresAt: new Date(Date.now() + 300).toISOString() });
  await ledger.post('/holds', request);
  await new Promise((resolve) => setTimeout(resolve, 400));

  const due = await expiredHoldIds(ledger.pool, 10_000);
  expect(due).toContain(request.holdId);
  await expireDueHolds(ledger.deps, [request.holdId]);

  expect((await ledger.get(`/holds/${request.holdId}`)).body.status).toBe('expired');
  expect((await ledger.balance(from)).pending).toBe(0n);
  const capture = await ledger.post(`/holds/${request.holdId}/capture`, { entryId: randomUUID() });
  expect(capture.body.code).toBe('HOLD_NOT_RESERVED');
});
