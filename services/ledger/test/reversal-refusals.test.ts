/**
 * Proves that a reversal answered refused never posts later: the ledger
 * records the refusal under the reversal's id (its reversing entry id), so a
 * late attempt of that id (a retry whose first answer was lost, still in
 * flight on another copy of the ledger) gets the same refusal and posts
 * nothing, even once the destination holds the money again; a new id asks
 * again and posts. Also with attempts of one id racing the funding: they all
 * get one answer, and the ledger holds exactly what that answer says.
 */
import { randomUUID } from 'node:crypto';
import { startLedger, transferLines, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

/** An entry of 500 from a funded source to a destination (credit limit 0) that has since spent it. */
async function spentTransfer(): Promise<{ entryId: string; destination: string }> {
  const source = ledger.directory.add('USD', 'unlimited');
  const destination = ledger.directory.add('USD', '0');
  const elsewhere = ledger.directory.add('USD', '0');
  const entryId = randomUUID();
  expect((await ledger.post('/entries', { entryId, currency: 'USD', lines: transferLines(source, destination, 500n) })).status).toBe(201);
  expect((await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(destination, elsewhere, 500n) })).status).toBe(201);
  return { entryId, destination };
}

async function reversalsOf(entryId: string): Promise<number> {
  const { rows } = await ledger.pool.query('SELECT count(*)::int AS n FROM entries WHERE reverses_entry_id = $1', [entryId]);
  return rows[0].n;
}

it('when a refused reversal is attempted again with its id after the destination was funded, then it is refused the same and posts nothing; a new id posts', async () => {
  const { entryId, destination } = await spentTransfer();
  const reversalEntryId = randomUUID();

  const first = await ledger.post(`/entries/${entryId}/reverse`, { reversalEntryId });
  await ledger.fund(destination, 'USD', 500n);
  const late = await ledger.post(`/entries/${entryId}/reverse`, { reversalEntryId });

  expect([first.status, first.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
  expect([late.status, late.body.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
  expect(await reversalsOf(entryId)).toBe(0);
  expect((await ledger.balance(destination)).posted).toBe(500n);

  const again = await ledger.post(`/entries/${entryId}/reverse`, { reversalEntryId: randomUUID() });
  expect(again.status).toBe(201);
  expect(await reversalsOf(entryId)).toBe(1);
  expect((await ledger.balance(destination)).posted).toBe(0n);
  // The refused id stays refused, also now that the entry is reversed under another.
  expect((await ledger.post(`/entries/${entryId}/reverse`, { reversalEntryId })).body.code).toBe('INSUFFICIENT_FUNDS');
});

it('when attempts of one reversal id race the funding of its destination, then all get one answer and the ledger holds what it says', async () => {
  const { entryId, destination } = await spentTransfer();
  const body = { reversalEntryId: randomUUID() };
  const attempt = () => ledger.post(`/entries/${entryId}/reverse`, body);

  const answers = await Promise.all([
    ...Array.from({ length: 5 }, attempt),
    ledger.fund(destination, 'USD', 500n).then(() => null),
    ...Array.from({ length: 5 }, attempt),
  ]);
  const late = await attempt();

  const outcomes = [...answers.flatMap((a) => (a ? [a] : [])), late].map((a) => (a.status === 422 ? a.body.code : 'posted'));
  expect(new Set(outcomes).size).toBe(1);
  expect(await reversalsOf(entryId)).toBe(outcomes[0] === 'posted' ? 1 : 0);
});
