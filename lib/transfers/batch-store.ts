/**
 * Data access of transfer batches (migrations/013_transfer_batches.sql):
 * the gateway creates a batch with all its items, the batch workflow's
 * activities read a chunk of items and record their statuses, then the
 * batch's outcome. Every write is one statement (or one transaction) per
 * call, whatever the number of items: the point of a batch is that its cost
 * does not grow per item the way a transfer's does.
 */
import { randomUUID } from 'node:crypto';
import { present, required } from '../assert';
import { fromDbAmount } from '../money';
import { lookaheadPage } from '../pages';
import { inTransaction, type Pool } from '../pg';
import type { TransferStatus } from './status';
import { COLUMNS, InvalidCursorError, statusMoveGuard, toRecord, type NewTransfer, type TransferPage, type TransferRow } from './store';

export const BATCH_MODES = ['atomic', 'independent'] as const;
export type BatchMode = (typeof BATCH_MODES)[number];
export const BATCH_STATUSES = ['pending', 'completed', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** The most items one batch holds (the contract's limit; the table checks it too). */
export const BATCH_ITEMS_MAX = 1000;

export interface BatchRecord {
  id: string;
  mode: BatchMode;
  status: BatchStatus;
  itemCount: number;
  postedCount: number;
  failedCount: number;
  /** An atomic batch's failure: the refusal's code and the index of the item refused. */
  failureCode: string | null;
  failureIndex: number | null;
  traceId: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateBatchInput {
  principal: string;
  idempotencyKey: string;
  requestHash: string;
  batch: { id?: string; mode: BatchMode; traceId: string | null; createdBy: string | null; items: NewTransfer[] };
}

export type CreateBatchResult =
  | { created: true; batch: BatchRecord }
  | { created: false; batch: BatchRecord; requestHashMatches: boolean };

/** An item as the batch workflow posts it. */
export interface BatchItem {
  transferId: string;
  batchIndex: number;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  description: string | null;
  status: TransferStatus;
  entryId: string | null;
  failureCode: string | null;
}

/** The status an item reached: posted into its entry, or failed with a code. */
export type ItemOutcome =
  | { transferId: string; status: 'posted'; entryId: string }
  | { transferId: string; status: 'failed'; failureCode: string; failureMessage: string };

export interface BatchOutcome {
  status: Exclude<BatchStatus, 'pending'>;
  postedCount: number;
  failedCount: number;
  failureCode: string | null;
  failureIndex: number | null;
}

interface BatchRow {
  id: string;
  mode: BatchMode;
  status: BatchStatus;
  item_count: number;
  posted_count: number;
  failed_count: number;
  failure_code: string | null;
  failure_index: number | null;
  trace_id: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

function toBatch(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    mode: row.mode,
    status: row.status,
    itemCount: row.item_count,
    postedCount: row.posted_count,
    failedCount: row.failed_count,
    failureCode: row.failure_code,
    failureIndex: row.failure_index,
    traceId: row.trace_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface BatchStore {
  createBatch(input: CreateBatchInput): Promise<CreateBatchResult>;
  getBatch(id: string): Promise<BatchRecord | null>;
  listBatchItems(batchId: string, page: { limit: number; cursor?: string | null }): Promise<TransferPage>;
  batchItems(batchId: string, fromIndex: number, count: number): Promise<BatchItem[]>;
  recordItemOutcomes(outcomes: ItemOutcome[]): Promise<number>;
  recordBatchOutcome(batchId: string, outcome: BatchOutcome): Promise<BatchRecord | null>;
  pendingBatches(olderThanMs: number, limit: number): Promise<BatchRecord[]>;
}

export function createBatchStore(pool: Pool): BatchStore {
  return {
    createBatch: (input) => createBatch(pool, input),
    getBatch: (id) => getBatch(pool, id),
    listBatchItems: (batchId, page) => listBatchItems(pool, batchId, page),
    batchItems: (batchId, fromIndex, count) => batchItems(pool, batchId, fromIndex, count),
    recordItemOutcomes: (outcomes) => recordItemOutcomes(pool, outcomes),
    recordBatchOutcome: (batchId, outcome) => recordBatchOutcome(pool, batchId, outcome),
    pendingBatches: (olderThanMs, limit) => pendingBatches(pool, olderThanMs, limit),
  };
}

/**
 * Creates the batch, claims its key and writes every item's transfers row in
 * one transaction; the key's primary key decides between concurrent requests
 * (as for a transfer: lib/transfers/store.ts), with no read before the write.
 */
async function createBatch(pool: Pool, input: CreateBatchInput): Promise<CreateBatchResult> {
  return (await createOrReplay(pool, input)) ?? (await createOrReplay(pool, input)) ?? missingKey(input);
}

function missingKey(input: CreateBatchInput): never {
  throw new Error(`batch idempotency key ${input.idempotencyKey} conflicted twice but its batch is missing`);
}

async function createOrReplay(pool: Pool, input: CreateBatchInput): Promise<CreateBatchResult | null> {
  const batchId = input.batch.id ?? randomUUID();
  const created = await inTransaction(pool, async (client) => {
    const claimed = await client.query(
      `INSERT INTO batch_idempotency_keys (principal, key, request_hash, batch_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (principal, key) DO NOTHING RETURNING key`,
      [input.principal, input.idempotencyKey, input.requestHash, batchId],
    );
    if (claimed.rowCount === 0) return null;
    const { batch } = input;
    const inserted = await client.query<BatchRow>(
      `INSERT INTO transfer_batches (id, mode, item_count, trace_id, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [batchId, batch.mode, batch.items.length, batch.traceId, batch.createdBy],
    );
    await insertItems(client, batchId, batch);
    return toBatch(required(inserted.rows[0], `the row INSERT … RETURNING gave for batch ${batchId}`));
  });
  if (created) return { created: true, batch: created };
  const { rows } = await pool.query<BatchRow & { request_hash: string }>(
    `SELECT k.request_hash, b.* FROM batch_idempotency_keys k JOIN transfer_batches b ON b.id = k.batch_id WHERE k.principal = $1 AND k.key = $2`,
    [input.principal, input.idempotencyKey],
  );
  const [row] = rows;
  if (!row) return null;
  return { created: false, batch: toBatch(row), requestHashMatches: row.request_hash === input.requestHash };
}

/** Every item's transfers row in one INSERT (arrays, one per column: the parameter count does not grow with the items). */
async function insertItems(client: { query: Pool['query'] }, batchId: string, batch: CreateBatchInput['batch']): Promise<void> {
  const items = batch.items;
  await client.query(
    `INSERT INTO transfers (id, from_account_id, to_account_id, amount_minor, currency, description, metadata, reference, trace_id, created_by, batch_id, batch_index)
     SELECT u.id, u.from_id, u.to_id, u.amount, u.currency, u.description, u.metadata, u.reference, $9, $10, $11, u.ord - 1
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::jsonb[], $8::text[])
            WITH ORDINALITY AS u(id, from_id, to_id, amount, currency, description, metadata, reference, ord)`,
    [
      items.map((item) => item.id ?? randomUUID()),
      items.map((item) => item.fromAccountId),
      items.map((item) => item.toAccountId),
      items.map((item) => item.amountMinor.toString()),
      items.map((item) => item.currency),
      items.map((item) => item.description ?? null),
      items.map((item) => JSON.stringify(item.metadata ?? {})),
      items.map((item) => item.reference ?? null),
      batch.traceId,
      batch.createdBy,
      batchId,
    ],
  );
}

/** The batch; while it is pending, its counts are its items' so far (a final batch keeps those it ended with). */
async function getBatch(pool: Pool, id: string): Promise<BatchRecord | null> {
  const { rows } = await pool.query<BatchRow>(
    `SELECT b.id, b.mode, b.status, b.item_count, b.failure_code, b.failure_index, b.trace_id, b.created_by, b.created_at, b.updated_at,
            CASE WHEN b.status = 'pending' THEN live.posted ELSE b.posted_count END AS posted_count,
            CASE WHEN b.status = 'pending' THEN live.failed ELSE b.failed_count END AS failed_count
       FROM transfer_batches b,
            LATERAL (SELECT count(*) FILTER (WHERE t.status IN ('posted', 'reversed'))::int AS posted,
                            count(*) FILTER (WHERE t.status = 'failed')::int AS failed
                       FROM transfers t WHERE t.batch_id = b.id AND b.status = 'pending') live
      WHERE b.id = $1`,
    [id],
  );
  return rows[0] ? toBatch(rows[0]) : null;
}

/** A batch's items in their order, keyset-paginated on the index (the cursor is opaque to clients). */
async function listBatchItems(pool: Pool, batchId: string, page: { limit: number; cursor?: string | null }): Promise<TransferPage> {
  const after = page.cursor ? decodeIndexCursor(page.cursor) : -1;
  const limit = Math.max(1, Math.trunc(page.limit));
  const { rows } = await pool.query<TransferRow>(
    `SELECT ${COLUMNS} FROM transfers WHERE batch_id = $1 AND batch_index > $2 ORDER BY batch_index LIMIT $3`,
    [batchId, after, limit + 1],
  );
  const { items, continueAfter } = lookaheadPage(rows, limit);
  return { items: items.map(toRecord), nextCursor: continueAfter ? encodeIndexCursor(present(continueAfter.batch_index, 'the index of a batch item')) : null };
}

function encodeIndexCursor(index: number): string {
  return Buffer.from(JSON.stringify({ batchIndex: index })).toString('base64url');
}

function decodeIndexCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { batchIndex?: unknown };
    if (Number.isInteger(parsed.batchIndex) && (parsed.batchIndex as number) >= 0) return parsed.batchIndex as number;
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError();
}

/** Items `fromIndex` to `fromIndex + count − 1` of the batch, in order. */
async function batchItems(pool: Pool, batchId: string, fromIndex: number, count: number): Promise<BatchItem[]> {
  const { rows } = await pool.query<{
    id: string; batch_index: number; from_account_id: string; to_account_id: string; amount_minor: string; currency: string;
    description: string | null; status: TransferStatus; entry_id: string | null; failure_code: string | null;
  }>(
    `SELECT id, batch_index, from_account_id, to_account_id, amount_minor, currency, description, status, entry_id, failure_code
       FROM transfers WHERE batch_id = $1 AND batch_index >= $2 AND batch_index < $3 ORDER BY batch_index`,
    [batchId, fromIndex, fromIndex + count],
  );
  return rows.map((row) => ({
    transferId: row.id,
    batchIndex: row.batch_index,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    amountMinor: fromDbAmount(row.amount_minor),
    currency: row.currency,
    description: row.description,
    status: row.status,
    entryId: row.entry_id,
    failureCode: row.failure_code,
  }));
}

/**
 * Records the items' outcomes in one UPDATE, each under the status-move guard
 * (a repeat, or a row already final, changes nothing); returns how many moved.
 */
async function recordItemOutcomes(pool: Pool, outcomes: ItemOutcome[]): Promise<number> {
  if (outcomes.length === 0) return 0;
  const { rowCount } = await pool.query(
    `UPDATE transfers t SET status = u.status, entry_id = u.entry_id, failure_code = u.failure_code, failure_message = u.failure_message, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[]) AS u(id, status, entry_id, failure_code, failure_message)
      WHERE t.id = u.id AND ${statusMoveGuard('t.status', 'u.status')}`,
    [
      outcomes.map((o) => o.transferId),
      outcomes.map((o) => o.status),
      outcomes.map((o) => (o.status === 'posted' ? o.entryId : null)),
      outcomes.map((o) => (o.status === 'failed' ? o.failureCode : null)),
      outcomes.map((o) => (o.status === 'failed' ? o.failureMessage : null)),
    ],
  );
  return rowCount ?? 0;
}

/** Records the batch's outcome once: null when it was final already (a repeat) or does not exist. */
async function recordBatchOutcome(pool: Pool, batchId: string, outcome: BatchOutcome): Promise<BatchRecord | null> {
  const { rows } = await pool.query<BatchRow>(
    `UPDATE transfer_batches SET status = $2, posted_count = $3, failed_count = $4, failure_code = $5, failure_index = $6, updated_at = now()
      WHERE id = $1 AND status = 'pending' RETURNING *`,
    [batchId, outcome.status, outcome.postedCount, outcome.failedCount, outcome.failureCode, outcome.failureIndex],
  );
  return rows[0] ? toBatch(rows[0]) : null;
}

/** Batches still pending `olderThanMs` after they were created, oldest first (the gateway's resumer). */
async function pendingBatches(pool: Pool, olderThanMs: number, limit: number): Promise<BatchRecord[]> {
  const { rows } = await pool.query<BatchRow>(
    `SELECT * FROM transfer_batches WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1::double precision / 1000)
      ORDER BY created_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map(toBatch);
}
