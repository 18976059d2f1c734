/**
 * Data access of the accounts service: SQL in, plain objects out. Every
 * function takes the pool or the client of the caller's transaction, so the
 * domain decides what commits together.
 */
import path from 'node:path';
import type { Pool, PoolClient } from '../../lib/pg';
import { fromDbAmount } from '../../lib/money';
import type { AccountStatus } from '../../lib/contracts/accounts';

/** This service's schema; `migrate` applies it after lib/outbox's migrations. */
export const ACCOUNTS_MIGRATIONS_DIR = path.join(__dirname, 'db', 'migrations');

type Db = Pool | PoolClient;

export interface AccountRecord {
  id: string;
  code: string;
  name: string;
  currency: string;
  /** null: unlimited. */
  creditLimitMinor: bigint | null;
  status: AccountStatus;
  /** The principal that opened it; null for accounts opened before principals were recorded, or by a caller naming none. */
  createdBy: string | null;
  createdAt: Date;
}

export type NewAccount = Omit<AccountRecord, 'status' | 'createdAt'>;

export interface IdempotencyRecord {
  requestHash: string;
  accountId: string;
}

interface AccountRow {
  id: string;
  code: string;
  name: string;
  currency: string;
  credit_limit_minor: string | null;
  status: AccountStatus;
  created_by: string | null;
  created_at: Date;
}

const ACCOUNT_COLUMNS = 'id, code, name, currency, credit_limit_minor::text AS credit_limit_minor, status, created_by, created_at';

function toRecord(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    currency: row.currency,
    creditLimitMinor: row.credit_limit_minor === null ? null : fromDbAmount(row.credit_limit_minor),
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/**
 * Inserts an active account; null when its code is taken. The UNIQUE
 * constraint decides, so of two concurrent requests for one code exactly one
 * gets the row (the other waits for it to commit, then gets null).
 */
export async function insertAccount(client: PoolClient, account: NewAccount): Promise<AccountRecord | null> {
  const { rows: [row] } = await client.query<AccountRow>(
    `INSERT INTO accounts (id, code, name, currency, credit_limit_minor, created_by)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT ON CONSTRAINT accounts_code_key DO NOTHING
     RETURNING ${ACCOUNT_COLUMNS}`,
    [account.id, account.code, account.name, account.currency, account.creditLimitMinor?.toString() ?? null, account.createdBy],
  );
  return row ? toRecord(row) : null;
}

export async function findAccount(db: Db, id: string): Promise<AccountRecord | null> {
  const { rows: [row] } = await db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`, [id]);
  return row ? toRecord(row) : null;
}

/** The accounts of `ids` that exist, in no particular order. */
export async function findAccounts(db: Db, ids: string[]): Promise<AccountRecord[]> {
  const { rows } = await db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::uuid[])`, [ids]);
  return rows.map(toRecord);
}

/**
 * Newest first, strictly after the keyset position `after` when given; only
 * the account with `code` when given (codes are unique: at most one row, found
 * by the unique index); only those `createdBy` opened when given.
 */
export async function listAccounts(
  db: Db,
  page: { limit: number; after?: { createdAt: string; id: string }; code?: string; createdBy?: string },
): Promise<AccountRecord[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (page.code !== undefined) {
    params.push(page.code);
    conditions.push(`code = $${params.length}`);
  }
  if (page.createdBy !== undefined) {
    params.push(page.createdBy);
    conditions.push(`created_by = $${params.length}`);
  }
  if (page.after) {
    params.push(page.after.createdAt, page.after.id);
    conditions.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(page.limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(toRecord);
}

/**
 * Sets the status if it differs; null when nothing changed (already in that
 * status, or no such account). The row lock serializes concurrent changes, so
 * only one of two concurrent freezes sees a change.
 */
export async function changeStatus(client: PoolClient, id: string, status: AccountStatus): Promise<AccountRecord | null> {
  const { rows: [row] } = await client.query<AccountRow>(
    `UPDATE accounts SET status = $2, updated_at = date_trunc('milliseconds', clock_timestamp())
      WHERE id = $1 AND status <> $2
      RETURNING ${ACCOUNT_COLUMNS}`,
    [id, status],
  );
  return row ? toRecord(row) : null;
}

/**
 * Claims an idempotency key for an account about to be created; false when the
 * key is already stored. A concurrent claim of the same key waits on the
 * primary key until the first transaction ends, then finds its row.
 */
export async function claimIdempotencyKey(client: PoolClient, key: string, record: IdempotencyRecord): Promise<boolean> {
  const { rowCount } = await client.query(
    `INSERT INTO account_idempotency_keys (key, request_hash, account_id) VALUES ($1, $2, $3)
     ON CONFLICT (key) DO NOTHING`,
    [key, record.requestHash, record.accountId],
  );
  return rowCount === 1;
}

export async function findIdempotencyKey(db: Db, key: string): Promise<IdempotencyRecord | null> {
  const { rows: [row] } = await db.query<{ request_hash: string; account_id: string }>(
    'SELECT request_hash, account_id FROM account_idempotency_keys WHERE key = $1',
    [key],
  );
  return row ? { requestHash: row.request_hash, accountId: row.account_id } : null;
}
