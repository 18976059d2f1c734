/**
 * Every 400 case of the contract answered by the real gateway with
 * application/problem+json naming the field, and nothing created (the
 * transfers table is counted before and after); metadata's depth and keys
 * (30,000 levels in a body under the size limit and 33 levels are a 400 naming
 * metadata, 32 levels are stored exactly, `__proto__` anywhere is a 400 naming
 * its path, all with every table counted); the body limits (413, 415);
 * 404 for non-UUID path ids; and API-key authentication (401) when keys are
 * configured (a second gateway app booted in-process with keys).
 */
import { keySha256 } from '../../api/clients';
import { createLogger } from '../../lib/logger';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { startKeyedGateway, apiClient } from '../support/keyed-gateway';
import { call } from '../support/service';
import { api, createAccount, ensureSystem, eventually, GATEWAY_URL, newKey } from '../support/system';

let pools: InvariantPools;
let from: string;
let to: string;
beforeAll(async () => {
  ensureSystem();
  pools = invariantPools();
  from = await createAccount('USD', '1000');
  to = await createAccount('USD');
}, 10 * 60_000);
afterAll(() => pools?.close());

const countTransfers = async () => Number((await pools.transfers.query('SELECT count(*) AS n FROM transfers')).rows[0].n);
const valid = () => ({ fromAccountId: from, toAccountId: to, amount: '100', currency: 'USD' });

describe('POST /v1/transfers refuses bad input with a problem naming the field', () => {
  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['missing fromAccountId', () => ({ ...valid(), fromAccountId: undefined }), 'fromAccountId'],
    ['fromAccountId not a UUID', () => ({ ...valid(), fromAccountId: 'abc' }), 'fromAccountId'],
    ['missing amount', () => ({ ...valid(), amount: undefined }), 'amount'],
    ['amount as a number', () => ({ ...valid(), amount: 100 }), 'amount'],
    ['amount zero', () => ({ ...valid(), amount: '0' }), 'amount'],
    ['amount negative', () => ({ ...valid(), amount: '-100' }), 'amount'],
    ['amount with a plus sign', () => ({ ...valid(), amount: '+100' }), 'amount'],
    ['amount with decimals', () => ({ ...valid(), amount: '10.50' }), 'amount'],
    ['amount with an exponent', () => ({ ...valid(), amount: '1e3' }), 'amount'],
    ['amount with a leading zero', () => ({ ...valid(), amount: '0100' }), 'amount'],
    ['amount with spaces', () => ({ ...valid(), amount: ' 100' }), 'amount'],
    ['amount beyond 2^63−1', () => ({ ...valid(), amount: '9223372036854775808' }), 'amount'],
    ['amount of 20 digits', () => ({ ...valid(), amount: '12345678901234567890' }), 'amount'],
    ['amount in other digits', () => ({ ...valid(), amount: '١٠٠' }), 'amount'],
    ['unknown currency', () => ({ ...valid(), currency: 'XYZ' }), 'currency'],
    ['lower-case currency', () => ({ ...valid(), currency: 'usd' }), 'currency'],
    ['same account on both sides', () => ({ ...valid(), toAccountId: from }), 'toAccountId'],
    ['metadata over 50 keys', () => ({ ...valid(), metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) }), 'metadata'],
    ['metadata over 4 KiB', () => ({ ...valid(), metadata: { blob: 'x'.repeat(4100) } }), 'metadata'],
    ['metadata not an object', () => ({ ...valid(), metadata: 'x' }), 'metadata'],
  ];

  it.each(cases)('when %s, then 400 naming it and nothing is created', async (_name, body, field) => {
    const before = await countTransfers();
    const res = await api.post('/v1/transfers', body(), { 'Idempotency-Key': newKey() });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await countTransfers()).toBe(before);
  });

  it('when the amount is exactly 2^63−1, then it is accepted', async () => {
    const res = await api.post('/v1/transfers', { ...valid(), amount: '9223372036854775807' }, { 'Idempotency-Key': newKey() });
    expect(res.status).toBe(201);
  });

  it('when several fields are invalid, then every one is listed', async () => {
    const res = await api.post('/v1/transfers', { amount: '0', currency: 'XYZ' }, {});
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['Idempotency-Key', 'amount', 'currency', 'fromAccountId', 'toAccountId']);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
  ])('when the Idempotency-Key is %s, then 400 naming it', async (_name, key) => {
    const before = await countTransfers();
    const headers: Record<string, string> = key === undefined ? {} : { 'Idempotency-Key': key };
    const res = await fetch(`${GATEWAY_URL}/v1/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(valid()) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { errors: { field: string }[] } }));
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('Idempotency-Key');
    expect(await countTransfers()).toBe(before);
  });
});

/** The rows every write would add to, so "nothing written" covers the saga's tables too. */
async function writtenRows(): Promise<string> {
  const count = async (db: 'accounts' | 'transfers' | 'ledger', table: string) => (await pools[db].query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;
  const counts = await Promise.all([count('accounts', 'accounts'), count('transfers', 'transfers'), count('ledger', 'entries'), count('ledger', 'outbox')]);
  return `accounts=${counts[0]} transfers=${counts[1]} entries=${counts[2]} ledger.outbox=${counts[3]}`;
}

/** JSON text of metadata `levels` deep: the object itself is the first level, then arrays down to the last. */
const metadataOfDepth = (levels: number) => `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
/** A valid transfer body as JSON text with `metadata` spliced in raw, so keys such as __proto__ arrive as written. */
const withRawMetadata = (metadataJson: string) => `${JSON.stringify(valid()).slice(0, -1)},"metadata":${metadataJson}}`;
const postRaw = (body: string) =>
  fetch(`${GATEWAY_URL}/v1/transfers`, { method: 'POST', headers: { 'content-type': 'application/json', 'Idempotency-Key': newKey() }, body }).then(async (r) => ({
    status: r.status,
    type: r.headers.get('content-type'),
    body: (await r.json()) as { errors?: { field: string; message: string }[] },
  }));

describe('metadata depth and keys', () => {
  // Counting rows proves nothing while an earlier test's saga still writes: start from a quiet system.
  beforeAll(async () => {
    const pending = async () => Number((await pools.transfers.query(`SELECT count(*) AS n FROM transfers WHERE status = 'pending'`)).rows[0].n);
    if ((await eventually(pending, (n) => n === 0, 60_000)) !== 0) throw new Error('transfers are still pending; the row counts would not be meaningful');
  }, 2 * 60_000);

  it.each([
    ['30,000 levels deep (about 60 KB, under the body limit)', metadataOfDepth(30_000), 'metadata'],
    ['33 levels deep', metadataOfDepth(33), 'metadata'],
    ['33 levels deep in objects', `${'{"a":'.repeat(32)}{}${'}'.repeat(32)}`, 'metadata'],
    ['a __proto__ key', '{"__proto__":{"admin":true},"invoice":"A-17"}', 'metadata.__proto__'],
    ['a __proto__ key holding null', '{"__proto__":null}', 'metadata.__proto__'],
    ['a nested __proto__ key', '{"a":[{"b":1},{"__proto__":{"x":1}}]}', 'metadata.a[1].__proto__'],
  ])('when metadata has %s, then 400 naming it and nothing is written', async (_name, metadataJson, field) => {
    const before = await writtenRows();
    const res = await postRaw(withRawMetadata(metadataJson));
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors!.map((e) => e.field)).toContain(field);
    expect(await writtenRows()).toBe(before);
  });

  it('when metadata is exactly 32 levels deep with keys named like prototype members, then it is created and stored exactly', async () => {
    const metadata = JSON.parse(`{"constructor":"c","prototype":{"constructor":{"prototype":1}},"toString":"t","hasOwnProperty":1,"deep":${'['.repeat(31)}"bottom"${']'.repeat(31)}}`);
    const res = await api.post('/v1/transfers', { ...valid(), metadata }, { 'Idempotency-Key': newKey() });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual(metadata);
    const read = await api.get(`/v1/transfers/${res.body.id}`);
    expect(read.body.metadata).toEqual(metadata);
    expect(Object.keys(read.body.metadata).sort()).toEqual(['constructor', 'deep', 'hasOwnProperty', 'prototype', 'toString']);
  });
});

describe('request limits and ids', () => {
  it('when the body is not JSON, then 400 malformed; when not application/json, then 415; over 64 KiB, then 413', async () => {
    const post = (body: string, type: string) => fetch(`${GATEWAY_URL}/v1/transfers`, { method: 'POST', headers: { 'content-type': type, 'Idempotency-Key': newKey() }, body });
    expect((await post('{"amount":', 'application/json')).status).toBe(400);
    expect((await post('amount=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(JSON.stringify({ ...valid(), description: 'x'.repeat(70_000) }), 'application/json')).status).toBe(413);
  });

  it('when a path id is not a UUID, then 404; an unknown UUID, then 404', async () => {
    expect((await api.get('/v1/transfers/not-a-uuid')).status).toBe(404);
    expect((await api.get('/v1/accounts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('when a page limit is out of range or a cursor is forged, then 400 naming it', async () => {
    expect((await api.get('/v1/transfers?limit=201')).body.errors[0].field).toBe('limit');
    expect((await api.get('/v1/transfers?limit=0')).body.errors[0].field).toBe('limit');
    expect((await api.get('/v1/transfers?cursor=forged')).body.errors[0].field).toBe('cursor');
  });

  it('when OpenAPI is asked for, then a 3.1 document with the transfer routes is served', async () => {
    const doc = (await api.get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/transfers', '/v1/accounts/{id}/statement']));
  });
});

describe('API keys', () => {
  it('when keys are configured, then a request without or with a wrong key is 401, a right key passes, and no key reaches the log', async () => {
    const logLines: string[] = [];
    const logger = createLogger('gateway-auth-test', 'debug', { write: (line: string) => void logLines.push(line) });
    const app = await startKeyedGateway([apiClient('tester', 's3cret-key')], pools.transfers, logger);
    try {
      const none = await call(app.baseUrl, 'GET', `/v1/accounts/${from}`);
      const wrong = await call(app.baseUrl, 'GET', `/v1/accounts/${from}`, undefined, { authorization: 'Bearer nope' });
      const right = await call(app.baseUrl, 'GET', `/v1/accounts/${from}`, undefined, { authorization: 'Bearer s3cret-key' });
      // A transfer through the keyed gateway logs its creation (and a refused one its problem): the lines exist, the keys do not.
      const created = await call(app.baseUrl, 'POST', '/v1/transfers', { ...valid(), amount: '1' }, {
        authorization: 'Bearer s3cret-key',
        'idempotency-key': newKey(),
      });
      expect([none.status, wrong.status, right.status, created.status]).toEqual([401, 401, 200, 201]);
      expect(none.headers.get('content-type')).toContain('application/problem+json');
      expect(logLines.some((line) => line.includes('transfer created'))).toBe(true);
      expect(logLines.filter((line) => line.includes('s3cret-key') || line.includes(keySha256('s3cret-key')) || line.includes('nope'))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
