/**
 * Idempotency-Keys are each principal's own (docs/api-contract.md,
 * "Idempotency"), through a gateway app whose caller a test-only header names
 * (test/support/principal-gateway.ts), on the stack's services:
 * - client B sending client A's key with A's body gets a transfer of its own
 *   (201, another id), never A's; with another body a 201 too, not a 422 for a
 *   key it never used; A's key still replays A's transfer;
 * - the same for account creation keys and reversal keys;
 * Also the per-principal write limit (a gateway with a limit of 3 a minute:
 * the 4th write is a 429 problem with Retry-After, reads pass, another
 * principal is unaffected) and the audit trail (a write is recorded with its
 * principal, route, resource, status and trace; GET /v1/audit filters,
 * pages, and names a bad field; the table refuses UPDATE and DELETE).
 */
import { randomUUID } from 'node:crypto';
import { createPool, type Pool } from '../../lib/pg';
import { startPrincipalGateway, type PrincipalGateway } from '../support/principal-gateway';
import { config, createAccount, ensureSystem, eventually, newKey, transfer } from '../support/system';

const ALICE = `alice-${randomUUID()}`;
const BOB = `bob-${randomUUID()}`;
const AUDITEE = `auditee-${randomUUID()}`;

let transfers: Pool;
let gateway: PrincipalGateway;
let from: string;
let to: string;

beforeAll(async () => {
  ensureSystem();
  transfers = createPool(config, 'transfers', { applicationName: 'idempotency-scope-e2e', maxConnections: 2 });
  gateway = await startPrincipalGateway(transfers, { principals: [ALICE, BOB, AUDITEE] });
  from = await createAccount('USD', '100000');
  to = await createAccount('USD');
}, 10 * 60_000);

afterAll(async () => {
  await gateway?.close();
  await transfers?.end();
});

const alice = () => gateway.as(ALICE);
const bob = () => gateway.as(BOB);

describe('Idempotency-Keys are scoped to the principal', () => {
  it("when B sends A's key with A's body, then B gets a transfer of its own, and A's key still replays A's", async () => {
    const key = newKey();
    const body = transfer(from, to, '10');
    const a = await alice()('POST', '/v1/transfers', body, { 'idempotency-key': key });
    const b = await bob()('POST', '/v1/transfers', body, { 'idempotency-key': key });
    const aAgain = await alice()('POST', '/v1/transfers', body, { 'idempotency-key': key });

    expect([a.status, b.status, aAgain.status]).toEqual([201, 201, 200]);
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(aAgain.body.id).toBe(a.body.id);
    const { rows } = await transfers.query('SELECT principal, transfer_id FROM idempotency_keys WHERE key = $1 ORDER BY principal', [key]);
    expect(rows).toEqual([
      { principal: ALICE, transfer_id: a.body.id },
      { principal: BOB, transfer_id: b.body.id },
    ]);
  });

  it("when B sends A's key with another body, then B's transfer is created, not a 422 for a key B never used", async () => {
    const key = newKey();
    const a = await alice()('POST', '/v1/transfers', transfer(from, to, '11'), { 'idempotency-key': key });
    const b = await bob()('POST', '/v1/transfers', transfer(from, to, '12'), { 'idempotency-key': key });
    const aOther = await alice()('POST', '/v1/transfers', transfer(from, to, '13'), { 'idempotency-key': key });

    expect([a.status, b.status, aOther.status]).toEqual([201, 201, 422]);
    expect(b.body.amount).toBe('12');
    expect(aOther.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it("when B creates an account under A's key, then B's account is created (A's replays only for A)", async () => {
    const key = newKey();
    const account = (code: string) => ({ code, name: 'Scoped Key', currency: 'USD' });
    const a = await alice()('POST', '/v1/accounts', account(`scope-a-${randomUUID()}`), { 'idempotency-key': key });
    const b = await bob()('POST', '/v1/accounts', account(`scope-b-${randomUUID()}`), { 'idempotency-key': key });
    const aAgain = await alice()('POST', '/v1/accounts', { ...account(a.body.code) }, { 'idempotency-key': key });

    expect([a.status, b.status, aAgain.status]).toEqual([201, 201, 200]);
    expect(b.body.id).not.toBe(a.body.id);
    expect(aAgain.body.id).toBe(a.body.id);
  });

  it("when B reverses with A's reversal key, then B's reversal is its own: no 422 for A's key, and A's key still replays A's", async () => {
    const posted = async () => {
      const created = await alice()('POST', '/v1/transfers?wait=true', transfer(from, to, '5'), { 'idempotency-key': newKey() });
      expect(created.body.status).toBe('posted');
      return created.body.id as string;
    };
    const [first, second] = [await posted(), await posted()];
    const key = newKey();

    const a = await alice()('POST', `/v1/transfers/${first}/reverse`, undefined, { 'idempotency-key': key });
    const b = await bob()('POST', `/v1/transfers/${second}/reverse`, undefined, { 'idempotency-key': key });
    const aAgain = await alice()('POST', `/v1/transfers/${first}/reverse`, undefined, { 'idempotency-key': key });

    expect([a.status, b.status, aAgain.status]).toEqual([200, 200, 200]);
    expect(b.body.reversal.id).not.toBe(a.body.reversal.id);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(aAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(aAgain.body.reversal.id).toBe(a.body.reversal.id);
  });
});

describe('the per-principal write limit', () => {
  it('when a principal passes its writes a minute, then 429 problem with Retry-After; its reads and another principal pass', async () => {
    const [carolId, daveId] = [`carol-${randomUUID()}`, `dave-${randomUUID()}`];
    const limited = await startPrincipalGateway(transfers, { principals: [carolId, daveId], writeRateLimitPerMinute: 3 });
    try {
      const carol = limited.as(carolId);
      const dave = limited.as(daveId);
      // Invalid bodies: each counts as a write, none writes anything.
      const writes = [];
      for (let i = 0; i < 4; i += 1) writes.push(await carol('POST', '/v1/transfers', {}, { 'idempotency-key': newKey() }));
      const read = await carol('GET', `/v1/accounts/${from}`);
      const other = await dave('POST', '/v1/transfers', {}, { 'idempotency-key': newKey() });

      expect(writes.map((w) => w.status)).toEqual([400, 400, 400, 429]);
      const refused = writes[3];
      if (!refused) throw new Error('the fourth write is missing');
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', title: 'Too many requests' });
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect([read.status, other.status]).toEqual([200, 400]);
    } finally {
      await limited.close();
    }
  });
});

describe('the audit trail', () => {
  it('when a principal writes, then its request is recorded with route, resource, status and trace, and GET /v1/audit finds it', async () => {
    const principal = AUDITEE;
    const as = gateway.as(principal);
    const created = await as('POST', '/v1/transfers', transfer(from, to, '7'), { 'idempotency-key': newKey() });
    const refused = await as('POST', `/v1/transfers/${created.body.id}/approve`);
    await as('GET', `/v1/transfers/${created.body.id}`);

    const page = await eventually(() => as('GET', `/v1/audit?principal=${principal}`), (r) => r.status === 200 && r.body.items.length >= 2);

    // Each event is written when its response finishes, without waiting: their order is not asserted.
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items).toEqual(expect.arrayContaining([
      expect.objectContaining({ principal, method: 'POST', route: '/v1/transfers/:id/approve', resourceId: created.body.id, status: refused.status }),
      expect.objectContaining({
        principal,
        method: 'POST',
        route: '/v1/transfers',
        path: '/v1/transfers',
        resourceId: created.body.id,
        status: 201,
        traceId: created.headers.get('x-trace-id'),
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      }),
    ]));
    expect(page.body.nextCursor).toBeNull();

    const first = await as('GET', `/v1/audit?principal=${principal}&limit=1`);
    const second = await as('GET', `/v1/audit?principal=${principal}&limit=1&cursor=${first.body.nextCursor}`);
    expect([first.body.items[0].id, second.body.items[0].id]).toEqual(page.body.items.map((i: { id: string }) => i.id));
    expect(second.body.nextCursor).toBeNull();

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await as('GET', `/v1/audit?principal=${principal}&since=${future}`)).body.items).toEqual([]);
    expect((await as('GET', `/v1/audit?principal=${principal}&until=${future}`)).body.items).toHaveLength(2);
    // An empty window is an empty page, and an offset PostgreSQL would refuse (past ±15:59) still names an instant.
    const empty = await as('GET', `/v1/audit?principal=${principal}&since=${future}&until=${future}`);
    expect([empty.status, empty.body.items]).toEqual([200, []]);
    const farOffset = await as('GET', `/v1/audit?principal=${principal}&until=${encodeURIComponent('8621-02-06T10:31:37.047945-16:19')}`);
    expect([farOffset.status, farOffset.body.items.length]).toEqual([200, 2]);
  });

  it.each([
    ['since=yesterday', 'since'],
    ['until=2026-13-01T00:00:00Z', 'until'],
    ['since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
    ['since=2000-01-01T00:00:00Z&until=', 'until'],
    ['since=soon&until=2026-01-01T00:00:00Z', 'since'],
    ['limit=0', 'limit'],
    ['cursor=forged', 'cursor'],
    ['principal=', 'principal'],
  ])('when GET /v1/audit has %s, then 400 naming %s', async (query, field) => {
    const answer = await alice()('GET', `/v1/audit?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('when anyone updates or deletes an audit event, then the database refuses it', async () => {
    await expect(transfers.query(`UPDATE audit_events SET status = 200 WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(/append-only/);
    await expect(transfers.query(`DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)`)).rejects.toThrow(/append-only/);
  });
});
