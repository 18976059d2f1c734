/** The public contract's transfer batch resource, built from a stored record (times as RFC 3339 UTC with milliseconds). */
import type { BatchMode, BatchRecord, BatchStatus } from './batch-store';

export interface TransferBatchResource {
  id: string;
  mode: BatchMode;
  status: BatchStatus;
  /** How many transfers the batch holds. */
  itemCount: number;
  /** How many of them posted and failed so far (both final once the batch is). */
  counts: { posted: number; failed: number };
  /** An atomic batch's failure: the refused item's code and index (from 0); null otherwise. */
  failureCode: string | null;
  failureIndex: number | null;
  traceId: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toBatchResource(record: BatchRecord): TransferBatchResource {
  return {
    id: record.id,
    mode: record.mode,
    status: record.status,
    itemCount: record.itemCount,
    counts: { posted: record.postedCount, failed: record.failedCount },
    failureCode: record.failureCode,
    failureIndex: record.failureIndex,
    traceId: record.traceId,
    createdBy: record.createdBy,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
