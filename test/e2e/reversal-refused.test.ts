/**
 * Proves a reversal the ledger refuses through the real gateway, worker,
 * ledger and Temporal dev server: the destination of a posted transfer has
 * passed the money on, so reversing would take it below its credit limit.
 * `reverse` answers at once (the refusal's notification wakes it, well under
 * the 10 s cap) with the transfer still `posted` and its reversal `refused`,
 * INSUFFICIENT_FUNDS, and no balance moves; the same Idempotency-Key replays
 * that answer. A new key asks again: refused again while the money is still
 * missing (a new reversal each time), and once the destination is funded the
 * transfer is reversed, its balances moved back exactly once. Balances and
 * entries are read in the ledger's own database (exact, no projection lag).
 */
import type { JsonAnswer } from '../support/service';
import { firstOf } from '../../lib/assert';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { api, createAccount, ensureSystem, fund, newKey, transfer, transferAndSettle } from '../support/system';
import { WAIT_MS_MAX } from '../../api/transfers';

let pools: InvariantPools;

beforeAll(async () => {
  ensureSystem();
  pools = invariantPools();
}, 10 * 60_000);

afterAll(async () => {
  await pools?.close();
});

const reverse = (id: string, key: string) => api.post(`/v1/transfers/${id}/reverse`, undefined, { 'Idempotency-Key': key });

/** The answer and how long it took. */
async function timed(request: () => Promise<JsonAnswer>): Promise<{ answer: JsonAnswer; ms: number }> {
  const started = Date.now();
  const answer = await request();
  return { answer, ms: Date.now() - started };
}

/** Posted balances in the ledger, by account, as strings of minor units. */
async function postedBalances(accountIds: string[]): Promise<Record<string, string>> {
  const { rows } = await pools.ledger.query<{ account_id: string; posted: string }>(
    'SELECT account_id, posted_minor::text AS posted FROM ledger_accounts WHERE account_id = ANY($1::uuid[])',
    [accountIds],
  );
  return Object.fromEntries(rows.map((r) => [r.account_id, r.posted]));
}

async function reversalEntries(transferId: string): Promise<number> {
  const { rows } = await pools.ledger.query<{ n: number }>('SELECT count(*)::int AS n FROM entries WHERE transfer_id = $1 AND reverses_entry_id IS NOT NULL', [transferId]);
  return firstOf(rows, 'the count').n;
}

/**
 * A → B 300 posted (A may go 1000 below zero, B not at all), then B → C 300:
 * B holds nothing, so reversing A → B would take B to −300.
 */
async function drainedTransfer(): Promise<{ id: string; a: string; b: string; c: string }> {
  const [a, b, c] = [await createAccount('USD', '1000'), await createAccount('USD'), await createAccount('USD')];
  const posted = await transferAndSettle(transfer(a, b, '300'));
  expect(posted.body.status).toBe('posted');
  expect((await transferAndSettle(transfer(b, c, '300'))).body.status).toBe('posted');
  return { id: posted.body.id, a, b, c };
}

const refusedReversal = {
  status: 'refused',
  entryId: null,
  failureCode: 'INSUFFICIENT_FUNDS',
  failureMessage: expect.stringContaining('below its credit limit'),
};

describe('a reversal the ledger refuses', () => {
  it('when the destination no longer holds the money, then reverse answers at once: the transfer posted, its reversal refused INSUFFICIENT_FUNDS, no balance moved; the same key replays it', async () => {
    const { id, a, b, c } = await drainedTransfer();
    const before = await postedBalances([a, b, c]);
    const key = newKey();

    const { answer, ms } = await timed(() => reverse(id, key));

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, status: 'posted', failureCode: null, reversal: { ...refusedReversal, traceId: answer.headers.get('x-trace-id') } });
    // Woken by the refusal's notification: one that never came would answer at the cap, `pending`.
    expect(ms).toBeLessThan(WAIT_MS_MAX / 2);
    expect(before).toEqual({ [a]: '-300', [b]: '0', [c]: '300' });
    expect(await postedBalances([a, b, c])).toEqual(before);
    expect(await reversalEntries(id)).toBe(0);

    const replay = await reverse(id, key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(answer.body);
    expect((await api.get(`/v1/transfers/${id}`)).body).toEqual(answer.body);
  });

  it('when a new key asks again, then it is refused again while the money is missing, and once the destination is funded the transfer is reversed, its balances moved back exactly once', async () => {
    const { id, a, b, c } = await drainedTransfer();
    const firstKey = newKey();
    const first = await reverse(id, firstKey);
    expect(first.body.reversal).toMatchObject(refusedReversal);

    const again = await reverse(id, newKey());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'posted', reversal: refusedReversal });
    expect(again.body.reversal.id).not.toBe(first.body.reversal.id);

    await fund(b, '300');
    const { answer: funded, ms } = await timed(() => reverse(id, newKey()));

    expect(funded.status).toBe(200);
    expect(funded.headers.get('idempotent-replayed')).toBeNull();
    expect(funded.body).toMatchObject({ status: 'reversed', reversal: { status: 'posted', entryId: expect.any(String), failureCode: null, failureMessage: null } });
    expect(new Set([first.body.reversal.id, again.body.reversal.id, funded.body.reversal.id]).size).toBe(3);
    expect(ms).toBeLessThan(WAIT_MS_MAX / 2);
    expect(await postedBalances([a, b, c])).toEqual({ [a]: '0', [b]: '0', [c]: '300' });
    expect(await reversalEntries(id)).toBe(1);

    // The refused request's key replays the transfer as it now stands; a key of its own is too late.
    const replay = await reverse(id, firstKey);
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body.reversal]).toEqual([200, 'true', funded.body.reversal]);
    expect((await reverse(id, newKey())).body).toMatchObject({ status: 409, code: 'ALREADY_REVERSED' });
  });
});
