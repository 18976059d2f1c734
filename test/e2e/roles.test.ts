/**
 * Who may do what (api/permissions.ts), through a gateway with API clients:
 * every /v1 operation is called by a client of each role, and the table the
 * routes enforce decides the expected answer (granted: a 2xx; not: a 403
 * problem with code FORBIDDEN listing the roles that would do), so the
 * test and the routes read the same table. Granted calls act on real
 * resources the submitter created (a fresh transfer awaiting approval for each
 * decision, a posted one for each reversal); refused ones on real resources
 * too, so a 403 is never a missing resource's answer. Then: a submitter sees
 * only what it created (another's account or transfer is a 404, lists hold
 * only its own), four-eyes (the creator's approve or reject is a 403
 * SAME_PRINCIPAL and leaves the transfer awaiting approval; another
 * approver's is taken), `createdBy` and `decidedBy` in the resources, and the
 * served document stating each operation's roles. How: a second gateway in
 * the test's process (test/support/keyed-gateway.ts) on the running stack,
 * whose worker runs the transfers.
 */
import { accessOf, OPERATION_IDS, PERMISSIONS, type OperationId } from '../../api/permissions';
import { ROLES, type Role } from '../../api/principal';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { apiClient, bearer, startKeyedGateway } from '../support/keyed-gateway';
import { call, type JsonAnswer, type RunningApp } from '../support/service';
import { ensureSystem, eventually, newKey } from '../support/system';

const APPROVAL_AMOUNT = '1000000';
/** Ids of this run's clients: the transfers table is shared with every other test and run. */
const RUN = Date.now().toString(36);
const id = (name: string) => `${name}-${RUN}`;
const key = (name: string) => `key-${name}-${RUN}`;

/** One client per role, each holding that role alone; and the principals of the scope and four-eyes tests. */
const ROLE_CLIENTS = ROLES.map((role) => apiClient(id(role), key(role), [role]));
const OTHER_SUBMITTER = apiClient(id('other-submitter'), key('other-submitter'), ['submitter']);
const SUBMITTING_APPROVER = apiClient(id('submitting-approver'), key('submitting-approver'), ['submitter', 'approver']);
const SUBMITTING_AUDITOR = apiClient(id('submitting-auditor'), key('submitting-auditor'), ['submitter', 'auditor']);

let pools: InvariantPools;
let gateway: RunningApp;

type Who = Role | 'other-submitter' | 'submitting-approver' | 'submitting-auditor';
const keyOf = (who: Who) => key(who);
const as = (who: Who) => ({
  get: (path: string) => call(gateway.baseUrl, 'GET', path, undefined, bearer(keyOf(who))),
  post: (path: string, body?: unknown, headers: Record<string, string> = {}) => call(gateway.baseUrl, 'POST', path, body, { ...bearer(keyOf(who)), ...headers }),
});

function expectOk(answer: JsonAnswer, what: string): JsonAnswer {
  if (answer.status < 200 || answer.status > 299) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

async function openAccount(who: Who, creditLimit = '0'): Promise<string> {
  const answer = await as(who).post('/v1/accounts', { code: `roles-${Math.random().toString(36).slice(2)}-${RUN}`, name: 'Roles test', currency: 'USD', creditLimit });
  return expectOk(answer, 'open an account').body.id;
}

/** A transfer `who` created, once it has left pending (posted below the threshold, awaiting approval at it). */
async function transferBy(who: Who, amount: string, from: string, to: string): Promise<JsonAnswer> {
  const created = expectOk(await as(who).post('/v1/transfers?wait=true', { fromAccountId: from, toAccountId: to, amount, currency: 'USD' }, { 'Idempotency-Key': newKey() }), 'create a transfer');
  return eventually(() => as('auditor').get(`/v1/transfers/${created.body.id}`), (r) => r.body.status !== 'pending', 30_000);
}

/** What the submitter created for the table's calls to act on. */
interface Fixtures {
  funding: string;
  account: string;
  /** Frozen and unfrozen by the calls. */
  spare: string;
  posted: string;
  /** Never decided: the target of every refused decision. */
  awaiting: string;
  reconciliation: string;
  /** A batch of one transfer, created by the submitter. */
  batch: string;
}
let fx: Fixtures;

const awaitingTransfer = async (): Promise<string> => {
  const answer = await transferBy('submitter', APPROVAL_AMOUNT, fx.funding, fx.account);
  if (answer.body.status !== 'awaiting_approval') throw new Error(`not awaiting approval: ${JSON.stringify(answer.body)}`);
  return answer.body.id;
};
const postedTransfer = async (): Promise<string> => {
  const answer = await transferBy('submitter', '100', fx.funding, fx.account);
  if (answer.body.status !== 'posted') throw new Error(`not posted: ${JSON.stringify(answer.body)}`);
  return answer.body.id;
};

interface Call {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * How to call each operation so that, when granted, it succeeds: `granted`
 * asks for a resource of its own where the call uses one up (a decision, a
 * reversal). Keyed by the table's operation ids: a new operation fails to
 * compile here until it has its call.
 */
const CALLS: Record<OperationId, (granted: boolean) => Promise<Call>> = {
  createAccount: async () => ({ method: 'POST', path: '/v1/accounts', body: { code: `roles-new-${Math.random().toString(36).slice(2)}`, name: 'New', currency: 'USD' } }),
  listAccounts: async () => ({ method: 'GET', path: '/v1/accounts?limit=5' }),
  getAccount: async () => ({ method: 'GET', path: `/v1/accounts/${fx.account}` }),
  freezeAccount: async () => ({ method: 'POST', path: `/v1/accounts/${fx.spare}/freeze` }),
  unfreezeAccount: async () => ({ method: 'POST', path: `/v1/accounts/${fx.spare}/unfreeze` }),
  getBalance: async () => ({ method: 'GET', path: `/v1/accounts/${fx.account}/balance` }),
  getStatement: async () => ({ method: 'GET', path: `/v1/accounts/${fx.account}/statement` }),
  createTransfer: async () => ({
    method: 'POST',
    path: '/v1/transfers',
    body: { fromAccountId: fx.funding, toAccountId: fx.account, amount: '1', currency: 'USD' },
    headers: { 'Idempotency-Key': newKey() },
  }),
  listTransfers: async () => ({ method: 'GET', path: '/v1/transfers?limit=5' }),
  getTransfer: async () => ({ method: 'GET', path: `/v1/transfers/${fx.posted}` }),
  approveTransfer: async (granted) => ({ method: 'POST', path: `/v1/transfers/${granted ? await awaitingTransfer() : fx.awaiting}/approve` }),
  rejectTransfer: async (granted) => ({ method: 'POST', path: `/v1/transfers/${granted ? await awaitingTransfer() : fx.awaiting}/reject` }),
  cancelTransfer: async (granted) => ({ method: 'POST', path: `/v1/transfers/${granted ? await awaitingTransfer() : fx.awaiting}/cancel` }),
  reverseTransfer: async (granted) => ({ method: 'POST', path: `/v1/transfers/${granted ? await postedTransfer() : fx.posted}/reverse`, headers: { 'Idempotency-Key': newKey() } }),
  createTransferBatch: async () => ({
    method: 'POST',
    path: '/v1/transfer-batches',
    body: { mode: 'independent', transfers: [{ fromAccountId: fx.funding, toAccountId: fx.account, amount: '1', currency: 'USD' }] },
    headers: { 'Idempotency-Key': newKey() },
  }),
  getTransferBatch: async () => ({ method: 'GET', path: `/v1/transfer-batches/${fx.batch}` }),
  listTransferBatchTransfers: async () => ({ method: 'GET', path: `/v1/transfer-batches/${fx.batch}/transfers?limit=5` }),
  // One run at a time (a second POST while one runs is 409 RECONCILIATION_RUNNING): the granted call waits for the fixture's run to end.
  startReconciliation: async (granted) => {
    if (granted) await reconciliationEnded(fx.reconciliation);
    return { method: 'POST', path: '/v1/reconciliations' };
  },
  getReconciliation: async () => ({ method: 'GET', path: `/v1/reconciliations/${fx.reconciliation}` }),
  listAuditEvents: async () => ({ method: 'GET', path: '/v1/audit?limit=5' }),
};

function reconciliationEnded(id: string): Promise<unknown> {
  return eventually(() => as('auditor').get(`/v1/reconciliations/${id}`), (r) => r.status === 200 && r.body.status !== 'running', 5 * 60_000);
}

beforeAll(async () => {
  ensureSystem();
  pools = invariantPools();
  gateway = await startKeyedGateway([...ROLE_CLIENTS, OTHER_SUBMITTER, SUBMITTING_APPROVER, SUBMITTING_AUDITOR], pools.transfers);
  const funding = await openAccount('submitter', 'unlimited');
  const account = await openAccount('submitter');
  const spare = await openAccount('submitter');
  fx = { funding, account, spare, posted: '', awaiting: '', reconciliation: '', batch: '' };
  fx.posted = await postedTransfer();
  fx.awaiting = await awaitingTransfer();
  const batch = await as('submitter').post('/v1/transfer-batches?wait=true', { mode: 'atomic', transfers: [{ fromAccountId: funding, toAccountId: account, amount: '1', currency: 'USD' }] }, { 'Idempotency-Key': newKey() });
  fx.batch = expectOk(batch, 'create a batch').body.id;
  fx.reconciliation = expectOk(await as('operator').post('/v1/reconciliations'), 'start a reconciliation').body.id;
}, 10 * 60_000);

afterAll(async () => {
  // The refused decisions' target: cancelled, so it holds no funds once the test is done.
  if (fx?.awaiting) await as('submitter').post(`/v1/transfers/${fx.awaiting}/cancel`);
  await gateway?.close();
  await pools?.close();
});

const principalOfRole = (role: Role) => ({ id: id(role), roles: [role], development: false });
const CASES: Array<[OperationId, Role, boolean]> = OPERATION_IDS.flatMap((op) => ROLES.map((role): [OperationId, Role, boolean] => [op, role, accessOf(principalOfRole(role), op) !== null]));

describe('every operation, every role, as the permissions table says', () => {
  it.each(CASES)('when %s is called by the %s role (granted: %s), then it succeeds, or is a 403 FORBIDDEN naming the roles', async (op, role, granted) => {
    const { method, path, body, headers } = await CALLS[op](granted);

    const answer = await call(gateway.baseUrl, method, path, body, { ...bearer(keyOf(role)), ...headers });

    if (granted) {
      // The answer itself on a failure, not just its status: a 409 or 404 here says what the call found.
      expect(answer.status >= 200 && answer.status < 300 ? 'a 2xx' : `${answer.status} ${JSON.stringify(answer.body)}`).toBe('a 2xx');
    } else {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 403, code: 'FORBIDDEN', requiredRoles: [...PERMISSIONS[op].roles] });
      expect(answer.body.detail).toContain(PERMISSIONS[op].roles.join(' or '));
    }
  }, 6 * 60_000);
});

describe('a submitter sees only what it created', () => {
  it('when another submitter asks for the submitter account, its balance or statement, then each is a 404, as for an account that does not exist', async () => {
    const other = as('other-submitter');

    const answers = await Promise.all([other.get(`/v1/accounts/${fx.account}`), other.get(`/v1/accounts/${fx.account}/balance`), other.get(`/v1/accounts/${fx.account}/statement`)]);

    expect(answers.map((a) => [a.status, a.body.code])).toEqual([
      [404, 'NOT_FOUND'],
      [404, 'NOT_FOUND'],
      [404, 'NOT_FOUND'],
    ]);
    expect((await as('submitter').get(`/v1/accounts/${fx.account}`)).status).toBe(200);
  });

  it('when another submitter asks for, or cancels, the submitter transfer, then it is a 404 and the transfer is untouched', async () => {
    const other = as('other-submitter');

    const read = await other.get(`/v1/transfers/${fx.posted}`);
    const cancel = await other.post(`/v1/transfers/${fx.awaiting}/cancel`);

    expect([read.status, cancel.status]).toEqual([404, 404]);
    expect((await as('auditor').get(`/v1/transfers/${fx.awaiting}`)).body.status).toBe('awaiting_approval');
  });

  it('when submitters list accounts and transfers, then each list holds only its own, while an auditor, or a submitter also auditor, lists everyone', async () => {
    const ownAccount = await openAccount('other-submitter');
    const own = await transferBy('other-submitter', '1', fx.funding, ownAccount);

    const [accounts, transfers, mine] = await Promise.all([
      as('other-submitter').get('/v1/accounts?limit=200'),
      as('other-submitter').get('/v1/transfers?limit=200'),
      as('submitter').get('/v1/transfers?limit=200'),
    ]);
    const [auditorList, widerList] = await Promise.all([as('auditor').get('/v1/transfers?limit=200'), as('submitting-auditor').get('/v1/transfers?limit=200')]);

    expect(accounts.body.items.map((a: { id: string }) => a.id)).toEqual([ownAccount]);
    expect(transfers.body.items.map((t: { id: string }) => t.id)).toEqual([own.body.id]);
    expect(new Set(mine.body.items.map((t: { createdBy: string }) => t.createdBy))).toEqual(new Set([id('submitter')]));
    for (const list of [auditorList, widerList]) expect(list.body.items.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([own.body.id, fx.posted]));
  });
});

describe('four-eyes, createdBy and decidedBy', () => {
  it('when a principal holding submitter and approver approves or rejects its own transfer, then 403 SAME_PRINCIPAL, and another approver approval posts it with decidedBy', async () => {
    const from = await openAccount('submitting-approver', 'unlimited');
    const to = await openAccount('submitting-approver');
    const created = await transferBy('submitting-approver', APPROVAL_AMOUNT, from, to);
    expect(created.body).toMatchObject({ status: 'awaiting_approval', createdBy: id('submitting-approver'), decidedBy: null });

    const approve = await as('submitting-approver').post(`/v1/transfers/${created.body.id}/approve`);
    const reject = await as('submitting-approver').post(`/v1/transfers/${created.body.id}/reject`);

    for (const answer of [approve, reject]) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ code: 'SAME_PRINCIPAL', detail: expect.stringContaining(id('submitting-approver')) });
    }
    expect((await as('auditor').get(`/v1/transfers/${created.body.id}`)).body.status).toBe('awaiting_approval');

    const approved = await as('approver').post(`/v1/transfers/${created.body.id}/approve`);

    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'posted', createdBy: id('submitting-approver'), decidedBy: id('approver') });
    expect((await as('auditor').get(`/v1/transfers/${created.body.id}`)).body).toEqual(approved.body);
  });

  it('when the creator cancels its own transfer, then it is cancelled with decidedBy naming it (four-eyes is for approve and reject)', async () => {
    const transferId = await awaitingTransfer();

    const cancelled = await as('submitter').post(`/v1/transfers/${transferId}/cancel`);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', createdBy: id('submitter'), decidedBy: id('submitter') });
  });

  it('when a transfer and an account are created, then createdBy names the creator, and a transfer decided by nobody has decidedBy null', async () => {
    const posted = await as('auditor').get(`/v1/transfers/${fx.posted}`);
    const account = await as('auditor').get(`/v1/accounts/${fx.account}`);

    expect(posted.body).toMatchObject({ status: 'posted', createdBy: id('submitter'), decidedBy: null });
    expect(account.body).toMatchObject({ id: fx.account, createdBy: id('submitter') });
  });
});

describe('the document says the same', () => {
  it('when the keyed gateway serves its document, then every operation lists its roles, as the table does, with a 403', async () => {
    const doc = (await call(gateway.baseUrl, 'GET', '/openapi.json')).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId: string; security: unknown; responses: object; 'x-required-roles': string[] }>>).flatMap((p) => Object.values(p));

    expect(operations.map((o) => o.operationId).sort()).toEqual([...OPERATION_IDS].sort());
    for (const operation of operations) {
      const roles = PERMISSIONS[operation.operationId as OperationId].roles;
      expect({ id: operation.operationId, roles: operation['x-required-roles'], security: operation.security }).toEqual({
        id: operation.operationId,
        roles: [...roles],
        security: roles.map((role) => ({ bearerAuth: [role] })),
      });
      expect(Object.keys(operation.responses)).toContain('403');
    }
  });
});
