/**
 * The accounts service answers its known callers only (lib/service-auth):
 * every route its router serves, enumerated from the app itself so a new
 * route is covered without editing this file, is a 401 problem+json without
 * the credential, with an unknown or truncated token, or with another scheme,
 * and changes nothing (a freeze without a token leaves the account active);
 * with the accepted token the same requests reach the routes. The probes and
 * /metrics answer without one. Against the real accounts database (support.ts).
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../../lib/logger';
import { createRegistry } from '../../../lib/telemetry/metrics';
import { badCredentials, guardedRoutes, OPEN_PATHS, refusals, refused } from '../../../test/support/service-auth';
import { call } from '../../../test/support/service';
import { createAccountsApp } from '../server';
import { request, startAccountsService, type TestAccountsService } from './support';
import { required } from '../../../lib/assert';

let service: TestAccountsService;

beforeAll(async () => {
  service = await startAccountsService();
});

afterAll(async () => {
  await service?.stop();
});

const token = () => service.headers.authorization.replace(/^Bearer /, '');
const routes = () =>
  guardedRoutes(createAccountsApp({ pool: service.db.pool, logger: createLogger('accounts-auth-routes', 'silent'), registry: createRegistry('accounts-auth-routes'), callers: [{ caller: 'test', token: token() }] }));

it('lists the account-changing routes among those it guards (the enumeration reads the real router)', () => {
  const listed = routes().map((route) => `${route.method} ${route.pattern}`);
  expect(listed).toEqual(expect.arrayContaining(['POST /accounts', 'POST /accounts/:id/freeze', 'POST /accounts/:id/unfreeze', 'POST /accounts/lookup', 'GET /accounts/:id']));
});

it.each(Object.keys(badCredentials('x'.repeat(43))))('when the credential is %s, then every route is 401 problem+json with a Bearer challenge', async (kind) => {
  const guarded = routes();
  const answers = await refusals(service.baseUrl, guarded, required(badCredentials(token())[kind], `the ${kind} credential`));
  expect(answers).toEqual(refused(guarded, 'accounts'));
});

it('when the accepted token is sent, then no route answers 401', async () => {
  const answers = await refusals(service.baseUrl, routes(), service.headers);
  expect(answers.filter((answer) => answer.status === 401)).toEqual([]);
});

it('when a freeze comes without the credential, then it is refused and the account stays active; with it, the account is frozen', async () => {
  const created = await request(service.baseUrl, 'POST', '/accounts', { body: { code: `auth-${randomUUID()}`, name: 'Auth test', currency: 'USD' } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;

  const refusedAnswer = await call(service.baseUrl, 'POST', `/accounts/${id}/freeze`, {});
  const { rows } = await service.db.pool.query<{ status: string }>('SELECT status FROM accounts WHERE id = $1', [id]);
  expect({ status: refusedAnswer.status, account: rows[0]?.status }).toEqual({ status: 401, account: 'active' });

  const frozen = await request(service.baseUrl, 'POST', `/accounts/${id}/freeze`, { body: {} });
  expect({ status: frozen.status, account: frozen.body.status }).toEqual({ status: 200, account: 'frozen' });
});

it('when a path matches no route, then it is a 401 as well, and a 404 with the credential', async () => {
  expect((await call(service.baseUrl, 'GET', '/no-such-route')).status).toBe(401);
  expect((await request(service.baseUrl, 'GET', '/no-such-route')).status).toBe(404);
});

it.each(OPEN_PATHS)('when %s is asked without a credential, then it answers (probes and Prometheus need no token)', async (path) => {
  const response = await fetch(service.baseUrl + path);
  expect(response.status).toBe(200);
});
