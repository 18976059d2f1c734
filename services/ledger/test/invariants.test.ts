/**
 * Property-based (fast-check): whatever sequence of entries, reserves,
 * captures and voids runs against a few accounts, afterwards
 * - the posted balances of each currency sum to zero (ledger-wide),
 * - every account's posted balance equals the sum of its lines (credits − debits),
 * - its pending balance equals the sum of its reserved holds,
 * - no available balance is below −creditLimit.
 * Runs against the real `ledger` database through the HTTP API.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { firstOf, required } from '../../../lib/assert';
import { startLedger, transferLines, type LedgerHarness } from './harness';

let ledger: LedgerHarness;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(async () => {
  await ledger?.close();
});

type Op =
  | { kind: 'entry'; from: number; to: number; amount: number }
  | { kind: 'reserve'; from: number; to: number; amount: number }
  | { kind: 'capture' | 'void'; pick: number };

const ACCOUNTS = 4;
const account = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const amount = fc.integer({ min: 1, max: 500 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('entry' as const), from: account, to: account, amount }),
  fc.record({ kind: fc.constant('reserve' as const), from: account, to: account, amount }),
  fc.record({ kind: fc.constantFrom('capture' as const, 'void' as const), pick: fc.nat() }),
);

async function run(ops: Op[], accountIds: string[]): Promise<void> {
  const reserved: string[] = [];
  const accountOf = (index: number) => required(accountIds[index], `account ${index}`);
  for (const o of ops) {
    if (o.kind === 'entry' && o.from !== o.to) {
      await ledger.post('/entries', { entryId: randomUUID(), currency: 'EUR', lines: transferLines(accountOf(o.from), accountOf(o.to), BigInt(o.amount)) });
    } else if (o.kind === 'reserve' && o.from !== o.to) {
      const holdId = randomUUID();
      const res = await ledger.post('/holds', { holdId, transferId: randomUUID(), fromAccountId: accountOf(o.from), toAccountId: accountOf(o.to), amountMinor: String(o.amount), currency: 'EUR' });
      if (res.status === 201) reserved.push(holdId);
    } else if ((o.kind === 'capture' || o.kind === 'void') && reserved.length > 0) {
      const [holdId] = reserved.splice(o.pick % reserved.length, 1);
      await ledger.post(`/holds/${holdId}/${o.kind}`, o.kind === 'capture' ? { entryId: randomUUID() } : {});
    }
  }
}

it('when any workload runs, then the double-entry invariants hold', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: ACCOUNTS, maxLength: ACCOUNTS }), async (ops, limits) => {
      const accountIds = limits.map((limit) => ledger.directory.add('EUR', String(limit)));
      await ledger.fund(firstOf(accountIds, 'the accounts'), 'EUR', 1000n);
      await run(ops, accountIds);

      const { rows: sums } = await ledger.pool.query('SELECT currency, sum(posted_minor)::text AS total FROM ledger_accounts GROUP BY currency');
      for (const row of sums) expect(`${row.currency}:${row.total}`).toBe(`${row.currency}:0`);

      const { rows } = await ledger.pool.query(
        `SELECT a.account_id, a.posted_minor::text AS posted, a.pending_minor::text AS pending, a.credit_limit_minor::text AS credit_limit,
                (SELECT coalesce(sum(CASE l.direction WHEN 'credit' THEN l.amount_minor ELSE -l.amount_minor END), 0)
                   FROM entry_lines l WHERE l.account_id = a.account_id)::text AS lines_total,
                (SELECT coalesce(sum(h.amount_minor), 0) FROM holds h
                  WHERE h.from_account_id = a.account_id AND h.status = 'reserved')::text AS reserved_total
           FROM ledger_accounts a WHERE a.account_id = ANY($1::uuid[])`,
        [accountIds],
      );
      // The ledger knows an account once money touched it; the funded one always.
      expect(rows.map((r) => r.account_id)).toContain(accountIds[0]);
      for (const row of rows) {
        expect(row.posted).toBe(row.lines_total);
        expect(row.pending).toBe(row.reserved_total);
        expect(BigInt(row.posted) - BigInt(row.pending)).toBeGreaterThanOrEqual(-BigInt(row.credit_limit));
      }
    }),
    { numRuns: 25 },
  );
});
