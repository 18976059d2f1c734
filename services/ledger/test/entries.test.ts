/**
 * Proves the double-entry rules of the ledger service over its HTTP API,
 * against the real `ledger` database: every malformed entry is refused with
 * the rule it broke and writes nothing; a valid one moves both balances and
 * reports each line's running balance; replays are idempotent; entries are
 * immutable even to SQL; a reversal mirrors its entry once.
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

async function countEntries(): Promise<number> {
  const { rows } = await ledger.pool.query('SELECT count(*)::int AS n FROM entries');
  return rows[0].n;
}

describe('double-entry rules', () => {
  const cases: Array<[string, (a: string, b: string) => unknown[], number, string]> = [
    ['unbalanced', (a, b) => [{ accountId: a, direction: 'debit', amountMinor: '100' }, { accountId: b, direction: 'credit', amountMinor: '99' }], 422, 'UNBALANCED_ENTRY'],
    ['single-line', (a) => [{ accountId: a, direction: 'debit', amountMinor: '100' }], 422, 'TOO_FEW_LINES'],
    ['mixed currency', (a, b) => [{ accountId: a, direction: 'debit', amountMinor: '100', currency: 'USD' }, { accountId: b, direction: 'credit', amountMinor: '100', currency: 'EUR' }], 422, 'MIXED_CURRENCY'],
    ['zero amount', (a, b) => transferLines(a, b, '0'), 400, 'lines[0].amountMinor'],
    ['negative amount', (a, b) => transferLines(a, b, '-5'), 400, 'lines[0].amountMinor'],
    ['decimal amount', (a, b) => transferLines(a, b, '1.5'), 400, 'lines[0].amountMinor'],
  ];

  it.each(cases)('when an entry is %s, then it is refused naming the rule and nothing is written', async (_name, lines, status, rule) => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const before = await countEntries();

    const res = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: lines(a, b) });

    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    if (status === 422) expect(res.body.code).toBe(rule);
    else expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(rule);
    expect(await countEntries()).toBe(before);
  });

  it('when an account of the entry is in another currency, then CURRENCY_MISMATCH', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('EUR', '0');
    const res = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 100n) });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CURRENCY_MISMATCH');
  });

  it('when an account does not exist or is frozen, then ACCOUNT_NOT_FOUND / ACCOUNT_FROZEN', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const frozen = ledger.directory.add('USD', '0');
    ledger.directory.setStatus(frozen, 'frozen');
    const missing = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, randomUUID(), 1n) });
    const toFrozen = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, frozen, 1n) });
    expect([missing.body.code, toFrozen.body.code]).toEqual(['ACCOUNT_NOT_FOUND', 'ACCOUNT_FROZEN']);
  });
});

describe('posting', () => {
  it('when a balanced entry is posted, then debits lower and credits raise balances, with running balances per line', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');

    const res = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', description: 'rent', lines: transferLines(a, b, 1250n) });

    expect(res.status).toBe(201);
    expect(res.body.lines.map((l: { balanceAfterMinor: string }) => l.balanceAfterMinor)).toEqual(['-1250', '1250']);
    expect(await ledger.balance(a)).toEqual({ posted: -1250n, pending: 0n, available: -1250n });
    expect(await ledger.balance(b)).toEqual({ posted: 1250n, pending: 0n, available: 1250n });
  });

  it('when the debit lands exactly on −creditLimit, then it posts; one minor unit more is refused', async () => {
    const a = ledger.directory.add('USD', '500');
    const b = ledger.directory.add('USD', '0');

    const exact = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 500n) });
    const oneMore = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 1n) });

    expect(exact.status).toBe(201);
    expect(oneMore.status).toBe(422);
    expect(oneMore.body.code).toBe('INSUFFICIENT_FUNDS');
    expect((await ledger.balance(a)).available).toBe(-500n);
  });

  it('when the largest amount is posted, then balances hold it exactly (no float, no overflow)', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const max = 9223372036854775807n;
    for (let i = 0; i < 2; i++) {
      const res = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, max) });
      expect(res.status).toBe(201);
    }
    expect((await ledger.balance(b)).posted).toBe(2n * max);
  });
});

describe('idempotency', () => {
  it('when 50 concurrent requests carry one entry id, then exactly one entry is created and all get it', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const body = { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 10n) };

    const answers = await Promise.all(Array.from({ length: 50 }, () => ledger.post('/entries', body)));

    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(49);
    expect(new Set(answers.map((r) => r.body.entryId))).toEqual(new Set([body.entryId]));
    expect((await ledger.balance(b)).posted).toBe(10n);
  });

  it('when an entry id is reused with other content, then 409 and the first entry stands', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const entryId = randomUUID();
    await ledger.post('/entries', { entryId, currency: 'USD', lines: transferLines(a, b, 10n) });
    const reused = await ledger.post('/entries', { entryId, currency: 'USD', lines: transferLines(a, b, 11n) });
    expect(reused.status).toBe(409);
    expect((await ledger.balance(b)).posted).toBe(10n);
  });
});

describe('immutability and reversal', () => {
  it('when SQL tries to change or delete an entry, then the database refuses', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const { body } = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 10n) });
    await expect(ledger.pool.query('UPDATE entry_lines SET amount_minor = 1 WHERE entry_id = $1', [body.entryId])).rejects.toThrow(/immutable/);
    await expect(ledger.pool.query('DELETE FROM entries WHERE entry_id = $1', [body.entryId])).rejects.toThrow(/immutable/);
  });

  it('when an entry is reversed, then balances return and a second reversal is refused', async () => {
    const a = ledger.directory.add('USD', 'unlimited');
    const b = ledger.directory.add('USD', '0');
    const { body: entry } = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(a, b, 700n) });
    const reversalEntryId = randomUUID();

    const reversal = await ledger.post(`/entries/${entry.entryId}/reverse`, { reversalEntryId });
    const replay = await ledger.post(`/entries/${entry.entryId}/reverse`, { reversalEntryId });
    const second = await ledger.post(`/entries/${entry.entryId}/reverse`, { reversalEntryId: randomUUID() });

    expect(reversal.status).toBe(201);
    expect(reversal.body.reversesEntryId).toBe(entry.entryId);
    expect(replay.status).toBe(200);
    expect(second.status).toBe(422);
    expect(second.body.code).toBe('ENTRY_ALREADY_REVERSED');
    expect(await ledger.balance(b)).toEqual({ posted: 0n, pending: 0n, available: 0n });
  });
});
