/**
 * Hostile input against the real gateway: a table of well over 100 malformed
 * requests (bad JSON, wrong types, amounts with signs, decimals, exponents,
 * 20+ digits, leading zeros, whitespace, other scripts' digits, unknown
 * currencies, oversized bodies and metadata, abused headers, unknown routes
 * and methods, SQL and script injection in every field, text PostgreSQL
 * cannot store (NUL, lone surrogates) in every text field of every body and
 * at any depth of metadata, nesting 30,000 levels deep, `__proto__` keys).
 * Each must get the expected 4xx as application/problem+json, and nothing
 * may be written: the rows of accounts, transfers, entries and both outboxes
 * are counted before and after every request.
 */
import { loadConfig } from '../../lib/config';
import { createPool, type Pool } from '../../lib/pg';
import { firstOf, required } from '../../lib/assert';
import { createAccount, ensureSystem, eventually, GATEWAY_URL, newKey } from '../support/system';

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** A raw body string, or a value to serialize. */
  raw?: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  /** A field the problem's `errors` must name (for 400s with field errors). */
  field?: string;
}

let from: string;
let to: string;
type Database = 'accounts' | 'ledger' | 'transfers';
const pools: Partial<Record<Database, Pool>> = {};
const poolOf = (db: Database): Pool => required(pools[db], `the ${db} pool`);
/** The one row of a count(*) query. */
const countOf = async (pool: Pool, sql: string): Promise<number> => Number(firstOf((await pool.query<{ n: string | number }>(sql)).rows, sql).n);

beforeAll(async () => {
  ensureSystem();
  const config = loadConfig();
  for (const db of ['accounts', 'ledger', 'transfers'] as const) pools[db] = createPool(config, db, { applicationName: 'hostile-input-test', maxConnections: 1 });
  from = await createAccount('USD', '1000');
  to = await createAccount('USD');
  // Counting rows proves nothing while earlier tests' sagas still write: start from a quiet system.
  const quiet = await eventually(() => countOf(poolOf('transfers'), `SELECT count(*)::int AS n FROM transfers WHERE status = 'pending'`), (n) => n === 0, 60_000);
  if (quiet !== 0) throw new Error(`${quiet} transfers are still pending; the row counts would not be meaningful`);
}, 10 * 60_000);

afterAll(async () => {
  await Promise.all(Object.values(pools).map((pool) => pool.end()));
});

async function writtenRows(): Promise<string> {
  const count = (db: Database, table: string) => countOf(poolOf(db), `SELECT count(*) AS n FROM ${table}`);
  const [accounts, accountsOutbox, transfers, entries, ledgerOutbox] = await Promise.all([
    count('accounts', 'accounts'),
    count('accounts', 'outbox'),
    count('transfers', 'transfers'),
    count('ledger', 'entries'),
    count('ledger', 'outbox'),
  ]);
  return `accounts=${accounts} accounts.outbox=${accountsOutbox} transfers=${transfers} entries=${entries} ledger.outbox=${ledgerOutbox}`;
}

const valid = () => ({ fromAccountId: from, toAccountId: to, amount: '100', currency: 'USD' });
const transferWith = (name: string, patch: Record<string, unknown>, field: string): Case => ({
  name,
  body: { ...valid(), ...patch },
  status: 400,
  field,
});

const INJECTIONS = [
  "'; DROP TABLE transfers; --",
  "1' OR '1'='1",
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '\u0000null byte',
];

function cases(): Case[] {
  const list: Case[] = [];

  // Bad JSON.
  for (const raw of ['{', '[1,2', '{"amount": }', '{"amount": "1",}', "{'amount': '1'}", 'undefined', '{"a":1}{"b":2}', '\u0000']) {
    list.push({ name: `malformed JSON ${JSON.stringify(raw)}`, raw, status: 400 });
  }
  for (const raw of ['null', '"a string"', '123', 'true', '[]']) list.push({ name: `JSON that is not an object: ${raw}`, raw, status: 400 });

  // Wrong types, field by field.
  for (const value of [123, true, null, [], {}, '', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g']) {
    list.push(transferWith(`fromAccountId ${JSON.stringify(value)}`, { fromAccountId: value }, 'fromAccountId'));
    list.push(transferWith(`toAccountId ${JSON.stringify(value)}`, { toAccountId: value }, 'toAccountId'));
  }
  for (const value of [1250, 12.5, null, [], {}, true]) list.push(transferWith(`amount of type ${JSON.stringify(value)}`, { amount: value }, 'amount'));
  for (const value of [840, null, [], {}]) list.push(transferWith(`currency of type ${JSON.stringify(value)}`, { currency: value }, 'currency'));
  for (const value of [5, {}, [], true]) list.push(transferWith(`description of type ${JSON.stringify(value)}`, { description: value }, 'description'));
  for (const value of [[], 'x', 5, true]) list.push(transferWith(`metadata of type ${JSON.stringify(value)}`, { metadata: value }, 'metadata'));

  // Amount strings.
  const amounts = ['+1', '-1', '1.0', '10.50', '.5', '1e3', '1E3', '0x10', ' 1', '1 ', '\t1', '1\n', '01', '00', '0', '', '١٢٣', '１２３', '١', '½',
    '12345678901234567890', '9223372036854775808', '99999999999999999999999', '1_000', '1,000', 'NaN', 'Infinity', '-0'];
  for (const amount of amounts) list.push(transferWith(`amount ${JSON.stringify(amount)}`, { amount }, 'amount'));

  // Currencies.
  for (const currency of ['usd', 'US', 'USDD', 'XXX', 'XYZ', '', 'U$D', ' USD', 'USD ', 'ÜSD']) {
    list.push(transferWith(`currency ${JSON.stringify(currency)}`, { currency }, 'currency'));
  }

  // Sizes.
  list.push(transferWith('metadata of 51 keys', { metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 1])) }, 'metadata'));
  list.push(transferWith('metadata over 4 KiB', { metadata: { blob: 'x'.repeat(4097) } }, 'metadata'));
  // Depth: 30,000 levels fit in 60 KB, under the body limit; anything that recursed over them threw (a 500).
  const deep = '['.repeat(30_000) + ']'.repeat(30_000);
  const transferRaw = (extra: string) => `${JSON.stringify(valid()).slice(0, -1)},${extra}}`;
  list.push({ name: 'metadata 30,000 levels deep', raw: transferRaw(`"metadata":{"a":${deep}}`), status: 400, field: 'metadata' });
  list.push({ name: 'metadata 33 levels deep', raw: transferRaw(`"metadata":{"a":${'['.repeat(32)}${']'.repeat(32)}}`), status: 400, field: 'metadata' });
  list.push({ name: 'description 30,000 levels deep', raw: transferRaw(`"description":${deep}`), status: 400, field: 'description' });
  list.push({ name: 'account name 30,000 levels deep', path: '/v1/accounts', raw: `{"code":"deep","currency":"USD","name":${deep}}`, status: 400, field: 'name' });
  // Keys an object cannot keep as sent: refused at any depth, never silently dropped.
  list.push({ name: 'metadata key __proto__', raw: transferRaw('"metadata":{"__proto__":{"isAdmin":true}}'), status: 400, field: 'metadata.__proto__' });
  list.push({ name: 'nested metadata key __proto__', raw: transferRaw('"metadata":{"a":{"b":[{"__proto__":1}]}}'), status: 400, field: 'metadata.a.b[0].__proto__' });
  list.push(transferWith('description over 500 characters', { description: 'd'.repeat(501) }, 'description'));
  list.push({ name: 'body over 64 KiB', body: { ...valid(), description: 'x'.repeat(66_000) }, status: 413 });
  list.push({ name: 'form-encoded body', raw: 'amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 });
  list.push({ name: 'text body', raw: 'hello', headers: { 'content-type': 'text/plain' }, status: 415 });

  // Header abuse.
  list.push({ name: 'Idempotency-Key of 256 characters', body: valid(), headers: { 'Idempotency-Key': 'k'.repeat(256) }, status: 400, field: 'Idempotency-Key' });
  list.push({ name: 'Idempotency-Key of 8 KiB', body: valid(), headers: { 'Idempotency-Key': 'k'.repeat(8192) }, status: 400, field: 'Idempotency-Key' });
  list.push({ name: 'empty Idempotency-Key', body: valid(), headers: { 'Idempotency-Key': '' }, status: 400, field: 'Idempotency-Key' });
  list.push({ name: 'Idempotency-Key with a tab', body: valid(), headers: { 'Idempotency-Key': 'a\tb' }, status: 400, field: 'Idempotency-Key' });
  list.push({ name: 'no Idempotency-Key', body: valid(), headers: { 'Idempotency-Key': '__omit__' }, status: 400, field: 'Idempotency-Key' });

  // Injection strings in every field: in ids they are 400s; in text fields they are
  // carried by a request that is invalid elsewhere (currency), so only that field is named.
  for (const attack of INJECTIONS) {
    list.push(transferWith(`injection in fromAccountId: ${attack}`, { fromAccountId: attack }, 'fromAccountId'));
    list.push(transferWith(`injection in amount: ${attack}`, { amount: attack }, 'amount'));
    list.push(transferWith(`injection in currency: ${attack}`, { currency: attack }, 'currency'));
    list.push(transferWith(`injection in description with a bad currency: ${attack}`, { description: attack, currency: 'XYZ', metadata: { [attack]: attack } }, 'currency'));
    list.push({ name: `injection in an account's code and name with a bad currency: ${attack}`, path: '/v1/accounts', body: { code: attack, name: attack, currency: 'XYZ' }, status: 400, field: 'currency' });
    list.push({ name: `injection in a path id: ${attack}`, method: 'GET', path: `/v1/transfers/${encodeURIComponent(attack)}`, status: 404 });
    list.push({ name: `injection in a query: ${attack}`, method: 'GET', path: `/v1/transfers?accountId=${encodeURIComponent(attack)}`, status: 400, field: 'accountId' });
  }

  // Text PostgreSQL cannot store (a NUL, a lone UTF-16 surrogate), in every text field of every body and at
  // any depth of metadata, keys included: a 400 naming the field (it was a 500 from jsonb, or U+FFFD in a text column).
  const UNSTORABLE: Array<[string, string]> = [['a NUL', 'a\u0000b'], ['a lone high surrogate', 'a\ud800'], ['a lone low surrogate', '\udc00b'], ['a reversed pair', '\udc00\ud800']];
  const someId = '00000000-0000-4000-8000-000000000000';
  for (const [what, text] of UNSTORABLE) {
    list.push(transferWith(`${what} in description`, { description: text }, 'description'));
    list.push(transferWith(`${what} in a metadata value`, { metadata: { invoice: text } }, 'metadata.invoice'));
    list.push(transferWith(`${what} in a metadata key`, { metadata: { [text]: 'x' } }, `metadata.${text}`));
    list.push(transferWith(`${what} deep in metadata`, { metadata: { a: { b: [1, { c: text }] } } }, 'metadata.a.b[1].c'));
    list.push(transferWith(`${what} in a nested metadata key`, { metadata: { a: [{ [text]: 1 }] } }, `metadata.a[0].${text}`));
    list.push({ name: `${what} in an account's code`, path: '/v1/accounts', body: { code: text, name: 'x', currency: 'USD' }, status: 400, field: 'code' });
    list.push({ name: `${what} in an account's name`, path: '/v1/accounts', body: { code: `hostile-${newKey()}`, name: text, currency: 'USD' }, status: 400, field: 'name' });
    // Actions take no fields at all, so any field is refused, whatever its text.
    for (const action of ['approve', 'reject', 'cancel', 'reverse']) {
      list.push({ name: `${what} in the body of ${action}`, path: `/v1/transfers/${someId}/${action}`, body: { [text]: text }, status: 400, field: '(body)' });
    }
    for (const action of ['freeze', 'unfreeze']) {
      list.push({ name: `${what} in the body of ${action}`, path: `/v1/accounts/${someId}/${action}`, body: { note: text }, status: 400, field: '(body)' });
    }
    list.push({ name: `${what} in the body of a reconciliation`, path: '/v1/reconciliations', body: { note: text }, status: 400, field: '(body)' });
  }
  list.push({ name: 'a NUL in the account code lookup', method: 'GET', path: '/v1/accounts?code=a%00b', status: 400, field: 'code' });

  // Accounts.
  for (const creditLimit of ['-5', '1.5', '007', ' 5', '1e3', 'UNLIMITED', 'infinite', '9223372036854775808']) {
    list.push({ name: `creditLimit ${JSON.stringify(creditLimit)}`, path: '/v1/accounts', body: { code: 'x', name: 'x', currency: 'USD', creditLimit }, status: 400, field: 'creditLimit' });
  }
  list.push({ name: 'account without code', path: '/v1/accounts', body: { name: 'x', currency: 'USD' }, status: 400, field: 'code' });
  list.push({ name: 'account with an empty name', path: '/v1/accounts', body: { code: 'x', name: '', currency: 'USD' }, status: 400, field: 'name' });

  // Unknown routes: 404; a method a known route does not take: 405 (api/method-not-allowed.ts).
  for (const [method, path] of [['GET', '/v1/nope'], ['GET', '/v2/transfers'], ['POST', '/v1/transfers/00000000-0000-4000-8000-000000000000/explode']]) {
    list.push({ name: `${method} ${path}`, method, path, body: method === 'GET' ? undefined : {}, status: 404 });
  }
  for (const [method, path] of [['DELETE', '/v1/transfers'], ['PUT', '/v1/accounts'], ['PATCH', '/v1/transfers/00000000-0000-4000-8000-000000000000']]) {
    list.push({ name: `${method} ${path}`, method, path, body: {}, status: 405 });
  }
  // Query abuse.
  for (const query of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'limit=-1', 'status=done', 'cursor=%00', 'limit=1&limit=2']) {
    list.push({ name: `list with ${query}`, method: 'GET', path: `/v1/transfers?${query}`, status: 400 });
  }
  return list;
}

const TABLE = cases();

it('the table holds at least 100 hostile requests', () => {
  expect(TABLE.length).toBeGreaterThanOrEqual(100);
});

it.each(TABLE.map((c) => [c.name, c] as const))('when %s, then the right 4xx problem and nothing written', async (_name, c) => {
  const before = await writtenRows();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'Idempotency-Key': newKey(), ...c.headers };
  if (headers['Idempotency-Key'] === '__omit__') delete headers['Idempotency-Key'];
  const body = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
  const response = await fetch(GATEWAY_URL + (c.path ?? '/v1/transfers'), { method: c.method ?? 'POST', headers, body });
  const text = await response.text();

  expect(response.status).toBe(c.status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = JSON.parse(text);
  expect(problem.status).toBe(c.status);
  if (c.field) expect(problem.errors.map((e: { field: string }) => e.field)).toContain(c.field);
  expect(await writtenRows()).toBe(before);
});
