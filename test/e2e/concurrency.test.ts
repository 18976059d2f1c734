/**
 * End to end under contention: 100 transfers posted at once out of one account
 * with a credit limit. Exactly the affordable number post, the rest fail with
 * INSUFFICIENT_FUNDS, and afterwards the contract's invariants hold in the
 * real databases (posted sums zero, one entry per posted transfer, no
 * available below its limit, read model equal to the ledger).
 */
import { required } from '../../lib/assert';
import {
  availableWithinLimits,
  invariantPools,
  noTransferPending,
  postedSumsAreZero,
  postedTransfersHaveOneEntry,
  readModelMatchesLedger,
  type InvariantPools,
} from '../support/invariants';
import { api, createAccount, ensureSystem, eventually, newKey, settle, transfer } from '../support/system';

let pools: InvariantPools;
beforeAll(() => {
  ensureSystem();
  pools = invariantPools();
}, 10 * 60_000);
afterAll(() => pools?.close());

it('when 100 transfers drain one account at once, then exactly the affordable ones post and the invariants hold', async () => {
  // A credit limit of 1000 and nothing posted: 66 transfers of 15 fit (990), the 67th would not.
  const source = await createAccount('GBP', '1000');
  const targets = await Promise.all(Array.from({ length: 4 }, () => createAccount('GBP')));

  const created = await Promise.all(
    Array.from({ length: 100 }, (_, i) => api.post('/v1/transfers', transfer(source, required(targets[i % targets.length], 'a target'), '15', 'GBP'), { 'Idempotency-Key': newKey() })),
  );
  expect(created.map((c) => c.status)).toEqual(Array(100).fill(201));
  // Bounded, and generous: 100 sagas on a 2-core machine that also runs every service.
  const settled = await Promise.all(created.map((c) => settle(c.body.id, 180_000)));

  const tally: Record<string, number> = {};
  for (const s of settled) tally[`${s.body.status}:${s.body.failureCode}`] = (tally[`${s.body.status}:${s.body.failureCode}`] ?? 0) + 1;
  expect(tally).toEqual({ 'posted:null': 66, 'failed:INSUFFICIENT_FUNDS': 34 });

  const ids = created.map((c) => c.body.id);
  const accounts = [source, ...targets];
  expect(await noTransferPending(pools, ids)).toEqual([]);
  expect(await postedTransfersHaveOneEntry(pools, ids)).toEqual([]);
  expect(await postedSumsAreZero(pools)).toEqual([]);
  expect(await availableWithinLimits(pools)).toEqual([]);
  const converged = await eventually(() => readModelMatchesLedger(pools, accounts), (v) => v.length === 0);
  expect(converged).toEqual([]);
  expect((await api.get(`/v1/accounts/${source}/balance`)).body).toMatchObject({ posted: '-990', pending: '0', available: '-990' });
}, 5 * 60_000);
