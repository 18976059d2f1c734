/**
 * Proves the rebuild (services/read-model/rebuild): live projections, in a
 * schema of this run's own, are fed accounts, entries, holds and a
 * redelivery through the real topics until the API shows them; then the live
 * tables are deliberately damaged, and the rebuild runs in process against the
 * same topics, replaying them from the beginning into a shadow schema that it
 * swaps in place of the live one. The API must then answer exactly what it
 * answered before the damage, and the live consumer, which ran all along,
 * must go on applying new events into the swapped-in tables. The ledger the
 * rebuild compares its balances with is a fake holding this test's accounts.
 *
 * The topics are shared, so the rebuild replays everything they hold (other
 * services' tests and benchmarks included): the time limit is generous.
 * A second test proves that a rebuild refuses to run beside another one.
 */
import { randomUUID } from 'node:crypto';
import { firstOf } from '../../lib/assert';
import { rebuildProjections } from './rebuild/rebuild-projections';
import { accountCreated, entryPosted, holdEvent, newAccount, newHold, TestLedger } from '../../test/read-model/support/events';
import { eventually, ReadModelHarness } from '../../test/read-model/support/harness';
import { fakeLedgerBalances, ledgerBalanceRow } from '../../test/read-model/support/ledger-balances';

const REBUILD_TIMEOUT_MS = 14 * 60_000;

describe('read model rebuild', () => {
  let readModel: ReadModelHarness;

  beforeAll(async () => {
    readModel = await ReadModelHarness.start();
  });

  afterAll(async () => {
    await readModel?.stop();
  });

  /** What the API says about an account: balance now, at an instant, and the whole statement. */
  const viewOf = async (accountId: string) => {
    const [balance, pastBalance, statement] = await Promise.all([
      readModel.get(`/accounts/${accountId}/balance`),
      readModel.get(`/accounts/${accountId}/balance?asOf=2026-03-01T10:01:00.000Z`),
      readModel.get(`/accounts/${accountId}/statement?limit=200`),
    ]);
    // asOf of a current balance is the time of the answer; everything else must match exactly.
    const { asOf: _answeredAt, ...current } = balance.body;
    return { status: [balance.status, pastBalance.status, statement.status], current, past: pastBalance.body, statement: statement.body };
  };

  it(
    'when the projections are rebuilt from the topics, then balances and statements equal the live ones and new events still apply',
    async () => {
      const customer = newAccount();
      const merchant = newAccount();
      const funding = newAccount('USD', 'unlimited');
      const ledger = new TestLedger();
      const topUp = ledger.post({ fromAccountId: funding.id, toAccountId: customer.id, amountMinor: 5000n, postedAt: '2026-03-01T10:00:00.000Z' });
      const purchase = ledger.post({ fromAccountId: customer.id, toAccountId: merchant.id, amountMinor: 1200n, postedAt: '2026-03-01T10:02:00.000Z' });
      const openHold = newHold(customer.id, merchant.id, 300n);
      const capturedHold = newHold(customer.id, merchant.id, 1200n);
      await readModel.publish(
        ...[customer, merchant, funding].map(accountCreated),
        ...entryPosted(topUp),
        holdEvent(capturedHold, 'reserved'),
        holdEvent(capturedHold, 'captured', purchase.entryId),
        ...entryPosted(purchase),
        ...entryPosted(purchase), // redelivered, with the same event ids
        holdEvent(openHold, 'reserved'),
      );
      await eventually(async () => {
        expect((await readModel.get(`/accounts/${customer.id}/balance`)).body).toMatchObject({ posted: '3800', pending: '300', available: '3500' });
        expect((await readModel.get(`/accounts/${merchant.id}/balance`)).body).toMatchObject({ posted: '1200' });
      });
      const accounts = [customer.id, merchant.id, funding.id];
      const before = await Promise.all(accounts.map(viewOf));
      const customerBefore = firstOf(before, 'the views before');
      expect(customerBefore.statement).toMatchObject({ items: [{ balanceAfter: '5000' }, { balanceAfter: '3800' }], nextCursor: null });
      expect(customerBefore.past).toMatchObject({ posted: '5000' });

      // Damage the live projections, as a bug or a bad manual fix would.
      await readModel.pool.query('UPDATE balances SET posted_minor = posted_minor + 999, pending_minor = 0 WHERE account_id = $1', [customer.id]);
      await readModel.pool.query('DELETE FROM statement_lines WHERE account_id = $1', [merchant.id]);
      expect((await readModel.get(`/accounts/${customer.id}/balance`)).body).toMatchObject({ posted: '4799', pending: '0' });

      const ledgerBalances = fakeLedgerBalances([
        ledgerBalanceRow(customer.id, 3800n, 300n),
        ledgerBalanceRow(merchant.id, 1200n),
        ledgerBalanceRow(funding.id, -5000n),
      ]);
      const report = await rebuildProjections({
        config: readModel.config,
        logger: readModel.logger,
        ledger: ledgerBalances,
        liveSchema: readModel.schema,
        timeoutMs: REBUILD_TIMEOUT_MS,
      });

      expect(report.swapAttempts).toBeGreaterThanOrEqual(1);
      expect(await Promise.all(accounts.map(viewOf))).toEqual(before);
      const { rows } = await readModel.pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [`${readModel.schema}%`]);
      expect(rows.map((row) => row.nspname)).toEqual([readModel.schema]);

      // The live consumer kept running through the swap and now writes into the rebuilt tables.
      const refund = ledger.post({ fromAccountId: merchant.id, toAccountId: customer.id, amountMinor: 200n, postedAt: '2026-03-01T10:03:00.000Z', transferId: randomUUID() });
      await readModel.publish(...entryPosted(refund));
      await eventually(async () => {
        expect((await readModel.get(`/accounts/${customer.id}/balance`)).body).toMatchObject({ posted: '4000', pending: '300', available: '3700' });
        expect((await readModel.get(`/accounts/${merchant.id}/statement`)).body).toMatchObject({ items: [{ balanceAfter: '1200' }, { balanceAfter: '1000' }] });
      });
    },
    REBUILD_TIMEOUT_MS + 60_000,
  );

  it('when a rebuild of the same schema is already running, then a second one refuses and leaves the live tables alone', async () => {
    const account = newAccount();
    await readModel.publish(accountCreated(account));
    await eventually(async () => expect((await readModel.get(`/accounts/${account.id}/balance`)).status).toBe(200));
    const running = await readModel.pool.connect();
    try {
      // What a running rebuild holds (rebuild-projections.ts lockOutOtherRebuilds).
      await running.query('SELECT pg_advisory_lock(hashtext($1))', [`read-model-rebuild:${readModel.schema}`]);

      const ledger = fakeLedgerBalances([]);
      await expect(rebuildProjections({ config: readModel.config, logger: readModel.logger, ledger, liveSchema: readModel.schema })).rejects.toThrow(
        /another rebuild/,
      );

      expect((await readModel.get(`/accounts/${account.id}/balance`)).status).toBe(200);
    } finally {
      await running.query('SELECT pg_advisory_unlock(hashtext($1))', [`read-model-rebuild:${readModel.schema}`]);
      running.release();
    }
  });
});
