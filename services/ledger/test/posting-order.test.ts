/**
 * Proves that an account's entries, ordered by their posting time, are the
 * order the ledger committed them: each line's running balance is the
 * previous line's plus its own amount, for every path that writes an entry
 * (post, capture, reserve-and-capture, reverse). Read from the ledger's own
 * tables, ordered as the statement orders them (posted_at, entry_id, line_no).
 * Deterministically: a test connection holds one account's balance row lock
 * while a reversal (or a post) of an entry on the busy account starts, and a
 * capture (or a post) that needs only the busy account goes through first;
 * the held entry must then be stamped after it. Under load: 150 concurrent
 * reversals, captures and posts on one account.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { required } from '../../../lib/assert';
import { startLedger, transferLines, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

/** Posts like a well-behaved client: a 503 (the pool saturated on a loaded machine) is retried with the same ids. */
async function postRetrying(path: string, body: unknown) {
  for (let attempt = 1; ; attempt++) {
    const answer = await ledger.post(path, body);
    if (answer.status !== 503 || attempt === 20) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

/**
 * The account's lines in statement order whose balanceAfter is not the
 * previous line's plus their own signed amount (the first line follows 0).
 */
async function brokenRunningBalances(accountId: string): Promise<string[]> {
  const { rows } = await ledger.pool.query(
    `SELECT l.entry_id, l.direction, l.amount_minor::text AS amount, l.balance_after_minor::text AS after
       FROM entry_lines l JOIN entries e USING (entry_id)
      WHERE l.account_id = $1
      ORDER BY e.posted_at, l.entry_id::text, l.line_no`,
    [accountId],
  );
  const broken: string[] = [];
  let previous = 0n;
  for (const row of rows) {
    const signed = row.direction === 'credit' ? BigInt(row.amount) : -BigInt(row.amount);
    if (BigInt(row.after) !== previous + signed) broken.push(`${row.entry_id}: ${previous} ${row.direction} ${row.amount} -> ${row.after}`);
    previous = BigInt(row.after);
  }
  return broken;
}

/** Two new unlimited accounts, the first with the lower id (balance rows are locked in id order). */
function orderedPair(): [string, string] {
  const ids = [ledger.directory.add('USD', 'unlimited'), ledger.directory.add('USD', 'unlimited')];
  return ids.sort() as [string, string];
}

/** Runs `work` while a test connection holds `accountId`'s balance row lock, as a writer of the ledger would. */
async function whileLocked<T>(accountId: string, work: () => Promise<T>): Promise<T> {
  const client: PoolClient = await ledger.pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query('SELECT 1 FROM ledger_accounts WHERE account_id = $1 FOR NO KEY UPDATE', [accountId]);
    if (rowCount !== 1) throw new Error(`account ${accountId} has no balance row to lock`);
    return await work();
  } finally {
    await client.query('COMMIT');
    client.release();
  }
}

/** Waits until another backend of this pool waits on a lock (the request under test reached the held row). */
async function untilSomeoneWaitsOnALock(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await ledger.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = 'ledger-test' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
    );
    if (rows[0].n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no request came to wait on the held balance row');
}

describe('an entry held up by one of its accounts, overtaken on the other', () => {
  it('when a reversal waits for a lock and a capture on its busy account commits first, then the reversal is stamped after the capture', async () => {
    const [quiet, busy] = orderedPair();
    const payer = ledger.directory.add('USD', 'unlimited');
    const { body: original } = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(quiet, busy, 300n) });
    const hold = { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: payer, toAccountId: busy, amountMinor: '100', currency: 'USD' };
    expect((await ledger.post('/holds', hold)).status).toBe(201);

    const { reversal, capture } = await whileLocked(quiet, async () => {
      const reversal = ledger.post(`/entries/${original.entryId}/reverse`, { reversalEntryId: randomUUID() });
      await untilSomeoneWaitsOnALock();
      return { reversal, capture: await ledger.post(`/holds/${hold.holdId}/capture`, { entryId: randomUUID(), description: 'overtakes' }) };
    });

    expect(capture.status).toBe(200);
    expect((await reversal).status).toBe(201);
    expect(await brokenRunningBalances(busy)).toEqual([]);
  });

  it('when a post waits for a lock and another post on its busy account commits first, then the first is stamped after it', async () => {
    const [quiet, busy] = orderedPair();
    const payer = ledger.directory.add('USD', 'unlimited');

    // Both balance rows exist before: a first movement inserts its row, which a second would wait for.
    await ledger.fund(quiet, 'USD', 1000n);
    await ledger.fund(busy, 'USD', 1000n);
    const { held, overtaking } = await whileLocked(quiet, async () => {
      const held = ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(quiet, busy, 300n) });
      await untilSomeoneWaitsOnALock();
      return { held, overtaking: await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(payer, busy, 100n) }) };
    });

    expect(overtaking.status).toBe(201);
    expect((await held).status).toBe(201);
    expect(await brokenRunningBalances(busy)).toEqual([]);
  });
});

it('when 150 reversals, reserve-and-captures and posts hit one account at once, then its running balances follow its posting order', async () => {
  const busy = ledger.directory.add('USD', 'unlimited');
  const payers = Array.from({ length: 5 }, () => ledger.directory.add('USD', 'unlimited'));
  const payerOf = (i: number) => required(payers[i % payers.length], `payer ${i % payers.length}`);
  const originals: string[] = [];
  for (let i = 0; i < 50; i++) {
    const { body } = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(payerOf(i), busy, BigInt(100 + i)) });
    originals.push(body.entryId);
  }

  const answers = await Promise.all(
    Array.from({ length: 150 }, (_, i) => {
      const payer = payerOf(i);
      if (i % 3 === 0) return postRetrying(`/entries/${originals[i / 3]}/reverse`, { reversalEntryId: randomUUID() });
      if (i % 3 === 1) {
        return postRetrying('/holds/captured', {
          holdId: randomUUID(), transferId: randomUUID(), entryId: randomUUID(), description: 'capture',
          fromAccountId: payer, toAccountId: busy, amountMinor: String(1 + i), currency: 'USD',
        });
      }
      return postRetrying('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(busy, payer, BigInt(1 + i)) });
    }),
  );

  expect(answers.map((a) => a.status)).toEqual(Array(150).fill(201));
  expect(await brokenRunningBalances(busy)).toEqual([]);
});
