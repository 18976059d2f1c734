/**
 * Two-phase movements: a hold reserves an amount on the source account (it
 * counts in `pending`, so `available` drops at once), then is captured into a
 * journal entry, voided, or expires; or is reserved and captured in one
 * transaction (reserveAndCapture). Every function is idempotent by hold id.
 */
import type { PoolClient } from 'pg';
import type { EntryDto, HoldDto } from '../../lib/contracts/ledger';
import { present, required } from '../../lib/assert';
import { AppError, conflict, notFound, ruleViolation } from '../../lib/errors';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import { RESERVE_REFUSAL_CODES } from '../../lib/transfers/refusal-codes';
import { requireActiveAccounts, type KnownAccount } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { holdEvent } from './events';
import { postLines } from './posting';
import { appendTransactionEvents } from './transaction-events';
import {
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
  type LockedBalance,
  type HoldRow,
} from './repository';
import { movePending, withinCreditLimit } from './rules';
import type { CaptureHold, ReserveAndCapture, ReserveHold } from './schemas';

export interface HoldResult {
  hold: HoldDto;
  replayed: boolean;
}

export interface CaptureResult {
  hold: HoldDto;
  entry: EntryDto;
  /** An earlier call captured the hold into this entry; this one changed nothing. */
  replayed: boolean;
}

/** The refusals of a reserve that a repeat of it must get again. */
const REMEMBERED_REFUSALS: ReadonlySet<string> = new Set(RESERVE_REFUSAL_CODES);

export async function reserveHold(deps: LedgerDeps, request: ReserveHold): Promise<HoldResult> {
  // The expiry is left out of the fingerprint: a retried reserve computes its expiry from its own clock
  // (activities/index.ts), and replays the first reserve's hold, expiry included, rather than meeting a 409.
  const hash = requestHash(reserveOf(request));
  const existing = await getHold(deps.pool, request.holdId);
  if (existing) return replayReserve(existing, hash);
  try {
    return await reserveNew(deps, request, hash);
  } catch (error) {
    await rememberRefusal(deps, request.holdId, error);
    // The row decides: this refusal, or a twin's reserve or void that got there first.
    return replayReserve(await holdAfterRace(deps, request.holdId), hash);
  }
}

async function reserveNew(deps: LedgerDeps, request: ReserveHold, hash: string): Promise<HoldResult> {
  const accounts = await requireActiveAccounts(deps.directory, [request.fromAccountId, request.toAccountId], request.currency);
  const hold = await inTransaction(deps.pool, async (client) => {
    const inserted = await insertNewHold(client, accounts, request, hash);
    if (!inserted) return null; // a twin or a tombstone got there first
    const locked = await lockAccounts(client, [request.fromAccountId]);
    const source = lockedSource(locked, request.fromAccountId);
    reserveOn(source, inserted);
    await saveBalance(client, source);
    await appendTransactionEvents(client, locked, [holdEvent(holdDto(inserted))]);
    return inserted;
  });
  if (hold) {
    deps.metrics.holdChanged('reserved');
    deps.logger.info({ hold_id: hold.holdId, transfer_id: hold.transferId, account_id: hold.fromAccountId, amount_minor: hold.amountMinor.toString(), currency: hold.currency }, 'hold reserved');
    return { hold: holdDto(hold), replayed: false };
  }
  return replayReserve(await holdAfterRace(deps, request.holdId), hash);
}

/** The hold row after an insert lost to a twin, a refusal or a tombstone: one of them wrote it, so it is there. */
async function holdAfterRace(deps: LedgerDeps, holdId: string): Promise<HoldRow> {
  return present(await getHold(deps.pool, holdId), `hold ${holdId}, written by the call that got there first`);
}

/** Re-reads, locked, a hold this transaction has seen: holds are never deleted. */
async function lockedHold(client: PoolClient, holdId: string): Promise<HoldRow> {
  return present(await getHold(client, holdId, { forUpdate: true }), `hold ${holdId}, read before in this transaction`);
}

/** The hold's source account among those this transaction locked. */
function lockedSource(locked: Map<string, LockedBalance>, accountId: string): LockedBalance {
  return required(locked.get(accountId), `the locked balance of account ${accountId}`);
}

/** The hold's row (and its accounts' balance rows, on a first movement); null when the id is taken already. */
async function insertNewHold(client: PoolClient, accounts: KnownAccount[], request: ReserveHold, hash: string): Promise<HoldRow | null> {
  await ensureAccounts(client, accounts);
  return insertHold(client, {
    holdId: request.holdId,
    transferId: request.transferId,
    fromAccountId: request.fromAccountId,
    toAccountId: request.toAccountId,
    amountMinor: request.amountMinor,
    currency: request.currency,
    expiresAt: request.expiresAt ? new Date(request.expiresAt) : null,
    requestHash: hash,
  });
}

/** Counts the hold's amount as pending on its locked source, unless that takes available below −creditLimit. */
function reserveOn(source: LockedBalance, hold: HoldRow): void {
  const availableAfterMinor = source.postedMinor - source.pendingMinor - hold.amountMinor;
  if (!withinCreditLimit(availableAfterMinor, source.creditLimitMinor)) {
    throw ruleViolation('INSUFFICIENT_FUNDS', `account ${hold.fromAccountId} would have ${availableAfterMinor} available, below its credit limit`);
  }
  movePending(source, hold.amountMinor);
}

/** Records a refusal that a repeat of the reserve must get again; rethrows anything else. */
async function rememberRefusal(deps: LedgerDeps, holdId: string, error: unknown): Promise<void> {
  const code = error instanceof AppError ? error.extensions.code : undefined;
  if (code === undefined || !REMEMBERED_REFUSALS.has(code)) throw error;
  await insertRefusal(deps.pool, holdId, { code, message: (error as AppError).detail ?? code });
}

function replayReserve(existing: HoldRow, hash: string): HoldResult {
  assertReserveReplay(existing, hash);
  return { hold: holdDto(existing), replayed: true };
}

/** What a reserve with `hash` meets when its hold id is taken: the remembered refusal, a tombstone, or other content. */
function assertReserveReplay(existing: HoldRow, hash: string): void {
  if (existing.refusalCode) throw ruleViolation(existing.refusalCode, existing.refusalMessage ?? existing.refusalCode);
  if (existing.tombstone) {
    throw ruleViolation('HOLD_NOT_RESERVED', `hold ${existing.holdId} was voided before it was reserved`);
  }
  if (existing.requestHash !== hash) throw conflict('hold-id-reused', `hold ${existing.holdId} exists with other content`);
}

/**
 * Posts the hold's amount (debit source, credit destination) and releases
 * the reservation, in one transaction. The accounts are not looked up again:
 * the reserve checked them and authorized the hold, and a freeze since stops
 * new transfers only (the contract), so a capture needs nothing but the hold.
 */
export async function captureHold(deps: LedgerDeps, holdId: string, request: CaptureHold): Promise<CaptureResult> {
  const before = await getHold(deps.pool, holdId);
  if (!before || before.tombstone) throw notFound('hold', holdId);
  return captureKnown(deps, before, request);
}

/** captureHold of a hold as last read, `before` (not a tombstone). */
async function captureKnown(deps: LedgerDeps, before: HoldRow, request: CaptureHold): Promise<CaptureResult> {
  const { holdId } = before;
  if (before.status === 'captured') return replayCapture(deps, before, request.entryId);
  if (before.status !== 'reserved') throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} is ${before.status}`);

  const result = await inTransaction(deps.pool, async (client) => {
    const locked = await lockAccounts(client, [before.fromAccountId, before.toAccountId]);
    const hold = await lockedHold(client, holdId);
    if (hold.status === 'captured') return null;
    if (hold.status !== 'reserved') throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} is ${hold.status}`);
    if (hold.expiresAt && hold.expiresAt.getTime() <= Date.now()) {
      throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} expired at ${hold.expiresAt.toISOString()}`);
    }
    return captureLocked(client, hold, request, locked);
  });
  if (!result) return replayCapture(deps, await holdAfterRace(deps, holdId), request.entryId);
  deps.metrics.entryCreated('capture');
  deps.metrics.holdChanged('captured');
  deps.logger.info({ hold_id: holdId, entry_id: result.entry.entryId, transfer_id: before.transferId, amount_minor: before.amountMinor.toString(), currency: before.currency }, 'hold captured');
  return { ...result, replayed: false };
}

async function captureLocked(client: PoolClient, hold: HoldRow, request: CaptureHold, locked: Map<string, LockedBalance>) {
  const header = {
    entryId: request.entryId,
    transferId: hold.transferId,
    holdId: hold.holdId,
    reversesEntryId: null,
    currency: hold.currency,
    description: request.description,
    requestHash: requestHash({ capture: hold.holdId }),
  };
  movePending(lockedSource(locked, hold.fromAccountId), -hold.amountMinor);
  const posted = await postLines(
    client,
    header,
    [
      { accountId: hold.fromAccountId, direction: 'debit', amountMinor: hold.amountMinor },
      { accountId: hold.toAccountId, direction: 'credit', amountMinor: hold.amountMinor },
    ],
    locked,
  );
  if (!posted) throw conflict('entry-id-reused', `entry ${request.entryId} already exists`);
  const { entry, events } = posted;
  const captured = holdDto(await setHoldStatus(client, hold.holdId, 'captured', entry.entryId));
  // One transaction, one stamp: the entry's events and the capture travel as one change of both accounts.
  await appendTransactionEvents<object>(client, locked, [...events, holdEvent(captured)]);
  return { hold: captured, entry };
}

async function replayCapture(deps: LedgerDeps, hold: HoldRow, entryId: string): Promise<CaptureResult> {
  if (hold.entryId !== entryId) throw conflict('hold-already-captured', `hold ${hold.holdId} was captured into entry ${hold.entryId}`);
  const stored = await getEntry(deps.pool, entryId);
  if (!stored) throw new Error(`assertion: captured hold ${hold.holdId} has no entry ${entryId}`);
  return { hold: holdDto(hold), entry: stored.entry, replayed: true };
}

/**
 * A reserve and its capture as one transaction: for a transfer that needs no
 * approval, one call and one commit instead of two. It answers exactly as
 * reserveHold then captureHold of the same fields would, and leaves the same
 * rows, so a later reserve, capture or void of the hold id cannot tell the
 * difference (and may be mixed with it: a workflow retried across versions).
 */
export async function reserveAndCapture(deps: LedgerDeps, request: ReserveAndCapture): Promise<CaptureResult> {
  // The hash a reserve of the same fields gets: replays of either call compare alike.
  const hash = requestHash(reserveOf(request));
  const existing = await getHold(deps.pool, request.holdId);
  if (existing) return captureAsReserved(deps, existing, hash, request);
  const done = await reserveAndCaptureNew(deps, request, hash).catch(async (error: unknown) => {
    await rememberRefusal(deps, request.holdId, error);
    return null;
  });
  // null: refused (now remembered), or a twin, a reserve or a void took the id first. The row decides.
  return done ?? captureAsReserved(deps, await holdAfterRace(deps, request.holdId), hash, request);
}

/** The fields a hold id stands for (no expiry): what a replay of a reserve, alone or with its capture, must repeat. */
function reserveOf(request: Omit<ReserveHold, 'expiresAt'>): ReserveHold {
  const { holdId, transferId, fromAccountId, toAccountId, amountMinor, currency } = request;
  return { holdId, transferId, fromAccountId, toAccountId, amountMinor, currency };
}

/** A known hold id: the reserve's replay answers first (refusal, tombstone, 409), then the capture of that hold. */
function captureAsReserved(deps: LedgerDeps, existing: HoldRow, hash: string, request: ReserveAndCapture): Promise<CaptureResult> {
  assertReserveReplay(existing, hash);
  return captureKnown(deps, existing, request);
}

/**
 * No hold.reserved event is written: the reservation never exists outside
 * this transaction, so only hold.captured and the entry's events are. The
 * read model takes a hold whose first news is a final status (it never counts
 * as pending: services/read-model/projections/hold-status.ts), as it must
 * anyway since events may arrive in any order.
 */
async function reserveAndCaptureNew(deps: LedgerDeps, request: ReserveAndCapture, hash: string): Promise<CaptureResult | null> {
  const accounts = await requireActiveAccounts(deps.directory, [request.fromAccountId, request.toAccountId], request.currency);
  const result = await inTransaction(deps.pool, async (client) => {
    const hold = await insertNewHold(client, accounts, reserveOf(request), hash);
    if (!hold) return null;
    const locked = await lockAccounts(client, [hold.fromAccountId, hold.toAccountId]);
    // Pending grows here and shrinks in the capture, so only the net posting reaches the row. The posting
    // checks the limit too, but this check comes first: a refusal reads (and is remembered) as a reserve's.
    reserveOn(lockedSource(locked, hold.fromAccountId), hold);
    return captureLocked(client, hold, request, locked);
  });
  if (!result) return null;
  deps.metrics.holdChanged('reserved');
  deps.metrics.entryCreated('capture');
  deps.metrics.holdChanged('captured');
  deps.logger.info(
    { hold_id: request.holdId, entry_id: result.entry.entryId, transfer_id: request.transferId, account_id: request.fromAccountId, amount_minor: request.amountMinor.toString(), currency: request.currency },
    'hold reserved and captured',
  );
  return { ...result, replayed: false };
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
    const hold = await lockedHold(client, holdId);
    if (hold.status === 'voided' || hold.status === 'expired') return holdDto(hold);
    if (hold.status === 'captured') {
      if (to === 'expired') return holdDto(hold);
      throw ruleViolation('HOLD_NOT_RESERVED', `hold ${holdId} was captured into entry ${hold.entryId}`);
    }
    if (to === 'expired' && (!hold.expiresAt || hold.expiresAt.getTime() > Date.now())) return holdDto(hold);
    const source = lockedSource(locked, hold.fromAccountId);
    movePending(source, -hold.amountMinor);
    await saveBalance(client, source);
    const released = holdDto(await setHoldStatus(client, holdId, to));
    await appendTransactionEvents(client, locked, [holdEvent(released)]);
    deps.metrics.holdChanged(to);
    deps.logger.info({ hold_id: holdId, transfer_id: hold.transferId, account_id: hold.fromAccountId, amount_minor: hold.amountMinor.toString() }, `hold ${to}`);
    return released;
  });
  return result ?? releaseHold(deps, holdId, to);
}
