/**
 * The ledger answers its known callers only (lib/service-auth): every route
 * its router serves, enumerated from the app itself so a new route is covered
 * without editing this file, is a 401 problem+json without the credential,
 * with an unknown or truncated token, or with another scheme, and writes
 * nothing; with the accepted token the same requests reach the routes. The
 * probes and /metrics answer without one. Against the real ledger database
 * (harness.ts).
 */
import { randomUUID } from 'node:crypto';
import { createRegistry } from '../../../lib/telemetry/metrics';
import { badCredentials, guardedRoutes, OPEN_PATHS, refusals, refused } from '../../../test/support/service-auth';
import { call } from '../../../test/support/service';
import { createLedgerApp } from '../server';
import { startLedger, transferLines, type LedgerHarness } from './harness';
import { required } from '../../../lib/assert';

let ledger: LedgerHarness;

beforeAll(async () => {
  ledger = await startLedger();
});

afterAll(async () => {
  await ledger?.close();
});

const routes = () => guardedRoutes(createLedgerApp(ledger.deps, createRegistry('ledger-auth-routes'), {}, [{ caller: 'test', token: ledger.token }]));

it('lists the money-moving routes among those it guards (the enumeration reads the real router)', () => {
  const listed = routes().map((route) => `${route.method} ${route.pattern}`);
  expect(listed).toEqual(expect.arrayContaining(['POST /entries', 'POST /holds', 'POST /holds/captured', 'POST /entries/:entryId/reverse', 'POST /holds/:holdId/capture', 'GET /balances']));
});

it.each(Object.keys(badCredentials('x'.repeat(43))))('when the credential is %s, then every route is 401 problem+json with a Bearer challenge', async (kind) => {
  const guarded = routes();
  const answers = await refusals(ledger.app.baseUrl, guarded, required(badCredentials(ledger.token)[kind], `the ${kind} credential`));
  expect(answers).toEqual(refused(guarded, 'ledger'));
});

it('when the accepted token is sent, then no route answers 401', async () => {
  const answers = await refusals(ledger.app.baseUrl, routes(), { authorization: `Bearer ${ledger.token}` });
  expect(answers.filter((answer) => answer.status === 401)).toEqual([]);
});

it('when an unauthenticated entry would credit an account, then it is refused and nothing is written; the same entry with the token posts', async () => {
  const funding = ledger.directory.add('USD', 'unlimited');
  const target = ledger.directory.add('USD', '0');
  const entry = { entryId: randomUUID(), currency: 'USD', description: 'not via a transfer', lines: transferLines(funding, target, 99_999_999n) };

  const refusedAnswer = await call(ledger.app.baseUrl, 'POST', '/entries', entry);
  const written = await ledger.pool.query('SELECT 1 FROM entries WHERE entry_id = $1', [entry.entryId]);
  expect({ status: refusedAnswer.status, rows: written.rowCount }).toEqual({ status: 401, rows: 0 });

  const posted = await ledger.post('/entries', entry);
  expect(posted.status).toBe(201);
  expect((await ledger.balance(target)).posted).toBe(99_999_999n);
});

it('when a path matches no route, then it is a 401 as well (the routes cannot be mapped without a credential), and a 404 with one', async () => {
  expect((await call(ledger.app.baseUrl, 'GET', '/no-such-route')).status).toBe(401);
  expect((await ledger.get('/no-such-route')).status).toBe(404);
});

it.each(OPEN_PATHS)('when %s is asked without a credential, then it answers (probes and Prometheus need no token)', async (path) => {
  const response = await fetch(ledger.app.baseUrl + path);
  expect(response.status).toBe(200);
});
