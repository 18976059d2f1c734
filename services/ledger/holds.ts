/**
 * Two-phase movements: a hold reserves an amount on the source account (it
 * counts in `pending`, so `available` drops at once), then is captured into a
 * journal entry, voided, or expires. Every function is idempotent by hold id.
 */
import type { PoolClient } from 'pg';
import type { EntryDto, HoldDto } from '../../lib/contracts/ledger';
import { AppError, conflict, notFound, ruleViolation } from '../../lib/errors';
import { appendToOutbox } from '../../lib/outbox';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import { requireActiveAccounts } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { holdEvent } from './events';
import { postLines } from './posting';
import {
  claimEntry,
  ensureAccounts,
  getEntry,
  getHold,
  holdDto,
  insertHold,
  insertRefusal,
  insertTombstone,
  lockAccounts,
  saveBalance,
  setHoldStatus,
  type AccountBalance,
  type HoldRow,
} from './repository';
import { withinCreditLimit } from './rules';
import type { CaptureHold, ReserveHold } from './schemas';

export interface HoldResult {
  hold: HoldDto;
  replayed: boolean;
}

/** The refusals of a reserve that a repeat of it must get again (lib/contracts/ledger.ts codes). */
const REMEMBERED_REFUSALS = new Set(['ACCOUNT_NOT_FOUND', 'ACCOUNT_FROZEN', 'CURRENCY_MISMATCH', 'INSUFFICIENT_FUNDS']);

export async function reserveHold(deps: LedgerDeps, request: ReserveHold): Promise<HoldResult> {
  const hash = requestHash(request);
  const existing = await getHold(deps.pool, request.holdId);
  if (existing) return replayReserve(existing, hash);
  try {
    return await reserveNew(deps, request, hash);
  } catch (error) {
    const code = error instanceof AppError ? error.extensions.code : undefined;
    if (code === undefined || !REMEMBERED_REFUSALS.has(code)) throw error;
    await insertRefusal(deps.pool, request.holdId, { code, message: (error as AppError).detail ?? code });
    // The row decides: this refusal, or a twin's reserve or void that got there first.
    return replayReserve((await getHold(deps.pool, request.holdId))!, hash);
  }
}

async function reserveNew(deps: LedgerDeps, request: ReserveHold, hash: string): Promise<HoldResult> {
  const accounts = await requireActiveAccounts(deps.directory, [request.fromAccountId, request.toAccountId], request.currency);
  const hold = await inTransaction(deps.pool, async (client) => {
    await ensureAccounts(client, accounts);
    const inserted = await insertHold(client, {
      ...request,
      expiresAt: request.expiresAt ? new Date(request.expiresAt) : null,
      requestHash: hash,
    });
    if (!inserted) return null; // a twin or a tombstone got there first
    const source = (await lockAccounts(client, [request.fromAccountId])).get(request.fromAccountId)!;
    const availableAfterMinor = source.postedMinor - source.pendingMinor - request.amountMinor;
    if (!withinCreditLimit(availableAfterMinor, source.creditLimitMinor)) {
      throw ruleViolation(
        'INSUFFICIENT_FUNDS',
        `account ${request.fromAccountId} would have ${availableAfterMinor} available, below its credit limit`,
      );
    }
    source.pendingMinor += request.amountMinor;
    await saveBalance(client, source);
    await appendToOutbox(client, [holdEvent(holdDto(inserted))]);
    return inserted;
  });
  if (hold) {
    deps.metrics.holdChanged('reserved');
    deps.logger.info({ hold_id: hold.holdId, transfer_id: hold.transferId, account_id: hold.fromAccountId, amount_minor: hold.amountMinor.toString(), currency: hold.currency }, 'hold reserved');
    return { hold: holdDto(hold), replayed: false };
  }
  return replayReserve((await getHold(deps.pool, request.holdId))!, hash);
}

function replayReserve(existing: HoldRow, hash: string): HoldResult {
  if (existing.refusalCode) throw ruleViolation(existing.refusalCode, existing.refusalMessage ?? existing.refusalCode);
  if (existing.tombstone) {
    throw ruleViolation('HOLD_NOT_RESERVED', `hold ${existing.holdId} was voided before it was reserved`);
  }
  if (existing.requestHash !== hash) throw conflict('hold-id-reused', `hold ${existing.holdId} exists with other content`);
  return { hold: holdDto(existing), replayed: true };
}

/**
 * Posts the hold's amount (debit source, credit destination) and releases
 * the reservation, in one transaction. The accounts are not looked up again:
 * the reserve checked them and authorized the hold, and a freeze since stops
 * new transfers only (the contract), so a capture needs nothing but the hold.
 */
export async function captureHold(deps: LedgerDeps, holdId: string, request: CaptureHold): Promise<{ hold: HoldDto; entry: EntryDto }> {
  const before = await getHold(deps.pool, holdId);
  if (!before || before.tombstone) throw notFound('hold', holdId);
  if (before.status === 'captured') return replayCapture(deps, before, request.entryId);
  if (before.status !== 'reserved') throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} is ${before.status}`);

  const result = await inTransaction(deps.pool, async (client) => {
    const locked = await lockAccounts(client, [before.fromAccountId, before.toAccountId]);
    const hold = (await getHold(client, holdId, { forUpdate: true }))!;
    if (hold.status === 'captured') return null;
    if (hold.status !== 'reserved') throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} is ${hold.status}`);
    if (hold.expiresAt && hold.expiresAt.getTime() <= Date.now()) {
      throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} expired at ${hold.expiresAt.toISOString()}`);
    }
    return captureLocked(client, hold, request, locked);
  });
  if (!result) return replayCapture(deps, (await getHold(deps.pool, holdId))!, request.entryId);
  deps.metrics.entryCreated('capture');
  deps.metrics.holdChanged('captured');
  deps.logger.info({ hold_id: holdId, entry_id: result.entry.entryId, transfer_id: before.transferId, amount_minor: before.amountMinor.toString(), currency: before.currency }, 'hold captured');
  return result;
}

async function captureLocked(client: PoolClient, hold: HoldRow, request: CaptureHold, locked: Map<string, AccountBalance>) {
  const header = {
    entryId: request.entryId,
    transferId: hold.transferId,
    holdId: hold.holdId,
    reversesEntryId: null,
    currency: hold.currency,
    description: request.description,
    requestHash: requestHash({ capture: hold.holdId }),
  };
  const postedAt = await claimEntry(client, header);
  if (!postedAt) throw conflict('entry-id-reused', `entry ${request.entryId} already exists`);
  locked.get(hold.fromAccountId)!.pendingMinor -= hold.amountMinor;
  const entry = await postLines(
    client,
    { ...header, postedAt },
    [
      { accountId: hold.fromAccountId, direction: 'debit', amountMinor: hold.amountMinor },
      { accountId: hold.toAccountId, direction: 'credit', amountMinor: hold.amountMinor },
    ],
    locked,
  );
  const captured = holdDto(await setHoldStatus(client, hold.holdId, 'captured', entry.entryId));
  await appendToOutbox(client, [holdEvent(captured)]);
  return { hold: captured, entry };
}

async function replayCapture(deps: LedgerDeps, hold: HoldRow, entryId: string) {
  if (hold.entryId !== entryId) throw conflict('hold-already-captured', `hold ${hold.holdId} was captured into entry ${hold.entryId}`);
  const stored = await getEntry(deps.pool, entryId);
  if (!stored) throw new Error(`assertion: captured hold ${hold.holdId} has no entry ${entryId}`);
  return { hold: holdDto(hold), entry: stored.entry };
}

export type VoidResult = HoldDto | { holdId: string; status: 'voided'; tombstone: true };

/**
 * Releases a reservation. Voiding twice is harmless; voiding a captured hold
 * is refused. Voiding a hold that does not exist (yet) leaves a tombstone, so a
 * slow reserve that arrives after its own compensation cannot take effect.
 */
export async function voidHold(deps: LedgerDeps, holdId: string): Promise<VoidResult> {
  return releaseHold(deps, holdId, 'voided');
}

/** Marks reserved holds past their expiry as expired, releasing the funds; returns how many. */
export async function expireDueHolds(deps: LedgerDeps, holdIds: string[]): Promise<number> {
  let expired = 0;
  for (const holdId of holdIds) {
    const result = await releaseHold(deps, holdId, 'expired');
    if (result.status === 'expired') expired += 1;
  }
  return expired;
}

async function releaseHold(deps: LedgerDeps, holdId: string, to: 'voided' | 'expired'): Promise<VoidResult> {
  const result = await inTransaction(deps.pool, async (client) => {
    const found = await getHold(client, holdId);
    if (!found) {
      if (to === 'voided' && (await insertTombstone(client, holdId))) return { holdId, status: 'voided' as const, tombstone: true as const };
      return null; // a reserve committed meanwhile: retry outside this transaction
    }
    if (found.tombstone) return { holdId, status: 'voided' as const, tombstone: true as const };
    const locked = await lockAccounts(client, [found.fromAccountId]);
    const hold = (await getHold(client, holdId, { forUpdate: true }))!;
    if (hold.status === 'voided' || hold.status === 'expired') return holdDto(hold);
    if (hold.status === 'captured') {
      if (to === 'expired') return holdDto(hold);
      throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} was captured into entry ${hold.entryId}`);
    }
    if (to === 'expired' && (!hold.expiresAt || hold.expiresAt.getTime() > Date.now())) return holdDto(hold);
    const source = locked.get(hold.fromAccountId)!;
    source.pendingMinor -= hold.amountMinor;
    await saveBalance(client, source);
    const released = holdDto(await setHoldStatus(client, holdId, to));
    await appendToOutbox(client, [holdEvent(released)]);
    deps.metrics.holdChanged(to);
    deps.logger.info({ hold_id: holdId, transfer_id: hold.transferId, account_id: hold.fromAccountId, amount_minor: hold.amountMinor.toString() }, `hold ${to}`);
    return released;
  });
  return result ?? releaseHold(deps, holdId, to);
}
