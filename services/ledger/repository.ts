/**
 * Data access of the ledger: plain objects in and out, amounts as bigint.
 * Functions taking a PoolClient run inside the caller's transaction.
 */
import type { Pool, PoolClient } from 'pg';
import type { EntryDto, HoldDto, HoldStatus } from '../../lib/contracts/ledger';
import { fromDbAmount } from '../../lib/money';
import type { KnownAccount } from './accounts-directory';

type Db = Pool | PoolClient;

export interface AccountBalance {
  accountId: string;
  currency: string;
  creditLimitMinor: bigint | null;
  postedMinor: bigint;
  pendingMinor: bigint;
}

/**
 * A balance row locked by the current transaction: the version and sums it
 * held when locked (the transaction's events describe the change from there)
 * and whether the transaction has saved it.
 */
export interface LockedBalance extends AccountBalance {
  version: bigint;
  lockedPostedMinor: bigint;
  lockedPendingMinor: bigint;
  saved: boolean;
}

export interface HoldRow {
  holdId: string;
  tombstone: boolean;
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  status: HoldStatus;
  entryId: string | null;
  expiresAt: Date | null;
  requestHash: string | null;
  /** A refused reserve's code and message (a tombstone; migration 003). */
  refusalCode: string | null;
  refusalMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewEntry {
  entryId: string;
  transferId: string | null;
  holdId: string | null;
  reversesEntryId: string | null;
  currency: string;
  description: string;
  requestHash: string;
}

export interface NewLine {
  lineNo: number;
  accountId: string;
  direction: 'debit' | 'credit';
  amountMinor: bigint;
  balanceAfterMinor: bigint;
}

/**
 * Makes sure a balance row exists for each account. A plain SELECT first: it
 * never waits on a row lock, while an INSERT ... ON CONFLICT on an existing row
 * would wait for any open transaction that updated it. Missing rows (an
 * account's first movement) are inserted in id order.
 */
export async function ensureAccounts(client: PoolClient, accounts: KnownAccount[]): Promise<string[]> {
  const { rows } = await client.query<{ account_id: string }>('SELECT account_id FROM ledger_accounts WHERE account_id = ANY($1::uuid[])', [
    accounts.map((a) => a.accountId),
  ]);
  const known = new Set(rows.map((r) => r.account_id));
  const missing = accounts.filter((a) => !known.has(a.accountId)).sort((a, b) => a.accountId.localeCompare(b.accountId));
  const inserted: string[] = [];
  for (const account of missing) {
    const { rowCount } = await client.query(
      `INSERT INTO ledger_accounts (account_id, currency, credit_limit_minor) VALUES ($1, $2, $3)
       ON CONFLICT (account_id) DO NOTHING`,
      [account.accountId, account.currency, account.creditLimitMinor?.toString() ?? null],
    );
    if (rowCount === 1) inserted.push(account.accountId);
  }
  return inserted;
}

/**
 * Locks the balance rows of `accountIds` in account-id order (the one fixed
 * order every writer uses, so two writers can never wait on each other in a
 * cycle) and returns them by id. NO KEY UPDATE, not UPDATE: the foreign keys
 * of holds and entry lines take KEY SHARE locks on these rows, which UPDATE
 * would conflict with (and deadlock on), while NO KEY UPDATE does not.
 */
export async function lockAccounts(client: PoolClient, accountIds: string[]): Promise<Map<string, LockedBalance>> {
  const { rows } = await client.query<LedgerAccountRow & { version: string }>(
    `SELECT account_id, currency, credit_limit_minor, posted_minor, pending_minor, version
       FROM ledger_accounts WHERE account_id = ANY($1::uuid[])
      ORDER BY account_id FOR NO KEY UPDATE`,
    [[...new Set(accountIds)]],
  );
  return new Map(rows.map((row) => [row.account_id, toLockedBalance(row)]));
}

/**
 * Writes the locked row's sums and the version after this transaction (one
 * more than when it was locked, however often the transaction saves it).
 */
export async function saveBalance(client: PoolClient, balance: LockedBalance): Promise<void> {
  await client.query(
    `UPDATE ledger_accounts SET posted_minor = $2, pending_minor = $3, version = $4, updated_at = clock_timestamp() WHERE account_id = $1`,
    [balance.accountId, balance.postedMinor.toString(), balance.pendingMinor.toString(), (balance.version + 1n).toString()],
  );
  balance.saved = true;
}

export async function getBalance(db: Db, accountId: string): Promise<AccountBalance | null> {
  const { rows: [row] } = await db.query<LedgerAccountRow>(
    `SELECT account_id, currency, credit_limit_minor, posted_minor, pending_minor FROM ledger_accounts WHERE account_id = $1`,
    [accountId],
  );
  return row ? toBalance(row) : null;
}

/** A ledger_accounts row as pg reads it: uuid, char and bigint columns as text. */
interface LedgerAccountRow {
  account_id: string;
  currency: string;
  credit_limit_minor: string | null;
  posted_minor: string;
  pending_minor: string;
}

function toLockedBalance(row: LedgerAccountRow & { version: string }): LockedBalance {
  const balance = toBalance(row);
  return { ...balance, version: BigInt(row.version), lockedPostedMinor: balance.postedMinor, lockedPendingMinor: balance.pendingMinor, saved: false };
}

function toBalance(row: LedgerAccountRow): AccountBalance {
  return {
    accountId: row.account_id,
    currency: row.currency.trim(),
    creditLimitMinor: row.credit_limit_minor === null ? null : fromDbAmount(row.credit_limit_minor),
    postedMinor: fromDbAmount(row.posted_minor),
    pendingMinor: fromDbAmount(row.pending_minor),
  };
}

// ------------------------------------------------------------------ holds

/** Inserts the hold unless its id exists; the inserted row, or null when the id was taken. */
export async function insertHold(
  client: PoolClient,
  hold: Omit<HoldRow, 'tombstone' | 'status' | 'entryId' | 'refusalCode' | 'refusalMessage' | 'createdAt' | 'updatedAt'>,
): Promise<HoldRow | null> {
  const { rows } = await client.query(
    `INSERT INTO holds (hold_id, transfer_id, from_account_id, to_account_id, amount_minor, currency, status, expires_at, request_hash)
     VALUES ($1, $2, $3, $4, $5, $6, 'reserved', $7, $8)
     ON CONFLICT (hold_id) DO NOTHING
     RETURNING *`,
    [hold.holdId, hold.transferId, hold.fromAccountId, hold.toAccountId, hold.amountMinor.toString(), hold.currency, hold.expiresAt, hold.requestHash],
  );
  return rows[0] ? toHold(rows[0]) : null;
}

/** Records that `holdId` was voided before it was reserved; true when this call inserted the tombstone. */
export async function insertTombstone(client: PoolClient, holdId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO holds (hold_id, tombstone, status) VALUES ($1, true, 'voided') ON CONFLICT (hold_id) DO NOTHING`,
    [holdId],
  );
  return rowCount === 1;
}

/**
 * Records that the reserve of `holdId` was refused, as a tombstone carrying the
 * refusal; nothing when a row for the id exists (a reserve, a void, or the same
 * refusal, that got there first).
 */
export async function insertRefusal(db: Db, holdId: string, refusal: { code: string; message: string }): Promise<void> {
  await db.query(
    `INSERT INTO holds (hold_id, tombstone, status, refusal_code, refusal_message) VALUES ($1, true, 'voided', $2, $3)
     ON CONFLICT (hold_id) DO NOTHING`,
    [holdId, refusal.code, refusal.message],
  );
}

export async function getHold(db: Db, holdId: string, { forUpdate = false } = {}): Promise<HoldRow | null> {
  const { rows } = await db.query(`SELECT * FROM holds WHERE hold_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [holdId]);
  return rows[0] ? toHold(rows[0]) : null;
}

export async function setHoldStatus(client: PoolClient, holdId: string, status: HoldStatus, entryId: string | null = null): Promise<HoldRow> {
  const { rows } = await client.query(
    `UPDATE holds SET status = $2, entry_id = $3, updated_at = clock_timestamp() WHERE hold_id = $1 RETURNING *`,
    [holdId, status, entryId],
  );
  return toHold(rows[0]);
}

export async function expiredHoldIds(db: Db, batchSizeMax: number): Promise<string[]> {
  const { rows } = await db.query<{ hold_id: string }>(
    `SELECT hold_id FROM holds WHERE status = 'reserved' AND expires_at <= clock_timestamp() ORDER BY expires_at LIMIT $1`,
    [batchSizeMax],
  );
  return rows.map((r) => r.hold_id);
}

function toHold(row: Record<string, unknown>): HoldRow {
  return {
    holdId: row.hold_id as string,
    tombstone: row.tombstone as boolean,
    transferId: row.transfer_id as string,
    fromAccountId: row.from_account_id as string,
    toAccountId: row.to_account_id as string,
    amountMinor: row.amount_minor === null ? 0n : fromDbAmount(row.amount_minor as string),
    currency: ((row.currency as string | null) ?? '').trim(),
    status: row.status as HoldStatus,
    entryId: row.entry_id as string | null,
    expiresAt: row.expires_at as Date | null,
    requestHash: row.request_hash as string | null,
    refusalCode: (row.refusal_code as string | null) ?? null,
    refusalMessage: (row.refusal_message as string | null) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

export function holdDto(hold: HoldRow): HoldDto {
  return {
    holdId: hold.holdId,
    transferId: hold.transferId,
    fromAccountId: hold.fromAccountId,
    toAccountId: hold.toAccountId,
    amountMinor: hold.amountMinor.toString(),
    currency: hold.currency,
    status: hold.status,
    entryId: hold.entryId,
    expiresAt: hold.expiresAt?.toISOString() ?? null,
    createdAt: hold.createdAt.toISOString(),
    updatedAt: hold.updatedAt.toISOString(),
  };
}

// ------------------------------------------------------------------ entries

/**
 * posted_at as RFC 3339 with its microseconds: a JS Date keeps milliseconds,
 * and entries of one account posted within one millisecond (a batch posts
 * hundreds) must keep their order in the read model's statements, which
 * store this text as it is.
 */
export const postedAtExact = (column = 'posted_at') => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Claims `entryId` by inserting the entry's header; returns its posting time (postedAtExact).
 * The unique key is the idempotency guard: a concurrent request with the same
 * id waits here until the first commits, then sees the conflict (returns null).
 * Called by postLines only, after the locks (why: postLines).
 */
export async function claimEntry(client: PoolClient, entry: NewEntry): Promise<string | null> {
  const { rows } = await client.query<{ posted_at: string }>(
    `INSERT INTO entries (entry_id, transfer_id, hold_id, reverses_entry_id, currency, description, request_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (entry_id) DO NOTHING RETURNING ${postedAtExact()} AS posted_at`,
    [entry.entryId, entry.transferId, entry.holdId, entry.reversesEntryId, entry.currency, entry.description, entry.requestHash],
  );
  return rows[0]?.posted_at ?? null;
}

/** Inserts the lines; returns them as the database stored them (signed amounts), for the caller's check. */
export async function insertLines(client: PoolClient, entryId: string, lines: NewLine[]): Promise<bigint[]> {
  const values: unknown[] = [];
  const tuples = lines.map((line, i) => {
    values.push(entryId, line.lineNo, line.accountId, line.direction, line.amountMinor.toString(), line.balanceAfterMinor.toString());
    const p = i * 6;
    return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`;
  });
  const { rows } = await client.query<{ signed: string }>(
    `INSERT INTO entry_lines (entry_id, line_no, account_id, direction, amount_minor, balance_after_minor) VALUES ${tuples.join(', ')}
     RETURNING CASE direction WHEN 'credit' THEN amount_minor ELSE -amount_minor END AS signed`,
    values,
  );
  return rows.map((row) => BigInt(row.signed));
}

export interface StoredEntry {
  entry: EntryDto;
  requestHash: string;
}

export async function getEntry(db: Db, entryId: string): Promise<StoredEntry | null> {
  const { rows } = await db.query(
    `SELECT e.entry_id, e.transfer_id, e.hold_id, e.reverses_entry_id, e.currency, e.description, e.request_hash,
            ${postedAtExact('e.posted_at')} AS posted_at,
            l.line_no, l.account_id, l.direction, l.amount_minor, l.balance_after_minor
       FROM entries e JOIN entry_lines l USING (entry_id)
      WHERE e.entry_id = $1 ORDER BY l.line_no`,
    [entryId],
  );
  if (rows.length === 0) return null;
  const head = rows[0];
  return {
    requestHash: head.request_hash,
    entry: {
      entryId: head.entry_id,
      transferId: head.transfer_id,
      holdId: head.hold_id,
      reversesEntryId: head.reverses_entry_id,
      currency: head.currency.trim(),
      description: head.description,
      postedAt: head.posted_at as string,
      lines: rows.map((row) => ({
        accountId: row.account_id,
        direction: row.direction,
        amountMinor: fromDbAmount(row.amount_minor).toString(),
        balanceAfterMinor: fromDbAmount(row.balance_after_minor).toString(),
      })),
    },
  };
}

export async function reversalOf(db: Db, entryId: string): Promise<string | null> {
  const { rows } = await db.query<{ entry_id: string }>('SELECT entry_id FROM entries WHERE reverses_entry_id = $1', [entryId]);
  return rows[0]?.entry_id ?? null;
}

// ------------------------------------------------------------------ reversal outcomes

export interface ReversalOutcome {
  reversalEntryId: string;
  reversesEntryId: string;
  outcome: 'posted' | 'refused';
  refusalCode: string | null;
  refusalMessage: string | null;
}

/**
 * Claims the decision of reversal `reversalEntryId` as posted; false when its
 * outcome is decided already. A concurrent attempt of the same id waits here
 * until the first commits (then false) or rolls back (then true).
 */
export async function claimReversalOutcome(client: PoolClient, reversalEntryId: string, reversesEntryId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO reversal_outcomes (reversal_entry_id, reverses_entry_id, outcome) VALUES ($1, $2, 'posted')
     ON CONFLICT (reversal_entry_id) DO NOTHING`,
    [reversalEntryId, reversesEntryId],
  );
  return rowCount === 1;
}

/** Turns the outcome this transaction claimed into the refusal it decided instead. */
export async function refuseClaimedReversal(client: PoolClient, reversalEntryId: string, refusal: { code: string; message: string }): Promise<void> {
  await client.query(
    `UPDATE reversal_outcomes SET outcome = 'refused', refusal_code = $2, refusal_message = $3, decided_at = clock_timestamp()
      WHERE reversal_entry_id = $1`,
    [reversalEntryId, refusal.code, refusal.message],
  );
}

export async function getReversalOutcome(db: Db, reversalEntryId: string): Promise<ReversalOutcome | null> {
  const { rows } = await db.query('SELECT * FROM reversal_outcomes WHERE reversal_entry_id = $1', [reversalEntryId]);
  if (!rows[0]) return null;
  return {
    reversalEntryId: rows[0].reversal_entry_id,
    reversesEntryId: rows[0].reverses_entry_id,
    outcome: rows[0].outcome,
    refusalCode: rows[0].refusal_code,
    refusalMessage: rows[0].refusal_message,
  };
}
