/**
 * The set-based writes of a batch of transfers (batches.ts): a statement per
 * table for the whole batch, its rows passed as one array per column, so the
 * statement count and the parameter count do not grow with the items.
 */
import type { PoolClient } from 'pg';
import { assert } from '../../lib/assert';
import type { BatchItemRequest } from './batch-plan';
import { postedAtExact, type LockedBalance, type NewLine } from './repository';

/** The request hash of each entry among `entryIds` that exists, by entry id. */
export async function existingEntryHashes(client: PoolClient, entryIds: string[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ entry_id: string; request_hash: string }>(
    'SELECT entry_id, request_hash FROM entries WHERE entry_id = ANY($1::uuid[])',
    [entryIds],
  );
  return new Map(rows.map((row) => [row.entry_id, row.request_hash]));
}

export interface NewBatchEntry {
  item: BatchItemRequest;
  requestHash: string;
  lines: NewLine[];
}

/**
 * Inserts the entries' headers in the batch's order, then their lines;
 * returns each entry's posting time (postedAtExact). The posting times are
 * one instant taken at the insert plus a microsecond per entry, so they are
 * strictly increasing in the batch's order (as the balances after each line
 * are) even where the clock would give several rows the same microsecond;
 * and all of them are before the commit, so an account's later entries come
 * after them: asserted, as the clock has moved on by more than the offsets
 * once the rows are in. The entry id's unique key still guards: a row it
 * refused would leave the count short, which is asserted (the caller holds
 * every account's lock and read the ids after taking them, so no twin can
 * have written one since).
 */
export async function insertBatchEntries(client: PoolClient, entries: NewBatchEntry[]): Promise<Map<string, string>> {
  if (entries.length === 0) return new Map();
  const { rows } = await client.query<{ entry_id: string; posted_at: string }>(
    `WITH start AS (SELECT clock_timestamp() AS at)
     INSERT INTO entries (entry_id, transfer_id, hold_id, reverses_entry_id, currency, description, request_hash, posted_at)
     SELECT u.entry_id, u.transfer_id, NULL, NULL, u.currency, u.description, u.request_hash, start.at + (u.ord - 1) * interval '1 microsecond'
       FROM start, unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(entry_id, transfer_id, currency, description, request_hash, ord)
      ORDER BY u.ord
     ON CONFLICT (entry_id) DO NOTHING
     RETURNING entry_id, ${postedAtExact()} AS posted_at`,
    [
      entries.map((e) => e.item.entryId),
      entries.map((e) => e.item.transferId),
      entries.map((e) => e.item.currency),
      entries.map((e) => e.item.description),
      entries.map((e) => e.requestHash),
    ],
  );
  assert(rows.length === entries.length, `every batch entry inserted under its own id (${rows.length} of ${entries.length})`);
  const { rows: [clock] } = await client.query<{ after: boolean }>('SELECT clock_timestamp() > max(posted_at) AS after FROM entries WHERE entry_id = ANY($1::uuid[])', [
    entries.map((e) => e.item.entryId),
  ]);
  assert(clock?.after === true, "the clock past the batch's last posting time once its entries are in");
  await insertBatchLines(client, entries);
  return new Map(rows.map((row) => [row.entry_id, row.posted_at]));
}

async function insertBatchLines(client: PoolClient, entries: NewBatchEntry[]): Promise<void> {
  const lines = entries.flatMap((entry) => entry.lines.map((line) => ({ entryId: entry.item.entryId, ...line })));
  const { rows } = await client.query<{ sum: string; count: string }>(
    `WITH inserted AS (
       INSERT INTO entry_lines (entry_id, line_no, account_id, direction, amount_minor, balance_after_minor)
       SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::text[], $5::bigint[], $6::bigint[])
       RETURNING CASE direction WHEN 'credit' THEN amount_minor ELSE -amount_minor END AS signed
     )
     SELECT coalesce(sum(signed), 0)::text AS sum, count(*)::text AS count FROM inserted`,
    [
      lines.map((l) => l.entryId),
      lines.map((l) => l.lineNo),
      lines.map((l) => l.accountId),
      lines.map((l) => l.direction),
      lines.map((l) => l.amountMinor.toString()),
      lines.map((l) => l.balanceAfterMinor.toString()),
    ],
  );
  const [stored] = rows;
  // The pair of the plan's per-entry check: what the database stored is complete and sums to zero.
  assert(stored?.count === String(lines.length) && stored.sum === '0', `the batch's ${lines.length} lines stored, summing to 0 (got ${stored?.count} summing to ${stored?.sum})`);
}

/** Writes every moved balance in one UPDATE, each at its version after the batch (one step per item that touched it). */
export async function saveBatchBalances(client: PoolClient, balances: LockedBalance[], versionSteps: ReadonlyMap<string, bigint>): Promise<void> {
  const moved = balances.filter((balance) => (versionSteps.get(balance.accountId) ?? 0n) > 0n);
  if (moved.length === 0) return;
  const { rowCount } = await client.query(
    `UPDATE ledger_accounts a SET posted_minor = u.posted, pending_minor = u.pending, version = u.version, updated_at = clock_timestamp()
       FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(account_id, posted, pending, version)
      WHERE a.account_id = u.account_id`,
    [
      moved.map((b) => b.accountId),
      moved.map((b) => b.postedMinor.toString()),
      moved.map((b) => b.pendingMinor.toString()),
      moved.map((b) => (b.version + (versionSteps.get(b.accountId) ?? 0n)).toString()),
    ],
  );
  assert(rowCount === moved.length, `every moved balance of the batch saved (${rowCount} of ${moved.length})`);
  for (const balance of moved) balance.saved = true;
}

/**
 * Deletes the balance rows this transaction inserted for accounts that no
 * item then moved (their items were refused, or an atomic batch was): a
 * ledger row is the ledger's word that the account moved money, and the read
 * model, which hears only of movements, would never have its twin.
 */
export async function forgetUnmovedAccounts(client: PoolClient, insertedIds: string[], versionSteps: ReadonlyMap<string, bigint>): Promise<void> {
  const unmoved = insertedIds.filter((id) => (versionSteps.get(id) ?? 0n) === 0n);
  if (unmoved.length === 0) return;
  await client.query('DELETE FROM ledger_accounts WHERE account_id = ANY($1::uuid[]) AND version = 0', [unmoved]);
}
