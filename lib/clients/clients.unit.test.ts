/**
 * Proves how the accounts and ledger clients map answers to values and errors
 * (the errors decide whether a transfer step is retried): 2xx → value (an
 * account lookup leaves out the ids that do not exist), 404 → "no hold", 422 with a code → LedgerRefusalError,
 * 409 → ConflictError, 5xx / 401 (the service refused this process's
 * credential) / refused connection / timeout → TransientServiceError, that
 * every request carries the service credential and writes their Idempotency-Key. How: the real clients against a
 * real node:http server on port 0 that answers what each test scripts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccountsClient,
  ConflictError,
  LedgerClient,
  LedgerRefusalError,
  TransientServiceError,
  UnexpectedResponseError,
} from '.';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Script = (req: Seen, res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl: string;
let script: Script;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(request);
      script(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

function answer(status: number, body?: unknown): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
}

/** The service credential the clients are given (lib/service-auth). */
const TOKEN = 'clients-test-token-0123456789abcdefghijklmnop';
const ACCOUNT = { id: 'a1', code: 'c', name: 'n', currency: 'USD', creditLimit: '0', status: 'active', createdAt: '2026-01-01T00:00:00.000Z' };
const HOLD = { holdId: 'h1', transferId: 't1', fromAccountId: 'a1', toAccountId: 'a2', amountMinor: '5', currency: 'USD', status: 'reserved', entryId: null, expiresAt: null, createdAt: 'x', updatedAt: 'x' };
const RESERVE = { holdId: 'h1', transferId: 't1', fromAccountId: 'a1', toAccountId: 'a2', amountMinor: '5', currency: 'USD' };

describe('accounts client', () => {
  it('when the accounts exist, then they are returned by id, asked in one POST /accounts/lookup', async () => {
    script = answer(200, { items: [ACCOUNT] });
    const client = new AccountsClient({ token: TOKEN, baseUrl });

    await expect(client.getAccounts(['a1'])).resolves.toEqual(new Map([['a1', ACCOUNT]]));
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/accounts/lookup' });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    client.close();
  });

  it('when an id does not exist, then it has no entry in the answer', async () => {
    script = answer(200, { items: [ACCOUNT] });
    const client = new AccountsClient({ token: TOKEN, baseUrl });

    const found = await client.getAccounts(['a1', 'missing']);
    expect(found.has('missing')).toBe(false);
    client.close();
  });

  it('when the answer has no items list, then UnexpectedResponseError', async () => {
    script = answer(200, { accounts: [ACCOUNT] });
    const client = new AccountsClient({ token: TOKEN, baseUrl });

    await expect(client.getAccounts(['a1'])).rejects.toBeInstanceOf(UnexpectedResponseError);
    client.close();
  });

  it('when the service answers 503 with an HTML body, then the error is transient', async () => {
    script = (_req, res) => {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html>upstream down</html>');
    };
    const client = new AccountsClient({ token: TOKEN, baseUrl });

    await expect(client.getAccounts(['a1'])).rejects.toBeInstanceOf(TransientServiceError);
    client.close();
  });

  it('when nothing listens on the port, then the error is transient', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new AccountsClient({ token: TOKEN, baseUrl: `http://127.0.0.1:${port}` });

    await expect(client.getAccounts(['a1'])).rejects.toThrow(TransientServiceError);
    client.close();
  });

  it('when the answer takes longer than the timeout, then the call ends with a transient error at the deadline', async () => {
    script = (_req, res) => setTimeout(() => answer(200, ACCOUNT)(_req, res), 1_000);
    const client = new AccountsClient({ token: TOKEN, baseUrl, timeoutMs: 100 });

    const startedAt = Date.now();
    await expect(client.getAccounts(['a1'])).rejects.toThrow(/no answer within 100 ms/);
    expect(Date.now() - startedAt).toBeLessThan(900);
    client.close();
  });
});

describe('ledger client', () => {
  it('when a hold is reserved, then the request carries the body and the service credential', async () => {
    script = answer(201, HOLD);
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.reserveHold(RESERVE)).resolves.toEqual(HOLD);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/holds' });
    const [request] = seen;
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(request?.body ?? 'null')).toEqual(RESERVE);
    client.close();
  });

  it('when the ledger refuses with a 422 and a known code, then LedgerRefusalError carries the code', async () => {
    script = answer(422, { type: 'x', title: 'Rule violated', status: 422, detail: 'not enough', code: 'INSUFFICIENT_FUNDS' });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    const error = await client.reserveHold(RESERVE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerRefusalError);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', message: 'not enough' });
    client.close();
  });

  it('when the ledger answers 422 without a known code, then the answer is unexpected (not a refusal)', async () => {
    script = answer(422, { type: 'x', title: 'Rule violated', status: 422, code: 'SOMETHING_NEW' });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.reserveHold(RESERVE)).rejects.toBeInstanceOf(UnexpectedResponseError);
    client.close();
  });

  it('when the ledger answers 409, then ConflictError is thrown', async () => {
    script = answer(409, { type: 'x', title: 'Conflict', status: 409 });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.captureHold('h1', { entryId: 'e1' })).rejects.toBeInstanceOf(ConflictError);
    client.close();
  });

  it('when a hold to void does not exist, then voiding resolves null (nothing to undo)', async () => {
    script = answer(404, { type: 'x', title: 'Not found', status: 404 });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.voidHold('h-missing', { reason: 'r' })).resolves.toBeNull();
    await expect(client.getHold('h-missing')).resolves.toBeNull();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /holds/h-missing/void', 'GET /holds/h-missing']);
    client.close();
  });

  it('when the ledger refuses the credential (401), then the error is transient: the step waits for the fix instead of failing the transfer', async () => {
    script = answer(401, { type: 'x', title: 'Unauthorized', status: 401 });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.voidHold('h1', { reason: 'r' })).rejects.toBeInstanceOf(TransientServiceError);
    expect(seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
    client.close();
  });

  it('when the ledger answers 500, then the error is transient', async () => {
    script = answer(500, { type: 'x', title: 'Internal error', status: 500 });
    const client = new LedgerClient({ token: TOKEN, baseUrl });

    await expect(client.reverseEntry('e1', { reversalEntryId: 'r1' })).rejects.toBeInstanceOf(TransientServiceError);
    client.close();
  });
});
