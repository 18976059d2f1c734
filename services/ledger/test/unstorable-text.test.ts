/**
 * Proves that text PostgreSQL cannot store (a NUL character, a lone UTF-16
 * surrogate) in any text field of any ledger request body is a 400 naming the
 * field, and that nothing is written: the rule is lib/validation.ts's, applied
 * by services/ledger/schemas.ts. How: each body endpoint (reserve, capture,
 * void, post an entry, reverse) gets the hostile text in each of its text
 * fields, against the real `ledger` database, with its rows counted before
 * and after; a surrogate pair (a character outside the BMP) is stored as sent.
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

const HOSTILE_TEXT: Array<[string, string]> = [
  ['a NUL character', 'rent\u0000'],
  ['a lone high surrogate', 'rent \ud83d'],
  ['a lone low surrogate', '\ude00 rent'],
  ['a reversed surrogate pair', '\ude00\ud83d'],
];

async function writtenRows(): Promise<string> {
  const { rows } = await ledger.pool.query(
    `SELECT (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM holds) AS holds,
            (SELECT count(*) FROM holds WHERE status <> 'reserved') AS settled, (SELECT count(*) FROM outbox) AS outbox`,
  );
  return JSON.stringify(rows[0]);
}

/** A reserved hold of 10 between two fresh accounts, and a posted entry between them. */
async function arrange() {
  const from = ledger.directory.add('USD', 'unlimited');
  const to = ledger.directory.add('USD', '0');
  const holdId = randomUUID();
  const reserved = await ledger.post('/holds', { holdId, transferId: randomUUID(), fromAccountId: from, toAccountId: to, amountMinor: '10', currency: 'USD' });
  expect(reserved.status).toBe(201);
  const entry = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', lines: transferLines(from, to, 10n) });
  expect(entry.status).toBe(201);
  return { from, to, holdId, entryId: entry.body.entryId as string };
}

type Arranged = Awaited<ReturnType<typeof arrange>>;

const REQUESTS: Array<[string, (a: Arranged, text: string) => [string, unknown], string]> = [
  ['capture description', (a, text) => [`/holds/${a.holdId}/capture`, { entryId: randomUUID(), description: text }], 'description'],
  ['void reason', (a, text) => [`/holds/${a.holdId}/void`, { reason: text }], 'reason'],
  ['entry description', (a, text) => ['/entries', { entryId: randomUUID(), currency: 'USD', description: text, lines: transferLines(a.from, a.to, 5n) }], 'description'],
  ['reversal description', (a, text) => [`/entries/${a.entryId}/reverse`, { reversalEntryId: randomUUID(), description: text }], 'description'],
  ['reserve currency', (a, text) => ['/holds', { holdId: randomUUID(), transferId: randomUUID(), fromAccountId: a.from, toAccountId: a.to, amountMinor: '1', currency: text }], 'currency'],
];

const CASES = REQUESTS.flatMap(([endpoint, build, field]) => HOSTILE_TEXT.map(([what, text]) => [`${endpoint} holds ${what}`, build, field, text] as const));

it.each(CASES)('when the %s, then 400 naming the field and nothing is written', async (_name, build, field, text) => {
  const arranged = await arrange();
  const before = await writtenRows();
  const [path, body] = build(arranged, text);

  const res = await ledger.post(path, body);

  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  expect(await writtenRows()).toBe(before);
});

it('when a description holds a character outside the BMP (a surrogate pair), then the entry is posted with it as sent', async () => {
  const { from, to } = await arrange();
  const description = 'rent \u{1F3E0}';

  const res = await ledger.post('/entries', { entryId: randomUUID(), currency: 'USD', description, lines: transferLines(from, to, 5n) });

  expect(res.status).toBe(201);
  const { rows } = await ledger.pool.query('SELECT description FROM entries WHERE entry_id = $1', [res.body.entryId]);
  expect(rows[0].description).toBe(description);
});
