/**
 * Proves the read model's projections and query API against the real
 * PostgreSQL and Kafka: events shaped as the accounts and ledger services
 * publish them are produced to the real topics (fresh UUID account ids, so
 * nothing else interferes), the service's own consumer applies them into a
 * schema made for this run, and the tests poll the HTTP API (booted from
 * server.ts on port 0) until it shows the expected values. Redelivery and
 * out-of-order arrival are produced for real, and each is followed by a later
 * event on the same partition, so once that later event shows, the earlier
 * ones are known to have been handled.
 */
import { randomUUID } from 'node:crypto';
import { TOPICS } from '../../lib/kafka';
import { accountCreated, entryPosted, holdEvent, newAccount, newHold, TestLedger } from '../../test/read-model/support/events';
import { eventually, ReadModelHarness } from '../../test/read-model/support/harness';

interface Balance {
  accountId: string;
  currency: string;
  posted: string;
  pending: string;
  available: string;
  asOf: string;
}
interface StatementItem {
  entryId: string;
  transferId: string | null;
  postedAt: string;
  direction: string;
  amount: string;
  balanceAfter: string;
  description: string;
}
interface Statement {
  items: StatementItem[];
  nextCursor: string | null;
}
interface ProblemBody {
  type: string;
  status: number;
  errors?: { field: string; message: string }[];
}

describe('read model', () => {
  let readModel: ReadModelHarness;

  beforeAll(async () => {
    readModel = await ReadModelHarness.start();
  });

  afterAll(async () => {
    await readModel?.stop();
  });

  const balanceOf = async (accountId: string, query = '') => {
    const answer = await readModel.get<Balance>(`/accounts/${accountId}/balance${query}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const statementOf = async (accountId: string, query = '') => {
    const answer = await readModel.get<Statement>(`/accounts/${accountId}/statement${query}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const untilPosted = (accountId: string, posted: string) =>
    eventually(async () => {
      const balance = await balanceOf(accountId);
      expect(balance.posted).toBe(posted);
      return balance;
    });

  /** An account with three entries at known instants, shared by the statement, pagination and asOf tests. */
  const customer = newAccount();
  const funding = newAccount('USD', 'unlimited');
  const ledger = new TestLedger();
  const topUp = ledger.post({ fromAccountId: funding.id, toAccountId: customer.id, amountMinor: 1000n, postedAt: '2026-01-01T10:00:00.000Z', description: 'top up' });
  const bonus = ledger.post({ fromAccountId: funding.id, toAccountId: customer.id, amountMinor: 250n, postedAt: '2026-01-01T10:05:00.000Z', description: 'bonus' });
  const fee = ledger.post({ fromAccountId: customer.id, toAccountId: funding.id, amountMinor: 100n, postedAt: '2026-01-01T10:10:00.000Z', description: 'fee' });
  const entries = [topUp, bonus, fee];

  it('when an account is created and entries are posted, then the balance and statement show them with the ledger balanceAfter', async () => {
    await readModel.publish(accountCreated(customer), accountCreated(funding), ...entries.flatMap(entryPosted));

    const balance = await untilPosted(customer.id, '1150');
    expect(balance).toMatchObject({ accountId: customer.id, currency: 'USD', posted: '1150', pending: '0', available: '1150' });
    expect(balance.asOf).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await untilPosted(funding.id, '-1150')).available).toBe('-1150');

    const statement = await statementOf(customer.id);
    expect(statement.nextCursor).toBeNull();
    expect(statement.items).toEqual([
      { entryId: topUp.entryId, transferId: topUp.transferId, postedAt: '2026-01-01T10:00:00.000Z', direction: 'credit', amount: '1000', balanceAfter: '1000', description: 'top up' },
      { entryId: bonus.entryId, transferId: bonus.transferId, postedAt: '2026-01-01T10:05:00.000Z', direction: 'credit', amount: '250', balanceAfter: '1250', description: 'bonus' },
      { entryId: fee.entryId, transferId: fee.transferId, postedAt: '2026-01-01T10:10:00.000Z', direction: 'debit', amount: '100', balanceAfter: '1150', description: 'fee' },
    ]);
    const fundingStatement = await statementOf(funding.id);
    expect(fundingStatement.items.map((item) => [item.direction, item.balanceAfter])).toEqual([
      ['debit', '-1000'],
      ['debit', '-1250'],
      ['credit', '-1150'],
    ]);
  });

  it('when a statement is read with limit 2, then the cursor pages through every line once, oldest first, and the last page has no cursor', async () => {
    await untilPosted(customer.id, '1150');

    const first = await statementOf(customer.id, '?limit=2');
    expect(first.items.map((item) => item.entryId)).toEqual([topUp.entryId, bonus.entryId]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await statementOf(customer.id, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((item) => item.entryId)).toEqual([fee.entryId]);
    expect(second.nextCursor).toBeNull();

    // The bounds of limit, both accepted.
    expect((await statementOf(customer.id, '?limit=1')).items).toHaveLength(1);
    expect((await statementOf(customer.id, '?limit=200')).items).toHaveLength(3);
  });

  it('when a statement is read with from and to, then only lines posted in [from, to) are listed', async () => {
    await untilPosted(customer.id, '1150');

    const fromSecond = await statementOf(customer.id, '?from=2026-01-01T10:05:00.000Z');
    expect(fromSecond.items.map((item) => item.balanceAfter)).toEqual(['1250', '1150']);
    const beforeSecond = await statementOf(customer.id, '?to=2026-01-01T10:05:00.000Z');
    expect(beforeSecond.items.map((item) => item.balanceAfter)).toEqual(['1000']);
  });

  it('when a balance is asked as of an instant, then posted is the balanceAfter of the last line at or before it, pending is 0', async () => {
    await untilPosted(customer.id, '1150');

    const asOf = async (instant: string) => balanceOf(customer.id, `?asOf=${encodeURIComponent(instant)}`);
    expect(await asOf('2026-01-01T09:59:59.999Z')).toMatchObject({ posted: '0', pending: '0', available: '0', asOf: '2026-01-01T09:59:59.999Z' });
    expect((await asOf('2026-01-01T10:00:00.000Z')).posted).toBe('1000');
    expect(await asOf('2026-01-01T10:07:00Z')).toMatchObject({ posted: '1250', pending: '0', available: '1250', asOf: '2026-01-01T10:07:00.000Z' });
    // The same instant written with an offset.
    expect(await asOf('2026-01-01T11:07:00+01:00')).toMatchObject({ posted: '1250', asOf: '2026-01-01T10:07:00.000Z' });
    expect((await asOf('2030-01-01T00:00:00.000Z')).posted).toBe('1150');
  });

  it('when a hold is reserved, then pending counts it and available drops; when it is captured, then pending is 0 and the entry is posted', async () => {
    const payer = newAccount();
    const payee = newAccount();
    const holdLedger = new TestLedger();
    const funded = holdLedger.post({ fromAccountId: payee.id, toAccountId: payer.id, amountMinor: 1000n, postedAt: new Date().toISOString() });
    await readModel.publish(accountCreated(payer), ...entryPosted(funded));
    await untilPosted(payer.id, '1000');

    const hold = newHold(payer.id, payee.id, 300n);
    await readModel.publish(holdEvent(hold, 'reserved'));
    await eventually(async () => expect(await balanceOf(payer.id)).toMatchObject({ posted: '1000', pending: '300', available: '700' }));

    const capture = holdLedger.post({ fromAccountId: payer.id, toAccountId: payee.id, amountMinor: 300n, postedAt: new Date().toISOString(), transferId: hold.transferId });
    await readModel.publish(holdEvent(hold, 'captured', capture.entryId), ...entryPosted(capture));
    await eventually(async () => expect(await balanceOf(payer.id)).toMatchObject({ posted: '700', pending: '0', available: '700' }));
  });

  it('when a hold is reserved and then voided, then pending returns to 0 and posted is unchanged', async () => {
    const payer = newAccount();
    await readModel.publish(accountCreated(payer));
    const hold = newHold(payer.id, randomUUID(), 450n);

    await readModel.publish(holdEvent(hold, 'reserved'));
    await eventually(async () => expect(await balanceOf(payer.id)).toMatchObject({ posted: '0', pending: '450', available: '-450' }));
    await readModel.publish(holdEvent(hold, 'voided'));
    await eventually(async () => expect(await balanceOf(payer.id)).toMatchObject({ posted: '0', pending: '0', available: '0' }));
  });

  /** The value of events_skipped_total for duplicates on `topic`, from /metrics. */
  const duplicatesSkipped = async (topic: string) => {
    const metrics = (await readModel.get<string>('/metrics')).body;
    const line = metrics.split('\n').find((l) => l.startsWith('events_skipped_total{') && l.includes(`topic="${topic}"`) && l.includes('reason="duplicate"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('when the same events are delivered twice, then the second delivery is recognised as a duplicate and the balance, pending and statement count them once', async () => {
    const duplicatesBefore = { entry: await duplicatesSkipped(TOPICS.entry), hold: await duplicatesSkipped(TOPICS.hold) };
    const account = newAccount();
    const dupLedger = new TestLedger();
    const entry = dupLedger.post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor: 500n, postedAt: '2026-02-01T00:00:00.000Z' });
    // Both sides of every entry are published, so the shared topics stay balanced per currency.
    const bothSides = entryPosted(entry);
    const reserved = holdEvent(newHold(account.id, randomUUID(), 40n), 'reserved');

    await readModel.publish(...bothSides, reserved, ...bothSides, reserved);
    // A later event on the same partitions: once it shows, the redeliveries have been handled.
    const marker = dupLedger.post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor: 1n, postedAt: '2026-02-01T00:00:01.000Z' });
    const markerHold = holdEvent(newHold(account.id, randomUUID(), 2n), 'reserved');
    await readModel.publish(...entryPosted(marker), markerHold);

    await eventually(async () => expect(await balanceOf(account.id)).toMatchObject({ posted: '501', pending: '42', available: '459' }));
    expect((await statementOf(account.id)).items.map((item) => item.amount)).toEqual(['500', '1']);
    // Skipped by event id (processed_events), not merely absorbed by the projections.
    // At least: the shared topics may carry other producers' redeliveries too.
    expect(await duplicatesSkipped(TOPICS.entry)).toBeGreaterThanOrEqual(duplicatesBefore.entry + 1);
    expect(await duplicatesSkipped(TOPICS.hold)).toBeGreaterThanOrEqual(duplicatesBefore.hold + 1);
  });

  it('when a hold is captured before its reserved event arrives, then the late reserved event does not count as pending', async () => {
    const account = newAccount();
    const hold = newHold(account.id, randomUUID(), 800n);

    await readModel.publish(holdEvent(hold, 'captured', randomUUID()), holdEvent(hold, 'reserved'));
    // The marker hold follows on the same partition; had the late reserved counted, pending would be 870.
    await readModel.publish(holdEvent(newHold(account.id, randomUUID(), 70n), 'reserved'));

    await eventually(async () => expect(await balanceOf(account.id)).toMatchObject({ pending: '70', available: '-70' }));
  });

  it('when a malformed message is on the partition, then it is skipped and the events after it are applied', async () => {
    const account = newAccount();
    await readModel.publishRaw(TOPICS.entry, account.id, '{"not": "an envelope"');
    await readModel.publishRaw(TOPICS.entry, account.id, JSON.stringify({ eventId: randomUUID(), type: 'entry.posted', occurredAt: 'yesterday', aggregateId: account.id, payload: {} }));
    const entry = new TestLedger().post({ fromAccountId: randomUUID(), toAccountId: account.id, amountMinor: 12n, postedAt: new Date().toISOString() });
    await readModel.publish(...entryPosted(entry));

    await untilPosted(account.id, '12');
  });

  it('when the account is unknown to the read model, then balance and statement answer a 404 problem', async () => {
    for (const path of [`/accounts/${randomUUID()}/balance`, `/accounts/${randomUUID()}/statement`, '/accounts/not-a-uuid/balance']) {
      const answer = await readModel.get<ProblemBody>(path);
      expect(answer.status).toBe(404);
      expect(answer.contentType).toContain('application/problem+json');
      expect(answer.body.type).toMatch(/\/problems\/not-found$/);
    }
  });

  it.each([
    ['statement', '?limit=0', ['limit']],
    ['statement', '?limit=201', ['limit']],
    ['statement', '?limit=abc', ['limit']],
    ['statement', '?limit=1.5', ['limit']],
    ['statement', '?limit=5&limit=6', ['limit']],
    ['statement', '?cursor=not*base64', ['cursor']],
    ['statement', `?cursor=${Buffer.from('["2026-01-01T00:00:00Z", 7]').toString('base64url')}`, ['cursor']],
    ['statement', '?from=yesterday', ['from']],
    ['statement', '?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', ['to']],
    ['statement', '?limit=0&cursor=x!&to=soon', ['limit', 'cursor', 'to']],
    ['balance', '?asOf=yesterday', ['asOf']],
    ['balance', '?asOf=2026-02-30T00:00:00Z', ['asOf']],
    ['balance', '?asOf=2026-01-01', ['asOf']],
  ])('when the %s query is %s, then a 400 problem names %j', async (route, query, fields) => {
    const answer = await readModel.get<ProblemBody>(`/accounts/${customer.id}/${route}${query}`);

    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body.type).toMatch(/\/problems\/validation-error$/);
    expect(answer.body.errors?.map((error) => error.field).sort()).toEqual([...fields].sort());
  });

  it('when events have been applied, then /metrics shows the projection counters, latency, consumer lag and pool gauges', async () => {
    await untilPosted(customer.id, '1150');
    await readModel.get(`/accounts/${customer.id}/balance`);
    await readModel.get(`/accounts/${customer.id}/statement`);

    const metrics = (await readModel.get<string>('/metrics')).body;

    expect(metrics).toMatch(/^events_processed_total\{[^}]*topic="ledger\.entry\.v1"[^}]*type="entry\.posted"[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^events_processed_total\{[^}]*topic="accounts\.account\.v1"[^}]*type="account\.created"[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^projection_latency_seconds_count\{[^}]*topic="ledger\.hold\.v1"[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^balance_queries_total\{[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^statement_queries_total\{[^}]*\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^events_skipped_total\{[^}]*reason="duplicate"[^}]*\} [1-9]\d*$/m);
    for (const topic of [TOPICS.account, TOPICS.entry, TOPICS.hold]) {
      for (const partition of [0, 1, 2]) {
        expect(metrics).toMatch(new RegExp(`^consumer_lag\\{[^}]*topic="${topic.replace(/\./g, '\\.')}",partition="${partition}"[^}]*\\} \\d+$`, 'm'));
      }
    }
    expect(metrics).toMatch(/^pg_pool_connections_total\{[^}]*database="readmodel"[^}]*\} \d+$/m);
  });

  it('when PostgreSQL and Kafka are reachable, then /readyz answers ready', async () => {
    const answer = await readModel.get<{ status: string; checks: string[] }>('/readyz');

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ready', checks: ['postgres', 'kafka'] });
  });
});
