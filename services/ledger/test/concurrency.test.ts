/**
 * Proves the balance check is race-free: many concurrent holds and entries
 * against one account with a credit limit succeed exactly as many times as it
 * can afford and never take it below −creditLimit; opposite transfers between
 * one pair of accounts never deadlock (rows are locked in account-id order).
 */
import { randomUUID } from 'node:crypto';
import { startLedger, transferLines, type LedgerHarness } from './harness';

let ledger: LedgerHarness;

/**
 * Posts like a well-behaved client: a 503 (the pool was saturated for its
 * whole connection timeout on a loaded machine) is retried with the same ids,
 * so every answer ends as a success or a business refusal.
 */
async function postRetrying(path: string, body: unknown) {
  for (let attempt = 1; ; attempt++) {
    const answer = await ledger.post(path, body);
    if (answer.status !== 503 || attempt === 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

it('when 200 concurrent holds and entries drain one account, then exactly the affordable number succeed', async () => {
  // Funded 600 with a credit limit of 400: 1000 can leave, i.e. 100 movements of 10.
  const source = ledger.directory.add('USD', '400');
  const target = ledger.directory.add('USD', '0');
  await ledger.fund(source, 'USD', 600n);

  const answers = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      i % 2 === 0
        ? postRetrying('/holds', { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: source, toAccountId: target, amountMinor: '10', currency: 'USD' })
        : postRetrying('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(source, target, 10n) }),
    ),
  );

  const succeeded = answers.filter((r) => r.status === 201).length;
  const refused = answers.filter((r) => r.status === 422 && r.body.code === 'INSUFFICIENT_FUNDS').length;
  expect([succeeded, refused]).toEqual([100, 100]);
  expect((await ledger.balance(source)).available).toBe(-400n);
});

it('when transfers run both ways between one pair at once, then none deadlocks and the net is exact', async () => {
  const a = ledger.directory.add('USD', '100000');
  const b = ledger.directory.add('USD', '100000');

  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      postRetrying('/entries', {
        entryId: randomUUID(),
        currency: 'USD',
        lines: i % 2 === 0 ? transferLines(a, b, 7n) : transferLines(b, a, 5n),
      }),
    ),
  );

  expect(answers.map((r) => r.status)).toEqual(Array(100).fill(201));
  expect((await ledger.balance(a)).posted).toBe(50n * -7n + 50n * 5n);
  expect((await ledger.balance(b)).posted).toBe(50n * 7n - 50n * 5n);
});
