/**
 * Proves the accounts service's HTTP API (lib/contracts/accounts.ts) against
 * the real PostgreSQL accounts database: the app is booted on port 0 over a
 * schema of this file's own, and every assertion on what was written reads
 * the tables themselves.
 * - create / get / list (keyset pages, newest first) / freeze / unfreeze, each
 *   change with exactly one outbox event in its transaction, none for a no-op;
 * - every invalid field is a 400 naming it, with the exact boundaries of the
 *   credit limit and of storable text (a NUL or a lone surrogate refused, a
 *   surrogate pair kept), and no 4xx writes anything (row counts before and after);
 * - a duplicate code is a 409; Idempotency-Key replays (200 + header), refuses
 *   reuse with another body (422), and 20 concurrent identical requests create
 *   one account.
 */
import { randomUUID } from 'node:crypto';
import type { AccountDto } from '../../../lib/contracts/accounts';
import { firstOf } from '../../../lib/assert';
import { request, startAccountsService, type TestAccountsService } from './support';

let service: TestAccountsService;

beforeAll(async () => {
  service = await startAccountsService();
});

afterAll(async () => {
  await service?.stop();
});

const post = (path: string, body?: unknown, headers?: Record<string, string>) =>
  request(service.baseUrl, 'POST', path, { body, headers });
const get = (path: string) => request(service.baseUrl, 'GET', path);

const newAccount = (overrides: Record<string, unknown> = {}) => ({
  code: `cust-${randomUUID()}`,
  name: 'Alice Example',
  currency: 'USD',
  ...overrides,
});

async function createAccount(overrides: Record<string, unknown> = {}): Promise<AccountDto> {
  const response = await post('/accounts', newAccount(overrides));
  expect(response.status).toBe(201);
  return response.body as AccountDto;
}

async function rowCounts() {
  const { rows } = await service.db.pool.query<{ accounts: number; outbox: number; keys: number }>(
    `SELECT (SELECT count(*)::int FROM accounts) AS accounts,
            (SELECT count(*)::int FROM outbox) AS outbox,
            (SELECT count(*)::int FROM account_idempotency_keys) AS keys`,
  );
  return firstOf(rows, 'the row counts');
}

async function eventsOf(accountId: string) {
  const { rows } = await service.db.pool.query<{ event_type: string; topic: string; envelope: Record<string, unknown> }>(
    'SELECT event_type, topic, envelope FROM outbox WHERE message_key = $1 ORDER BY id',
    [accountId],
  );
  return rows;
}

const fieldsOf = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);
const PROBLEMS = 'https://credit-ledger.example/problems/';
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('POST /accounts', () => {
  it('when a valid account is posted, then it is created active, with one account.created event carrying it', async () => {
    // Arrange
    const body = newAccount({ creditLimit: '50000', nickname: 'ignored: unknown fields are dropped' });

    // Act
    const response = await post('/accounts', body);

    // Assert
    expect(response.status).toBe(201);
    const account = response.body as AccountDto;
    expect(account).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: body.code,
      name: 'Alice Example',
      currency: 'USD',
      creditLimit: '50000',
      status: 'active',
      createdBy: null,
      createdAt: expect.stringMatching(ISO_MILLIS),
    });
    expect(response.headers.get('location')).toBe(`/accounts/${account.id}`);
    const events = await eventsOf(account.id);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({ event_type: 'account.created', topic: 'accounts.account.v1' });
    expect(event?.envelope).toEqual({
      eventId: expect.any(String),
      type: 'account.created',
      occurredAt: expect.stringMatching(ISO_MILLIS),
      aggregateId: account.id,
      payload: account,
    });
  });

  it('when creditLimit is absent, then it defaults to "0"', async () => {
    const account = await createAccount();
    expect(account.creditLimit).toBe('0');
  });

  it.each([
    ['unlimited', 'unlimited'],
    ['zero', '0'],
    ['the signed 64-bit maximum', '9223372036854775807'],
  ])('when creditLimit is %s, then it is accepted and returned as sent', async (_case, creditLimit) => {
    const account = await createAccount({ creditLimit });
    expect(account.creditLimit).toBe(creditLimit);
    expect((await get(`/accounts/${account.id}`)).body.creditLimit).toBe(creditLimit);
  });

  it('when the name holds a character outside the BMP (a surrogate pair), then it is accepted and stored as sent', async () => {
    const account = await createAccount({ name: 'Alice \u{1F600}' });
    expect(account.name).toBe('Alice \u{1F600}');
  });

  it('when the name is exactly 200 characters, then it is accepted', async () => {
    const account = await createAccount({ name: 'n'.repeat(200) });
    expect(account.name).toHaveLength(200);
  });

  it.each([
    ['code is missing', { code: undefined }, 'code'],
    ['code is empty', { code: '' }, 'code'],
    ['code is not a string', { code: 42 }, 'code'],
    ['name is missing', { name: undefined }, 'name'],
    ['name is empty', { name: '' }, 'name'],
    ['name is 201 characters', { name: 'n'.repeat(201) }, 'name'],
    ['currency is missing', { currency: undefined }, 'currency'],
    ['currency is unknown', { currency: 'XXX' }, 'currency'],
    ['currency is lower case', { currency: 'usd' }, 'currency'],
    ['creditLimit is negative', { creditLimit: '-5' }, 'creditLimit'],
    ['creditLimit has a decimal point', { creditLimit: '1.5' }, 'creditLimit'],
    ['creditLimit has leading zeros', { creditLimit: '007' }, 'creditLimit'],
    ['creditLimit has a leading space', { creditLimit: ' 5' }, 'creditLimit'],
    ['creditLimit has 20 digits', { creditLimit: '12345678901234567890' }, 'creditLimit'],
    ['creditLimit is one past the signed 64-bit maximum', { creditLimit: '9223372036854775808' }, 'creditLimit'],
    ['creditLimit is a JSON number', { creditLimit: 5 }, 'creditLimit'],
    ['creditLimit is null', { creditLimit: null }, 'creditLimit'],
    ['creditLimit is "Unlimited"', { creditLimit: 'Unlimited' }, 'creditLimit'],
    // Text PostgreSQL cannot store: a NUL would fail the insert (500), a lone surrogate would be stored as U+FFFD.
    ['code holds a NUL character', { code: 'cust\u0000-1' }, 'code'],
    ['code holds a lone high surrogate', { code: 'cust-\ud800' }, 'code'],
    ['name holds a NUL character', { name: '\u0000' }, 'name'],
    ['name holds a lone low surrogate', { name: 'Al\udc00ice' }, 'name'],
  ])('when %s, then 400 naming that field and nothing is written', async (_case, overrides, field) => {
    // Arrange
    const before = await rowCounts();

    // Act
    const response = await post('/accounts', newAccount(overrides));

    // Assert
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: PROBLEMS + 'validation-error', status: 400 });
    expect(fieldsOf(response.body)).toEqual([field]);
    expect(await rowCounts()).toEqual(before);
  });

  it('when several fields and the Idempotency-Key are invalid, then one 400 lists every one of them', async () => {
    const before = await rowCounts();

    const response = await post('/accounts', { name: '', currency: 'EURO', creditLimit: '1.5' }, { 'Idempotency-Key': 'k'.repeat(256) });

    expect(response.status).toBe(400);
    expect(fieldsOf(response.body).sort()).toEqual(['Idempotency-Key', 'code', 'creditLimit', 'currency', 'name']);
    expect(await rowCounts()).toEqual(before);
  });

  it('when the body is a JSON array, then 400 naming the body', async () => {
    const response = await post('/accounts', [newAccount()]);
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['(body)']);
  });

  it('when the code is already taken, then 409 account-code-taken and nothing more is written', async () => {
    // Arrange
    const existing = await createAccount();
    const before = await rowCounts();

    // Act
    const response = await post('/accounts', newAccount({ code: existing.code, currency: 'EUR' }));

    // Assert
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: PROBLEMS + 'account-code-taken', status: 409 });
    expect(await rowCounts()).toEqual(before);
  });

  it('when 20 requests without a key race for one code, then exactly one account is created and the others get 409', async () => {
    const body = newAccount();

    const responses = await Promise.all(Array.from({ length: 20 }, () => post('/accounts', body)));

    expect(responses.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(409)]);
    const { rows } = await service.db.pool.query('SELECT id FROM accounts WHERE code = $1', [body.code]);
    expect(rows).toHaveLength(1);
    expect(await eventsOf(rows[0].id)).toHaveLength(1);
  });
});

describe('POST /accounts with Idempotency-Key', () => {
  it('when the same key and body are sent again, then 200 with the same account and Idempotent-Replayed: true', async () => {
    // Arrange
    const key = randomUUID();
    const body = newAccount({ creditLimit: '100' });
    const first = await post('/accounts', body, { 'Idempotency-Key': key });
    const before = await rowCounts();

    // Act: the same request; field order and unknown fields do not make it another request.
    const second = await post('/accounts', { extra: true, creditLimit: '100', currency: 'USD', name: body.name, code: body.code }, { 'Idempotency-Key': key });

    // Assert
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await rowCounts()).toEqual(before);
  });

  it('when the same key comes with another body, then 422 idempotency-key-reused and nothing is written', async () => {
    const key = randomUUID();
    const body = newAccount();
    await post('/accounts', body, { 'Idempotency-Key': key });
    const before = await rowCounts();

    const response = await post('/accounts', { ...body, name: 'Bob Example' }, { 'Idempotency-Key': key });

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ type: PROBLEMS + 'idempotency-key-reused', status: 422 });
    expect(await rowCounts()).toEqual(before);
  });

  it('when a request with a key is refused for its code, then the key is not kept and a corrected retry succeeds', async () => {
    const taken = await createAccount();
    const key = randomUUID();
    const body = newAccount({ code: taken.code });

    const refused = await post('/accounts', body, { 'Idempotency-Key': key });
    const retried = await post('/accounts', { ...body, code: `cust-${randomUUID()}` }, { 'Idempotency-Key': key });

    expect(refused.status).toBe(409);
    expect(retried.status).toBe(201);
  });

  it('when 20 identical requests with one key arrive at once, then exactly one account is created and all get it', async () => {
    // Arrange
    const key = randomUUID();
    const body = newAccount();
    const before = await rowCounts();

    // Act
    const responses = await Promise.all(Array.from({ length: 20 }, () => post('/accounts', body, { 'Idempotency-Key': key })));

    // Assert
    expect(responses.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await rowCounts()).toEqual({ accounts: before.accounts + 1, outbox: before.outbox + 1, keys: before.keys + 1 });
  });

  it.each([
    ['empty', ''],
    ['256 characters long', 'k'.repeat(256)],
    ['not ASCII', 'clé-1'],
    ['holding a tab', 'a\tb'],
  ])('when the key is %s, then 400 naming Idempotency-Key and nothing is written', async (_case, key) => {
    const before = await rowCounts();

    const response = await post('/accounts', newAccount(), { 'Idempotency-Key': key });

    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['Idempotency-Key']);
    expect(await rowCounts()).toEqual(before);
  });

  it('when the key is 255 printable characters, then it is accepted', async () => {
    const key = ('~ ' + randomUUID()).padEnd(255, 'x');
    const response = await post('/accounts', newAccount(), { 'Idempotency-Key': key });
    expect(response.status).toBe(201);
  });
});

describe('GET /accounts/:id', () => {
  it('when the account exists, then 200 with it', async () => {
    const account = await createAccount({ currency: 'JPY', creditLimit: 'unlimited' });

    const response = await get(`/accounts/${account.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(account);
  });

  it.each([
    ['an unknown UUID', randomUUID()],
    ['not a UUID', 'not-a-uuid'],
    ['a UUID with a trailing character', `${randomUUID()}0`],
  ])('when the id is %s, then 404', async (_case, id) => {
    const response = await get(`/accounts/${id}`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ type: PROBLEMS + 'not-found', status: 404 });
  });
});

describe('POST /accounts/lookup', () => {
  it('when some ids exist and one does not, then 200 with the existing ones in the order asked', async () => {
    const [a, b] = [await createAccount(), await createAccount({ currency: 'EUR' })];
    await post(`/accounts/${b.id}/freeze`);

    const response = await post('/accounts/lookup', { ids: [b.id, randomUUID(), a.id] });

    expect(response.status).toBe(200);
    expect(response.body.items.map((item: AccountDto) => [item.id, item.currency, item.status])).toEqual([
      [b.id, 'EUR', 'frozen'],
      [a.id, 'USD', 'active'],
    ]);
  });

  it.each([
    ['no ids', {}],
    ['an empty list', { ids: [] }],
    ['an id that is not a UUID', { ids: ['nope'] }],
    ['more than 100 ids', { ids: Array.from({ length: 101 }, () => randomUUID()) }],
  ])('when the body has %s, then 400 naming ids', async (_case, body) => {
    const response = await post('/accounts/lookup', body);

    expect(response.status).toBe(400);
    expect(fieldsOf(response.body).every((field: string) => field.startsWith('ids'))).toBe(true);
    expect(fieldsOf(response.body).length).toBeGreaterThan(0);
  });
});

describe('GET /accounts', () => {
  it('when pages of 2 are walked to the end, then every account appears once, newest first', async () => {
    // Arrange
    for (let i = 0; i < 5; i++) await createAccount();
    const { rows } = await service.db.pool.query<{ id: string }>('SELECT id FROM accounts ORDER BY created_at DESC, id DESC');

    // Act
    const seen: AccountDto[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 1_000);

    // Assert
    expect(seen.map((a) => a.id)).toEqual(rows.map((r) => r.id));
    expect(pages).toBe(Math.ceil(rows.length / 2));
    const times = seen.map((a) => a.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('when no limit is given, then at most 50 items are returned', async () => {
    const { rows } = await service.db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM accounts');

    const response = await get('/accounts');

    expect(response.status).toBe(200);
    expect(response.body.items).toHaveLength(Math.min(50, firstOf(rows, 'the count').count));
  });

  it.each([['1'], ['200']])('when limit is %s, then it is accepted', async (limit) => {
    const response = await get(`/accounts?limit=${limit}`);
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBeLessThanOrEqual(Number(limit));
  });

  it.each([['0'], ['201'], ['-1'], ['1.5'], ['abc'], ['']])('when limit is "%s", then 400 naming limit', async (limit) => {
    const response = await get(`/accounts?limit=${limit}`);
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['limit']);
  });

  it.each([
    ['not base64url', '!!!'],
    ['base64url of something else', Buffer.from('{"a":1}').toString('base64url')],
    ['a cursor with a bad id', Buffer.from('{"createdAt":"2026-01-01T00:00:00.000Z","id":"x"}').toString('base64url')],
  ])('when the cursor is %s, then 400 naming cursor', async (_case, cursor) => {
    const response = await get(`/accounts?cursor=${encodeURIComponent(cursor)}`);
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['cursor']);
  });
});

describe('GET /accounts?code=', () => {
  it('when the code is taken, then a list of exactly that account; when nobody has it, then an empty list', async () => {
    // Arrange
    const account = await createAccount();
    await createAccount({ code: `${account.code}-other` });

    // Act
    const found = await get(`/accounts?code=${encodeURIComponent(account.code)}`);
    const missing = await get(`/accounts?code=${encodeURIComponent(`${account.code}-missing`)}`);

    // Assert
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ items: [account], nextCursor: null });
    expect(missing.status).toBe(200);
    expect(missing.body).toEqual({ items: [], nextCursor: null });
  });

  it('when the code differs only in case, then it is another code (codes are exact)', async () => {
    const account = await createAccount({ code: `Cust-${randomUUID()}` });

    const response = await get(`/accounts?code=${encodeURIComponent(account.code.toLowerCase())}`);

    expect(response.body.items).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['101 characters', 'c'.repeat(101)],
    ['holding a NUL character', 'a%00b'],
  ])('when the code is %s, then 400 naming code', async (_case, code) => {
    const response = await get(`/accounts?code=${code}`);
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['code']);
  });
});

describe('createdBy: who opened the account (the gateway sets it to its principal)', () => {
  it('when accounts are opened by two principals, then each carries its creator, and ?createdBy= lists only that creator accounts, newest first', async () => {
    const alice = `alice-${randomUUID().slice(0, 8)}`;
    const first = await createAccount({ createdBy: alice });
    const second = await createAccount({ createdBy: alice });
    const other = await createAccount({ createdBy: `bob-${randomUUID().slice(0, 8)}` });

    const listed = await get(`/accounts?createdBy=${alice}`);

    expect([first.createdBy, other.createdBy === alice]).toEqual([alice, false]);
    expect(listed.body).toEqual({ items: [second, first], nextCursor: null });
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'p'.repeat(65)],
    ['a number', 42],
  ])('when createdBy is %s, then 400 naming createdBy', async (_case, createdBy) => {
    const response = await post('/accounts', newAccount({ createdBy }));

    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toEqual(['createdBy']);
  });
});

describe('POST /accounts/:id/freeze and /unfreeze', () => {
  it('when an account is frozen, unfrozen, and each repeated, then the status follows and only real changes write events', async () => {
    // Arrange
    const account = await createAccount();

    // Act
    const frozen = await post(`/accounts/${account.id}/freeze`);
    const frozenAgain = await post(`/accounts/${account.id}/freeze`, {});
    const unfrozen = await post(`/accounts/${account.id}/unfreeze`);
    const unfrozenAgain = await post(`/accounts/${account.id}/unfreeze`);

    // Assert
    expect([frozen, frozenAgain, unfrozen, unfrozenAgain].map((r) => [r.status, r.body.status])).toEqual([
      [200, 'frozen'],
      [200, 'frozen'],
      [200, 'active'],
      [200, 'active'],
    ]);
    expect(frozen.body).toEqual({ ...account, status: 'frozen' });
    const events = await eventsOf(account.id);
    expect(events.map((e) => e.event_type)).toEqual(['account.created', 'account.frozen', 'account.unfrozen']);
    expect(events[1]?.envelope).toMatchObject({ aggregateId: account.id, payload: { ...account, status: 'frozen' } });
  });

  it('when 10 freezes of one account arrive at once, then all answer frozen and one event is written', async () => {
    const account = await createAccount();

    const responses = await Promise.all(Array.from({ length: 10 }, () => post(`/accounts/${account.id}/freeze`)));

    expect(responses.every((r) => r.status === 200 && r.body.status === 'frozen')).toBe(true);
    expect((await eventsOf(account.id)).map((e) => e.event_type)).toEqual(['account.created', 'account.frozen']);
  });

  it.each([
    ['freeze', randomUUID()],
    ['unfreeze', randomUUID()],
    ['freeze', 'not-a-uuid'],
  ])('when %s names no account (%s), then 404', async (action, id) => {
    const response = await post(`/accounts/${id}/${action}`);
    expect(response.status).toBe(404);
  });
});

describe('metrics', () => {
  it('when accounts are created and refused, then accounts_created_total and account_creation_errors_total count them', async () => {
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();

    expect(metrics).toMatch(/^accounts_created_total\{service="accounts"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^account_creation_errors_total\{reason="invalid_request",service="accounts"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^account_creation_errors_total\{reason="code_taken",service="accounts"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^account_creation_errors_total\{reason="idempotency_key_reused",service="accounts"\} [1-9]\d*$/m);
  });
});
