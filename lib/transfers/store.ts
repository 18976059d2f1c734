/**
 * Data access of the `transfers` database, shared by the gateway (which
 * creates transfers) and the worker's activities (which record their status).
 * Returns plain objects; amounts are bigint.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { inTransaction, migrate, type Pool } from '../pg';
import { fromDbAmount } from '../money';
import { lookaheadPage } from '../pages';
import { required } from '../assert';
import { STATUS_MOVES, type TransferStatus } from './status';

export const TRANSFERS_DATABASE = 'transfers';
export const TRANSFERS_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Applies the transfers schema; both the gateway and the worker may call it at start. */
export function migrateTransfers(pool: Pool): Promise<string[]> {
  return migrate(pool, TRANSFERS_MIGRATIONS_DIR);
}

export interface TransferRecord {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown>;
  status: TransferStatus;
  failureCode: string | null;
  failureMessage: string | null;
  entryId: string | null;
  reversalEntryId: string | null;
  traceId: string | null;
  /** The principal (API client id) that created it; null for transfers created before principals were recorded. */
  createdBy: string | null;
  /** The principal whose approve, reject or cancel decided it; null while undecided, or when no decision was taken. */
  decidedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The reversal asked for (POST …/reverse), or null; its entry is `reversalEntryId` once `status` is `reversed`. */
  reversal: ReversalClaim | null;
  /** The batch it was created in (POST /v1/transfer-batches) and its place there (from 0), or null for a single transfer. */
  batchId: string | null;
  batchIndex: number | null;
  /** A batch item's reference, as its client sent it; null when none was. */
  reference: string | null;
}

export interface ReversalClaim {
  id: string;
  /** Null for a transfer reversed before reversals were claimed (migration 004). */
  idempotencyKey: string | null;
  traceId: string | null;
  requestedAt: Date;
  /** Set when the ledger refused the reversal (the transfer stays `posted`); cleared by a new claim. */
  refusal: ReversalRefusal | null;
}

export interface ReversalRefusal {
  code: string;
  message: string | null;
  refusedAt: Date;
}

export interface NewTransfer {
  /** Chosen by the store when absent. */
  id?: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  description?: string | null;
  metadata?: Record<string, unknown>;
  traceId?: string | null;
  createdBy?: string | null;
  /** A batch item's own reference. */
  reference?: string | null;
}

export interface CreateTransferInput {
  /** Whose key it is (api/principal.ts): keys are unique per principal, and a replay only ever finds the principal's own. */
  principal: string;
  idempotencyKey: string;
  /** A digest of the request body (lib/request-hash.ts); a key replayed with another body is refused by the caller. */
  requestHash: string;
  transfer: NewTransfer;
}

export type CreateTransferResult =
  | { created: true; transfer: TransferRecord }
  | { created: false; transfer: TransferRecord; requestHashMatches: boolean };

export interface StatusUpdate {
  status: TransferStatus;
  failureCode?: string | null;
  failureMessage?: string | null;
  entryId?: string | null;
  reversalEntryId?: string | null;
  decidedBy?: string | null;
}

/** `applied` is false when the move is not allowed (e.g. a terminal status recorded again); `transfer` is the row as it stands. */
export interface RecordStatusResult {
  applied: boolean;
  transfer: TransferRecord | null;
}

export interface ListTransfersQuery {
  accountId?: string;
  status?: TransferStatus;
  /** Only the transfers this principal created. */
  createdBy?: string;
  /** 1..200; the caller validates, the store clamps. */
  limit: number;
  cursor?: string | null;
}

export interface TransferPage {
  items: TransferRecord[];
  nextCursor: string | null;
}

/** The ledger's refusal of a transfer's reversal, as the reversal workflow records it. */
export interface ReversalRefusalUpdate {
  failureCode: string;
  failureMessage: string;
}

export interface ClaimReversalInput {
  reversalId: string;
  /** Whose key it is: a key names one reversal of one principal. */
  principal: string;
  idempotencyKey: string;
  traceId: string | null;
}

/**
 * `claimed`: this request asked for the reversal (the first, or a new one
 * after the last was refused); `replayed`: its key asked for a reversal of
 * this transfer before; `not-allowed`: the transfer is not posted, or has a
 * reversal pending or posted under another key; `key-reused`: the key asked
 * for another transfer's reversal.
 */
export type ClaimReversalResult =
  | { outcome: 'claimed'; transfer: TransferRecord }
  | { outcome: 'replayed'; transfer: TransferRecord }
  | { outcome: 'not-allowed'; transfer: TransferRecord }
  | { outcome: 'key-reused' }
  | { outcome: 'not-found' };

export interface TransferStore {
  createTransfer(input: CreateTransferInput): Promise<CreateTransferResult>;
  claimReversal(transferId: string, claim: ClaimReversalInput): Promise<ClaimReversalResult>;
  getTransfer(id: string): Promise<TransferRecord | null>;
  listTransfers(query: ListTransfersQuery): Promise<TransferPage>;
  recordStatus(transferId: string, update: StatusUpdate): Promise<RecordStatusResult>;
  recordReversalRefused(transferId: string, refusal: ReversalRefusalUpdate): Promise<RecordStatusResult>;
}

export const LIST_LIMIT_MAX = 200;

/** A malformed `cursor`; the gateway answers 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API issued');
    this.name = 'InvalidCursorError';
  }
}

// created_at with its full microsecond precision, for the keyset cursor (a JS Date keeps only milliseconds).
export const COLUMNS = `id, from_account_id, to_account_id, amount_minor, currency, description, metadata, status,
  failure_code, failure_message, entry_id, reversal_entry_id, trace_id, created_by, decided_by, created_at, updated_at,
  reversal_id, reversal_idempotency_key, reversal_trace_id, reversal_requested_at,
  reversal_failure_code, reversal_failure_message, reversal_refused_at, batch_id, batch_index, reference,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_exact`;

/** A transfers row as COLUMNS reads it. */
export interface TransferRow {
  id: string;
  from_account_id: string;
  to_account_id: string;
  amount_minor: string;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown>;
  status: TransferStatus;
  failure_code: string | null;
  failure_message: string | null;
  entry_id: string | null;
  reversal_entry_id: string | null;
  trace_id: string | null;
  created_by: string | null;
  decided_by: string | null;
  created_at: Date;
  updated_at: Date;
  reversal_id: string | null;
  reversal_idempotency_key: string | null;
  reversal_trace_id: string | null;
  reversal_requested_at: Date | null;
  reversal_failure_code: string | null;
  reversal_failure_message: string | null;
  reversal_refused_at: Date | null;
  batch_id: string | null;
  batch_index: number | null;
  reference: string | null;
  created_at_exact: string;
}

export function toRecord(row: TransferRow): TransferRecord {
  return {
    id: row.id,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    amountMinor: fromDbAmount(row.amount_minor),
    currency: row.currency,
    description: row.description,
    metadata: row.metadata,
    status: row.status,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    entryId: row.entry_id,
    reversalEntryId: row.reversal_entry_id,
    traceId: row.trace_id,
    createdBy: row.created_by,
    decidedBy: row.decided_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    reversal:
      row.reversal_id === null || row.reversal_requested_at === null
        ? null
        : {
            id: row.reversal_id,
            idempotencyKey: row.reversal_idempotency_key,
            traceId: row.reversal_trace_id,
            requestedAt: row.reversal_requested_at,
            refusal: refusalOf(row),
          },
    batchId: row.batch_id,
    batchIndex: row.batch_index,
    reference: row.reference,
  };
}

function refusalOf(row: TransferRow): ReversalRefusal | null {
  if (row.reversal_failure_code === null || row.reversal_refused_at === null) return null;
  return { code: row.reversal_failure_code, message: row.reversal_failure_message, refusedAt: row.reversal_refused_at };
}

export function createTransferStore(pool: Pool): TransferStore {
  return {
    createTransfer: (input) => createTransfer(pool, input),
    claimReversal: (transferId, claim) => claimReversal(pool, transferId, claim),
    getTransfer: (id) => getTransfer(pool, id),
    listTransfers: (query) => listTransfers(pool, query),
    recordStatus: (transferId, update) => recordStatus(pool, transferId, update),
    recordReversalRefused: (transferId, refusal) => recordReversalRefused(pool, transferId, refusal),
  };
}

/**
 * Creates the transfer and claims its idempotency key in one transaction. The
 * key's primary key (principal, key) decides between concurrent requests: the first insert
 * wins, the others wait for it to commit, insert nothing, and return the
 * winner's transfer. There is no read before the write.
 */
async function createTransfer(pool: Pool, input: CreateTransferInput): Promise<CreateTransferResult> {
  // A key purged (past its retention) between the conflicting insert and the read is free again: the second try claims it.
  return (await createOrReplay(pool, input)) ?? (await createOrReplay(pool, input)) ?? missingKeyError(input);
}

function missingKeyError(input: CreateTransferInput): never {
  throw new Error(`idempotency key ${input.idempotencyKey} conflicted twice but its transfer is missing`);
}

/** One attempt: the created or replayed transfer, or null when the conflicting key was gone by the time it was read. */
async function createOrReplay(pool: Pool, input: CreateTransferInput): Promise<CreateTransferResult | null> {
  const transferId = input.transfer.id ?? randomUUID();
  const created = await inTransaction(pool, async (client) => {
    const claimed = await client.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, transfer_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (principal, key) DO NOTHING RETURNING key`,
      [input.principal, input.idempotencyKey, input.requestHash, transferId],
    );
    if (claimed.rowCount === 0) return null;
    const t = input.transfer;
    const inserted = await client.query<TransferRow>(
      `INSERT INTO transfers (id, from_account_id, to_account_id, amount_minor, currency, description, metadata, trace_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${COLUMNS}`,
      [transferId, t.fromAccountId, t.toAccountId, t.amountMinor.toString(), t.currency, t.description ?? null, t.metadata ?? {}, t.traceId ?? null, t.createdBy ?? null],
    );
    return toRecord(required(inserted.rows[0], `the row INSERT … RETURNING gave for transfer ${transferId}`));
  });
  if (created) return { created: true, transfer: created };

  const existing = await pool.query<TransferRow & { request_hash: string }>(
    `SELECT k.request_hash, t.*
     FROM idempotency_keys k, LATERAL (SELECT ${COLUMNS} FROM transfers WHERE id = k.transfer_id) t
     WHERE k.principal = $1 AND k.key = $2`,
    [input.principal, input.idempotencyKey],
  );
  // The key was committed by another request, so its row is visible now (READ COMMITTED, new statement), unless purged since.
  const [row] = existing.rows;
  if (!row) return null;
  return { created: false, transfer: toRecord(row), requestHashMatches: row.request_hash === input.requestHash };
}

const UNIQUE_VIOLATION = '23505';

/**
 * Claims the reversal of a posted transfer for this idempotency key: the
 * first one, or a new one once the last was refused (its columns are
 * replaced: new id, refusal and resume state cleared). The UPDATE's guard
 * decides under the row lock, so of concurrent requests one claims and the
 * others see its claim; the same statement records the key in
 * reversal_idempotency_keys, whose primary key (principal, key) keeps a key from naming two
 * reversals (a key whose reversal was replaced still replays, and still
 * cannot claim another transfer's). A key already recorded claims nothing.
 * Reads only when the claim did not go through, to say why.
 */
async function claimReversal(pool: Pool, transferId: string, claim: ClaimReversalInput): Promise<ClaimReversalResult> {
  try {
    const claimed = await pool.query<TransferRow>(
      `WITH claimed AS (
         UPDATE transfers SET reversal_id = $2, reversal_idempotency_key = $3, reversal_trace_id = $4, reversal_requested_at = now(),
                reversal_failure_code = NULL, reversal_failure_message = NULL, reversal_refused_at = NULL,
                reversal_resume_attempts = 0, reversal_resume_after = NULL
          WHERE id = $1 AND status = 'posted' AND (reversal_id IS NULL OR reversal_refused_at IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM reversal_idempotency_keys WHERE principal = $5 AND key = $3)
          RETURNING *
       ), remembered AS (
         INSERT INTO reversal_idempotency_keys (principal, key, transfer_id, reversal_id) SELECT $5, reversal_idempotency_key, id, reversal_id FROM claimed
       )
       SELECT ${COLUMNS} FROM claimed`,
      [transferId, claim.reversalId, claim.idempotencyKey, claim.traceId, claim.principal],
    );
    const [row] = claimed.rows;
    if (row) return { outcome: 'claimed', transfer: toRecord(row) };
  } catch (error) {
    // The key was recorded by a concurrent request (of this transfer or another): the reads below say which.
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
  }
  const transfer = await getTransfer(pool, transferId);
  if (!transfer) return { outcome: 'not-found' };
  const owner = await keyOwner(pool, claim.principal, claim.idempotencyKey);
  if (owner === transferId) return { outcome: 'replayed', transfer };
  return owner === null ? { outcome: 'not-allowed', transfer } : { outcome: 'key-reused' };
}

/**
 * The transfer whose reversal this principal's key asked for, or null (never
 * used, or purged past its retention). Only the table counts: the key on the
 * transfer's row names no principal (migration 007 copied every claim made
 * before it into the table).
 */
async function keyOwner(pool: Pool, principal: string, key: string): Promise<string | null> {
  const { rows } = await pool.query<{ transfer_id: string }>(
    'SELECT transfer_id FROM reversal_idempotency_keys WHERE principal = $1 AND key = $2',
    [principal, key],
  );
  return rows[0]?.transfer_id ?? null;
}

async function getTransfer(pool: Pool, id: string): Promise<TransferRecord | null> {
  const result = await pool.query<TransferRow>(`SELECT ${COLUMNS} FROM transfers WHERE id = $1`, [id]);
  const [row] = result.rows;
  return row ? toRecord(row) : null;
}

interface Cursor {
  createdAt: string;
  id: string;
}

function encodeCursor(row: TransferRow): string {
  return Buffer.from(JSON.stringify({ createdAt: row.created_at_exact, id: row.id } satisfies Cursor)).toString('base64url');
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXACT_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof parsed.createdAt === 'string' && EXACT_TIME_PATTERN.test(parsed.createdAt) && typeof parsed.id === 'string' && UUID_PATTERN.test(parsed.id)) {
      return { createdAt: parsed.createdAt, id: parsed.id };
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError();
}

/** Newest first, keyset-paginated on (created_at, id), so a page never skips or repeats a row inserted meanwhile. */
async function listTransfers(pool: Pool, query: ListTransfersQuery): Promise<TransferPage> {
  const limit = Math.min(Math.max(Math.trunc(query.limit), 1), LIST_LIMIT_MAX);
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.accountId) {
    const p = param(query.accountId);
    conditions.push(`(from_account_id = ${p} OR to_account_id = ${p})`);
  }
  if (query.status) conditions.push(`status = ${param(query.status)}`);
  if (query.createdBy !== undefined) conditions.push(`created_by = ${param(query.createdBy)}`);
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor);
    conditions.push(`(created_at, id) < (${param(cursor.createdAt)}::timestamptz, ${param(cursor.id)}::uuid)`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const result = await pool.query<TransferRow>(
    `SELECT ${COLUMNS} FROM transfers ${where} ORDER BY created_at DESC, id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
  const { items: rows, continueAfter: last } = lookaheadPage(result.rows, limit);
  const nextCursor = last ? encodeCursor(last) : null;
  return { items: rows.map(toRecord), nextCursor };
}

/**
 * canMoveStatus in SQL: the status in `from` and the one wanted in `to` must
 * be one of STATUS_MOVES. The pairs are literals of TRANSFER_STATUSES, our
 * own constants, so they are written into the text rather than sent as values.
 */
export function statusMoveGuard(from: string, to: string): string {
  return `(${from}, ${to}) IN (${STATUS_MOVES.map(([a, b]) => `('${a}', '${b}')`).join(', ')})`;
}

const STATUS_MOVE_GUARD = statusMoveGuard('status', '$2::text');

/**
 * Records a status move. The WHERE clause is the guard (STATUS_MOVE_GUARD):
 * a terminal status is never moved backwards, even by a late or repeated
 * write; such a write changes nothing and reports `applied: false` with the
 * row as it stands.
 */
async function recordStatus(pool: Pool, transferId: string, update: StatusUpdate): Promise<RecordStatusResult> {
  const result = await pool.query<TransferRow>(
    `UPDATE transfers SET
       status = $2,
       failure_code = COALESCE($3, failure_code),
       failure_message = COALESCE($4, failure_message),
       entry_id = COALESCE($5, entry_id),
       reversal_entry_id = COALESCE($6, reversal_entry_id),
       decided_by = COALESCE($7, decided_by),
       updated_at = now()
     WHERE id = $1 AND ${STATUS_MOVE_GUARD}
     RETURNING ${COLUMNS}`,
    [transferId, update.status, update.failureCode ?? null, update.failureMessage ?? null, update.entryId ?? null, update.reversalEntryId ?? null, update.decidedBy ?? null],
  );
  const [row] = result.rows;
  if (!row) return { applied: false, transfer: await getTransfer(pool, transferId) };
  return { applied: true, transfer: toRecord(row) };
}

/**
 * Records the ledger's refusal of the transfer's reversal: the transfer stays
 * `posted`, its reversal is refused (the table's trigger notifies, so a
 * request waiting for the reversal answers at once). Only a claimed reversal
 * not refused yet of a posted transfer is marked; a repeat changes nothing
 * and reports `applied: false`. `updated_at` stays: no status moved.
 */
async function recordReversalRefused(pool: Pool, transferId: string, refusal: ReversalRefusalUpdate): Promise<RecordStatusResult> {
  const result = await pool.query<TransferRow>(
    `UPDATE transfers SET reversal_failure_code = $2, reversal_failure_message = $3, reversal_refused_at = now()
      WHERE id = $1 AND status = 'posted' AND reversal_id IS NOT NULL AND reversal_refused_at IS NULL
      RETURNING ${COLUMNS}`,
    [transferId, refusal.failureCode, refusal.failureMessage],
  );
  const [row] = result.rows;
  if (row) return { applied: true, transfer: toRecord(row) };
  return { applied: false, transfer: await getTransfer(pool, transferId) };
}
