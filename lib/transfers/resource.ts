/**
 * The public contract's transfer resource, built from a stored record: money as
 * a string of minor units, times as RFC 3339 UTC with milliseconds.
 */
import { formatAmountMinor } from '../money';
import type { TransferStatus } from './status';
import type { TransferRecord } from './store';

export interface TransferResource {
  id: string;
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown>;
  status: TransferStatus;
  failureCode: string | null;
  failureMessage: string | null;
  entryId: string | null;
  traceId: string | null;
  /** The principal (API client id) that created it; `development` in development mode; null for transfers from before principals. */
  createdBy: string | null;
  /** The principal whose approve, reject or cancel decided it; null until then, or when no decision was taken. */
  decidedBy: string | null;
  createdAt: string;
  updatedAt: string;
  /** The reversal asked for, or null (an extension of the contract's resource: docs/api-contract.md). */
  reversal: ReversalResource | null;
  /** The batch it was created in and its place there (from 0); both null for a transfer created alone. */
  batchId: string | null;
  batchIndex: number | null;
  /** A batch item's own reference, as sent; null when none was (always, for a transfer created alone). */
  reference: string | null;
}

/**
 * A transfer's reversal: `pending` until its reversing entry is posted (the
 * transfer then `reversed`), `posted` after, or `refused` when the ledger
 * refused it (the transfer stays `posted`; `failureCode` and `failureMessage`
 * say why, null otherwise, as on the transfer). `traceId` is the trace of the
 * request that asked for it; `createdAt` when it was asked for.
 */
export interface ReversalResource {
  id: string;
  status: ReversalStatus;
  entryId: string | null;
  traceId: string | null;
  createdAt: string;
  failureCode: string | null;
  failureMessage: string | null;
}

export const REVERSAL_STATUSES = ['pending', 'posted', 'refused'] as const;
export type ReversalStatus = (typeof REVERSAL_STATUSES)[number];

export function toTransferResource(record: TransferRecord): TransferResource {
  return {
    id: record.id,
    fromAccountId: record.fromAccountId,
    toAccountId: record.toAccountId,
    amount: formatAmountMinor(record.amountMinor),
    currency: record.currency,
    description: record.description,
    metadata: record.metadata,
    status: record.status,
    failureCode: record.failureCode,
    failureMessage: record.failureMessage,
    entryId: record.entryId,
    traceId: record.traceId,
    createdBy: record.createdBy,
    decidedBy: record.decidedBy,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    reversal: toReversalResource(record),
    batchId: record.batchId,
    batchIndex: record.batchIndex,
    reference: record.reference,
  };
}

function toReversalResource(record: TransferRecord): ReversalResource | null {
  if (!record.reversal) return null;
  const posted = record.status === 'reversed';
  // The ledger's answer decides: a reversed transfer's reversal is posted whatever else the row says.
  const refusal = posted ? null : record.reversal.refusal;
  return {
    id: record.reversal.id,
    status: posted ? 'posted' : refusal ? 'refused' : 'pending',
    entryId: posted ? record.reversalEntryId : null,
    traceId: record.reversal.traceId,
    createdAt: record.reversal.requestedAt.toISOString(),
    failureCode: refusal?.code ?? null,
    failureMessage: refusal?.message ?? null,
  };
}
