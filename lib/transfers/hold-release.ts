/**
 * Releases a transfer's hold in the ledger: the saga's compensation
 * (activities/index.ts voidHold) and the gateway's finalization of a transfer
 * whose workflow closed without an outcome (api/closed-workflows.ts) make the
 * same call, so both meet the ledger's answer the same way. Safe to repeat: a
 * hold never reserved is tombstoned (a late reserve of it cannot take effect),
 * one voided or expired already is fine. A hold found captured is reported
 * with its entry: money moved, and the ledger is the truth.
 */
import { LedgerRefusalError, type LedgerApi } from '../clients';

export type HoldRelease = { captured: false; holdStatus: string | null } | { captured: true; entryId: string | null };

export interface HoldReleaseRequest {
  holdId: string;
  reason: string;
}

export async function releaseTransferHold(ledger: Pick<LedgerApi, 'voidHold' | 'getHold'>, request: HoldReleaseRequest): Promise<HoldRelease> {
  try {
    const hold = await ledger.voidHold(request.holdId, { reason: request.reason });
    return { captured: false, holdStatus: hold?.status ?? null };
  } catch (error) {
    if (!(error instanceof LedgerRefusalError && error.code === 'HOLD_NOT_RESERVED')) throw error;
  }
  // Not reserved any more: captured (money moved), or released by an earlier void or by its expiry.
  const hold = await ledger.getHold(request.holdId);
  if (hold?.status === 'captured') return { captured: true, entryId: hold.entryId };
  return { captured: false, holdStatus: hold?.status ?? null };
}
