/**
 * The contract's invariants ("Invariants anyone may check at any time"),
 * checked straight in the databases of the services that own the data. Each
 * returns the violations it finds (empty when it holds), naming the ids, so a
 * test or a drill can say exactly what broke.
 */
import { loadConfig } from '../../lib/config';
import { createPool, type Pool } from '../../lib/pg';

export interface InvariantPools {
  accounts: Pool;
  ledger: Pool;
  readModel: Pool;
  transfers: Pool;
  close(): Promise<void>;
}

export function invariantPools(): InvariantPools {
  const config = loadConfig();
  const open = (db: string) => createPool(config, db, { applicationName: 'invariants', maxConnections: 2 });
  const pools = { accounts: open('accounts'), ledger: open('ledger'), readModel: open('readmodel'), transfers: open('transfers') };
  return { ...pools, close: async () => void (await Promise.all(Object.values(pools).map((p) => p.end()))) };
}

/** The posted balances of each currency sum to zero. */
export async function postedSumsAreZero(pools: InvariantPools): Promise<string[]> {
  const { rows } = await pools.ledger.query(
    `SELECT currency, sum(posted_minor)::text AS total FROM ledger_accounts GROUP BY currency HAVING sum(posted_minor) <> 0`,
  );
  return rows.map((r) => `posted balances of ${r.currency} sum to ${r.total}, not 0`);
}

/** No account's available balance is below −creditLimit. */
export async function availableWithinLimits(pools: InvariantPools): Promise<string[]> {
  const { rows } = await pools.ledger.query(
    `SELECT account_id, (posted_minor - pending_minor)::text AS available, credit_limit_minor::text AS credit_limit
       FROM ledger_accounts WHERE credit_limit_minor IS NOT NULL AND posted_minor - pending_minor < -credit_limit_minor`,
  );
  return rows.map((r) => `account ${r.account_id} has available ${r.available} below −${r.credit_limit}`);
}

/** Every posted transfer has exactly one (non-reversal) entry, and the entry is the one the transfer names. */
export async function postedTransfersHaveOneEntry(pools: InvariantPools, transferIds: string[]): Promise<string[]> {
  const { rows: transfers } = await pools.transfers.query(
    `SELECT id, entry_id FROM transfers WHERE id = ANY($1::uuid[]) AND status IN ('posted', 'reversed')`,
    [transferIds],
  );
  const { rows: entries } = await pools.ledger.query(
    `SELECT transfer_id, array_agg(entry_id::text) AS entry_ids FROM entries
      WHERE transfer_id = ANY($1::uuid[]) AND reverses_entry_id IS NULL GROUP BY transfer_id`,
    [transfers.map((t) => t.id)],
  );
  const byTransfer = new Map(entries.map((e) => [e.transfer_id as string, e.entry_ids as string[]]));
  return transfers.flatMap((t) => {
    const ids = byTransfer.get(t.id) ?? [];
    if (ids.length !== 1) return [`transfer ${t.id} has ${ids.length} entries (${ids.join(', ')})`];
    if (ids[0] !== t.entry_id) return [`transfer ${t.id} names entry ${t.entry_id} but the ledger has ${ids[0]}`];
    return [];
  });
}

/** No transfer is left `pending`. */
export async function noTransferPending(pools: InvariantPools, transferIds: string[]): Promise<string[]> {
  const { rows } = await pools.transfers.query(`SELECT id FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'pending'`, [transferIds]);
  return rows.map((r) => `transfer ${r.id} is still pending`);
}

/** The read model's balances equal the ledger's, for the given accounts. */
export async function readModelMatchesLedger(pools: InvariantPools, accountIds: string[]): Promise<string[]> {
  const { rows: ledger } = await pools.ledger.query(
    `SELECT account_id, posted_minor::text AS posted, pending_minor::text AS pending FROM ledger_accounts WHERE account_id = ANY($1::uuid[])`,
    [accountIds],
  );
  const { rows: projected } = await pools.readModel.query(
    `SELECT account_id, posted_minor::text AS posted, pending_minor::text AS pending FROM read_model.balances WHERE account_id = ANY($1::text[])`,
    [accountIds],
  );
  const read = new Map(projected.map((r) => [r.account_id as string, `${r.posted}/${r.pending}`]));
  return ledger.flatMap((row) => {
    const expected = `${row.posted}/${row.pending}`;
    const actual = read.get(row.account_id) ?? 'missing';
    return actual === expected ? [] : [`account ${row.account_id}: ledger posted/pending ${expected}, read model ${actual}`];
  });
}

/** Ledger-wide: no transfer has more than one (non-reversal) entry. */
export async function noTransferPostedTwice(pools: InvariantPools): Promise<string[]> {
  const { rows } = await pools.ledger.query(
    `SELECT transfer_id, array_agg(entry_id::text ORDER BY entry_id) AS entry_ids FROM entries
      WHERE transfer_id IS NOT NULL AND reverses_entry_id IS NULL GROUP BY transfer_id HAVING count(*) > 1`,
  );
  return rows.map((r) => `transfer ${r.transfer_id} is posted ${r.entry_ids.length} times (entries ${r.entry_ids.join(', ')})`);
}

/** Ledger-wide: each account's posted balance equals the sum of its entry lines (credits − debits). */
export async function ledgerBalancesMatchEntries(pools: InvariantPools): Promise<string[]> {
  const { rows } = await pools.ledger.query(
    `SELECT a.account_id, a.posted_minor::text AS posted, COALESCE(l.total, 0)::text AS lines
       FROM ledger_accounts a
       LEFT JOIN (SELECT account_id, sum(CASE direction WHEN 'credit' THEN amount_minor ELSE -amount_minor END) AS total
                    FROM entry_lines GROUP BY account_id) l ON l.account_id = a.account_id
      WHERE a.posted_minor <> COALESCE(l.total, 0)`,
  );
  return rows.map((r) => `account ${r.account_id}: posted ${r.posted} but its entry lines sum to ${r.lines}`);
}

/**
 * Ledger-wide: every ledger account's posted and pending balances in the read
 * model equal the ledger's; an account the read model knows and the ledger
 * does not has zero balances; and the read model holds as many statement
 * lines as the ledger has entry lines (a double-applied event would add some).
 */
export async function readModelEqualsLedger(pools: InvariantPools): Promise<string[]> {
  const { rows: ledger } = await pools.ledger.query(
    `SELECT account_id::text AS account_id, posted_minor::text AS posted, pending_minor::text AS pending FROM ledger_accounts`,
  );
  const { rows: projected } = await pools.readModel.query(
    `SELECT account_id, posted_minor::text AS posted, pending_minor::text AS pending FROM read_model.balances`,
  );
  const read = new Map(projected.map((r) => [r.account_id as string, `${r.posted}/${r.pending}`]));
  const known = new Set(ledger.map((r) => r.account_id as string));
  const violations = ledger.flatMap((row) => {
    const expected = `${row.posted}/${row.pending}`;
    const actual = read.get(row.account_id) ?? 'missing';
    return actual === expected ? [] : [`account ${row.account_id}: ledger posted/pending ${expected}, read model ${actual}`];
  });
  for (const row of projected) {
    if (!known.has(row.account_id) && `${row.posted}/${row.pending}` !== '0/0') {
      violations.push(`account ${row.account_id}: read model posted/pending ${row.posted}/${row.pending}, unknown to the ledger`);
    }
  }
  const [{ rows: ledgerLines }, { rows: readLines }] = await Promise.all([
    pools.ledger.query(`SELECT count(*)::int AS n FROM entry_lines`),
    pools.readModel.query(`SELECT count(*)::int AS n FROM read_model.statement_lines`),
  ]);
  if (ledgerLines[0].n !== readLines[0].n) {
    violations.push(`the ledger has ${ledgerLines[0].n} entry lines, the read model ${readLines[0].n} statement lines`);
  }
  return violations;
}

/** The accounts and ledger outboxes have no unpublished rows (every event reached Kafka). */
export async function outboxesEmpty(pools: InvariantPools): Promise<string[]> {
  const count = async (name: string, pool: Pool) => {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, min(id)::text AS oldest_id, min(created_at) AS oldest_at FROM outbox WHERE published_at IS NULL`,
    );
    const { n, oldest_id: oldestId, oldest_at: oldestAt } = rows[0];
    return n === 0 ? [] : [`${name} outbox has ${n} unpublished rows (oldest id ${oldestId}, written ${new Date(oldestAt).toISOString()})`];
  };
  return [...(await count('accounts', pools.accounts)), ...(await count('ledger', pools.ledger))];
}
