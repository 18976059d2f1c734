/**
 * The balances row of an account: created by the first event that names the
 * account, then moved by deltas. Adding deltas (rather than overwriting) is
 * what makes the sums independent of the order events arrive in, and what
 * lets the events of one transaction add theirs up first and write each
 * account once, at the end.
 */
import type { PoolClient } from '../../../lib/pg';

export interface BalanceDelta {
  postedMinor: bigint;
  pendingMinor: bigint;
}

export const NO_CHANGE: BalanceDelta = { postedMinor: 0n, pendingMinor: 0n };

interface Change {
  /** The currency the row is created in, should the account be new: its first event's. */
  currency: string;
  postedMinor: bigint;
  pendingMinor: bigint;
  /** The ledger's version of the account the row now stands at; null when no ledger transaction moved it here. */
  version: bigint | null;
}

/** The balance deltas of the events applied in one transaction, summed per account. */
export class BalanceChanges {
  private readonly byAccount = new Map<string, Change>();

  /** Adds `delta` to the account's sums (creating its row, in `currency`, if this is the account's first event). */
  add(accountId: string, currency: string, delta: BalanceDelta): void {
    const change = this.changeOf(accountId, currency);
    change.postedMinor += delta.postedMinor;
    change.pendingMinor += delta.pendingMinor;
  }

  /** Records that the account now stands at the ledger's `version` (after `add` of that transaction's deltas). */
  setVersion(accountId: string, currency: string, version: bigint): void {
    this.changeOf(accountId, currency).version = version;
  }

  /** The account's change so far, created (in `currency`, nothing moved) on its first event. */
  private changeOf(accountId: string, currency: string): Change {
    const known = this.byAccount.get(accountId);
    if (known) return known;
    const change: Change = { currency, postedMinor: 0n, pendingMinor: 0n, version: null };
    this.byAccount.set(accountId, change);
    return change;
  }

  /**
   * Writes the summed deltas (and versions). Several partitions are applied concurrently and
   * an account's events span three topics, so two transactions may share
   * accounts: rows are created and locked in account-id order, the same in
   * every transaction, so they never wait on each other in a cycle.
   */
  async write(client: PoolClient): Promise<void> {
    if (this.byAccount.size === 0) return;
    const changes = [...this.byAccount];
    const ids = changes.map(([id]) => id);
    await client.query(
      `INSERT INTO balances (account_id, currency)
       SELECT id, currency FROM unnest($1::text[], $2::text[]) AS t(id, currency)
        ORDER BY id COLLATE "C"
       ON CONFLICT (account_id) DO NOTHING`,
      [ids, changes.map(([, change]) => change.currency)],
    );
    const moved = changes.filter(([, change]) => change.postedMinor !== 0n || change.pendingMinor !== 0n || change.version !== null);
    if (moved.length === 0) return;
    // Separate from the insert: PostgreSQL checks CHECK constraints on the row
    // an upsert proposes, so a negative delta (a released hold) would fail even
    // when the row exists and its sum stays >= 0. The rows are locked in id
    // order first (MATERIALIZED: a CTE with FOR UPDATE runs as written), not in
    // whatever order the join of the update would visit them.
    await client.query(
      `WITH locked AS MATERIALIZED (
         SELECT account_id FROM balances WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE)
       UPDATE balances b SET posted_minor = b.posted_minor + d.posted, pending_minor = b.pending_minor + d.pending,
                             version = COALESCE(d.version, b.version)
         FROM locked JOIN unnest($1::text[], $2::numeric[], $3::numeric[], $4::bigint[]) AS d(id, posted, pending, version) ON d.id = locked.account_id
        WHERE b.account_id = locked.account_id`,
      [
        moved.map(([id]) => id),
        moved.map(([, change]) => change.postedMinor.toString()),
        moved.map(([, change]) => change.pendingMinor.toString()),
        moved.map(([, change]) => change.version?.toString() ?? null),
      ],
    );
  }
}
