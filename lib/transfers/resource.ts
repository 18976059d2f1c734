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
  createdAt: string;
  updatedAt: string;
}

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
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}
