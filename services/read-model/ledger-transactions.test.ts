/**
 * Proves, against the real PostgreSQL and Kafka, that the read model only
 * ever shows balances the ledger really had: the events of one ledger
 * transaction (a capture's two entry legs on two partitions and its
 * hold.captured on another topic; two transactions of one account) are
 * produced one at a time, in the worst order, and between two of them the
 * test waits until the read model has recorded the event (processed_events
 * of its schema), then reads balances over HTTP: each account's balance must
 * be one of the states the ledger went through, available never below
 * −creditLimit, and the posted sum of the accounts involved zero.
 */
import { randomUUID } from 'node:crypto';
import type { ReadModelBalancePageDto } from '../../lib/contracts/read-model';
import { accountCreated, newAccount, newHold, type Publication } from '../../test/read-model/support/events';
import { eventually, ReadModelHarness } from '../../test/read-model/support/harness';
import { StampedLedger, type AccountState } from '../../test/read-model/support/ledger-transactions';

interface Balance {
  posted: string;
  pending: string;
  available: string;
}

describe('read model, ledger transactions applied whole', () => {
  let readModel: ReadModelHarness;

  beforeAll(async () => {
    readModel = await ReadModelHarness.start();
  });

  afterAll(async () => {
    await readModel?.stop();
  });

  const balanceOf = async (accountId: string): Promise<Balance> => {
    const answer = await readModel.get<Balance>(`/accounts/${accountId}/balance`);
    expect(answer.status).toBe(200);
    return answer.body;
  };

  /** Publishes one event and waits until the read model has recorded it (applied or kept for later). */
  const deliver = async (publication: Publication) => {
    await readModel.publish(publication);
    await eventually(async () => {
      const { rowCount } = await readModel.pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [publication.envelope.eventId]);
      expect(rowCount).toBe(1);
    });
  };

  const asShown = (state: AccountState) => ({
    posted: state.postedMinor.toString(),
    pending: state.pendingMinor.toString(),
    available: (state.postedMinor - state.pendingMinor).toString(),
  });

  /** The balance shown is one of `states` (the account's states in the ledger), with available within the limit. */
  const expectOneOf = async (accountId: string, states: AccountState[], creditLimitMinor = 0n) => {
    const balance = await balanceOf(accountId);
    expect(BigInt(balance.available)).toBeGreaterThanOrEqual(-creditLimitMinor);
    expect(states.map(asShown)).toContainEqual({ posted: balance.posted, pending: balance.pending, available: balance.available });
  };

  const postedSum = async (accountIds: string[]) => {
    const query = accountIds.map((id) => `accountId=${id}`).join('&');
    const answer = await readModel.get<ReadModelBalancePageDto>(`/balances?${query}`);
    expect(answer.status).toBe(200);
    return answer.body.items.reduce((sum, item) => sum + BigInt(item.postedMinor), 0n);
  };

  it('when a capture\'s events arrive one by one (source leg, destination leg, hold.captured), then every read in between shows a state the ledger had', async () => {
    const customer = newAccount('USD', '0');
    const merchant = newAccount('USD', '0');
    const funding = newAccount('USD', 'unlimited');
    const ids = [customer.id, merchant.id, funding.id];
    await readModel.publish(accountCreated(customer), accountCreated(merchant), accountCreated(funding));
    const ledger = new StampedLedger();
    const hold = newHold(customer.id, merchant.id, 1000n);
    await readModel.publish(...ledger.transfer(funding.id, customer.id, 1000n), ...ledger.reserve(hold));
    await eventually(async () => expect(await balanceOf(customer.id)).toMatchObject({ posted: '1000', pending: '1000', available: '0' }));

    const before = { customer: ledger.stateOf(customer.id), merchant: ledger.stateOf(merchant.id) };
    const [sourceLeg, destinationLeg, captured] = ledger.capture(hold);
    const after = { customer: ledger.stateOf(customer.id), merchant: ledger.stateOf(merchant.id) };

    for (const event of [sourceLeg, destinationLeg]) {
      await deliver(event);
      await expectOneOf(customer.id, [before.customer, after.customer]);
      await expectOneOf(merchant.id, [before.merchant, after.merchant]);
      expect(await postedSum(ids)).toBe(0n);
    }
    await deliver(captured);
    await eventually(async () => expect(await balanceOf(customer.id)).toEqual(expect.objectContaining(asShown(after.customer))));
    expect(await balanceOf(merchant.id)).toEqual(expect.objectContaining(asShown(after.merchant)));
    expect(await postedSum(ids)).toBe(0n);
  });

  it('when an account\'s second transaction arrives before its first, then the second waits and the balance goes from the first state to the next', async () => {
    const customer = newAccount('USD', '0');
    const funding = newAccount('USD', 'unlimited');
    await readModel.publish(accountCreated(customer), accountCreated(funding));
    const ledger = new StampedLedger();
    const initial = ledger.stateOf(customer.id);
    const first = ledger.transfer(funding.id, customer.id, 10n);
    const second = ledger.transfer(funding.id, customer.id, 20n);
    const afterBoth = ledger.stateOf(customer.id);

    for (const event of second) {
      await deliver(event);
      await expectOneOf(customer.id, [initial]);
    }
    expect(await postedSum([customer.id, funding.id])).toBe(0n);
    for (const event of first) await deliver(event);
    await eventually(async () => expect(await balanceOf(customer.id)).toEqual(expect.objectContaining(asShown(afterBoth))));
    expect(await postedSum([customer.id, funding.id])).toBe(0n);
  });

  it('when a transaction arrives again after it was applied, under new event ids, then it changes nothing', async () => {
    const customer = newAccount('USD', '0');
    const funding = newAccount('USD', 'unlimited');
    await readModel.publish(accountCreated(customer), accountCreated(funding));
    const ledger = new StampedLedger();
    const transfer = ledger.transfer(funding.id, customer.id, 30n);
    for (const event of transfer) await deliver(event);
    await eventually(async () => expect(await balanceOf(customer.id)).toMatchObject({ posted: '30' }));

    for (const event of transfer) await deliver({ ...event, envelope: { ...event.envelope, eventId: randomUUID() } });
    const marker = ledger.transfer(funding.id, customer.id, 1n);
    for (const event of marker) await deliver(event);
    await eventually(async () => expect(await balanceOf(customer.id)).toMatchObject({ posted: '31' }));
    expect(await postedSum([customer.id, funding.id])).toBe(0n);
  });
});
