/**
 * Proves the rebuild never swaps in a projection of part of the history.
 * Against the real Kafka and PostgreSQL, on topics of this run's own (one
 * partition each): accounts and two transfers are published, and a first
 * rebuild of a schema of this run's own swaps in the right balances. Then
 *
 * - the first records of the entry partition are deleted, as retention
 *   would: a second rebuild must refuse, naming the partition and its log
 *   start, and the live balances must be those of the first rebuild;
 * - with the log whole, the ledger reports a balance the events do not add
 *   up to (as after a topic was deleted and created again): the rebuild must
 *   refuse, naming the account, and leave the live balances alone.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../lib/config';
import { createLogger } from '../../../lib/logger';
import { createPool, type Pool } from '../../../lib/pg';
import { bindPoolToSchema, dropSchema, prepareSchema } from '../db/schema';
import { rebuildProjections, type RebuildOptions } from './rebuild-projections';
import { accountCreated, entryPosted, newAccount, TestLedger } from '../../../test/read-model/support/events';
import { DedicatedTopics } from '../../../test/read-model/support/dedicated-topics';
import { fakeLedgerBalances, ledgerBalanceRow } from '../../../test/read-model/support/ledger-balances';

describe('read model rebuild from an incomplete log', () => {
  const config = loadConfig();
  const logger = createLogger('read-model-rebuild-test', process.env.LOG_LEVEL ?? 'warn');
  const customer = newAccount();
  const merchant = newAccount();
  const funding = newAccount('USD', 'unlimited');
  const rightBalances = () => [ledgerBalanceRow(customer.id, 3800n), ledgerBalanceRow(merchant.id, 1200n), ledgerBalanceRow(funding.id, -5000n)];
  let topics: DedicatedTopics;
  let schema: string;
  let pool: Pool;

  const rebuild = (options: Partial<RebuildOptions> = {}) =>
    rebuildProjections({ config, logger, ledger: fakeLedgerBalances(rightBalances()), liveSchema: schema, topics: topics.names, timeoutMs: 120_000, ...options });

  const liveBalances = async () => {
    const { rows } = await pool.query<{ account_id: string; posted_minor: string }>('SELECT account_id, posted_minor::text AS posted_minor FROM balances ORDER BY account_id');
    return Object.fromEntries(rows.map((row) => [row.account_id, row.posted_minor]));
  };

  const schemasOfThisRun = async () => {
    const { rows } = await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname', [`${schema}%`]);
    return rows.map((row) => row.nspname);
  };

  beforeEach(async () => {
    topics = await DedicatedTopics.create(config);
    schema = `rm_test_${randomBytes(5).toString('hex')}`;
    pool = createPool(config, 'readmodel', { applicationName: 'read-model-rebuild-test', maxConnections: 2 });
    bindPoolToSchema(pool, schema);
    await prepareSchema(pool, schema);
    const ledger = new TestLedger();
    const topUp = ledger.post({ fromAccountId: funding.id, toAccountId: customer.id, amountMinor: 5000n, postedAt: '2026-03-01T10:00:00.000Z' });
    const purchase = ledger.post({ fromAccountId: customer.id, toAccountId: merchant.id, amountMinor: 1200n, postedAt: '2026-03-01T10:02:00.000Z' });
    // One partition: the top-up's two events are offsets 0 and 1, the purchase's 2 and 3.
    await topics.publish(...[customer, merchant, funding].map(accountCreated), ...entryPosted(topUp), ...entryPosted(purchase));
    await rebuild();
    expect(await liveBalances()).toEqual({ [customer.id]: '3800', [merchant.id]: '1200', [funding.id]: '-5000' });
  });

  afterEach(async () => {
    await dropSchema(pool, schema);
    await pool.end();
    await topics.remove();
  });

  it('when a partition no longer starts at offset 0, then the rebuild refuses, names it, and the live tables keep their balances', async () => {
    const before = await liveBalances();
    await topics.deleteBefore(topics.names.entry, 2n);

    await expect(rebuild()).rejects.toThrow(`${topics.names.entry} partition 0 starts at offset 2`);

    expect(await liveBalances()).toEqual(before);
    expect(await schemasOfThisRun()).toEqual([schema]);
  });

  it('when the rebuilt balances differ from the ledger\'s, then the rebuild refuses, names the account, and the live tables keep their balances', async () => {
    const before = await liveBalances();
    const ledger = fakeLedgerBalances([...rightBalances().filter((row) => row.accountId !== customer.id), ledgerBalanceRow(customer.id, 3900n)]);

    await expect(rebuild({ ledger })).rejects.toThrow(`${customer.id} ledger posted 3900 pending 0, rebuilt posted 3800 pending 0`);

    expect(await liveBalances()).toEqual(before);
    expect(await schemasOfThisRun()).toEqual([schema]);
  });
});
