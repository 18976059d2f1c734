/**
 * Proves the ledger client's reserveAndCaptureHold against the real route
 * (not a scripted server), so client and service agree on the answers: 201
 * and 200 are the captured hold and its entry, a refusal is a
 * LedgerRefusalError carrying its code, a 409 is a ConflictError.
 */
import { randomUUID } from 'node:crypto';
import { ConflictError, LedgerClient, LedgerRefusalError } from '../../../lib/clients';
import { startLedger, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
let client: LedgerClient;
beforeAll(async () => {
  ledger = await startLedger();
  client = new LedgerClient({ baseUrl: ledger.app.baseUrl, token: ledger.token });
});
afterAll(async () => {
  client?.close();
  await ledger?.close();
});

async function request(amountMinor: string) {
  const from = ledger.directory.add('USD', '0');
  const to = ledger.directory.add('USD', '0');
  await ledger.fund(from, 'USD', 1000n);
  return { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: from, toAccountId: to, amountMinor, currency: 'USD', entryId: randomUUID(), description: 'rent' };
}

it('when the ledger does it or replays it, then the client resolves the captured hold and its entry, the same both times', async () => {
  const body = await request('300');

  const done = await client.reserveAndCaptureHold(body);
  const replayed = await client.reserveAndCaptureHold(body);

  expect(done.hold).toMatchObject({ holdId: body.holdId, status: 'captured', entryId: body.entryId });
  expect(done.entry).toMatchObject({ entryId: body.entryId, holdId: body.holdId, description: 'rent' });
  expect(replayed).toEqual(done);
  expect((await ledger.balance(body.toAccountId)).posted).toBe(300n);
});

it('when the ledger refuses, then LedgerRefusalError carries the code and the detail', async () => {
  const body = await request('1001');

  const error = await client.reserveAndCaptureHold(body).catch((e: unknown) => e);

  expect(error).toBeInstanceOf(LedgerRefusalError);
  expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', message: `account ${body.fromAccountId} would have -1 available, below its credit limit` });
});

it('when the hold id is reused with other content or the captured hold with another entry, then ConflictError', async () => {
  const body = await request('300');
  await client.reserveAndCaptureHold(body);

  await expect(client.reserveAndCaptureHold({ ...body, amountMinor: '301' })).rejects.toBeInstanceOf(ConflictError);
  await expect(client.reserveAndCaptureHold({ ...body, entryId: randomUUID() })).rejects.toBeInstanceOf(ConflictError);
  expect((await ledger.balance(body.toAccountId)).posted).toBe(300n);
});
