/**
 * Journal entries posted directly (funding, adjustments, the benchmark) and
 * reversals. Idempotent by entry id: the same id with the same content returns
 * the original entry; with other content it is a conflict.
 */
import type { EntryDto } from '../../lib/contracts/ledger';
import { conflict, notFound, ruleViolation } from '../../lib/errors';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import { requireActiveAccounts } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { postLines } from './posting';
import { appendTransactionEvents } from './transaction-events';
import { claimEntry, ensureAccounts, getEntry, lockAccounts, reversalOf } from './repository';
import { assertValidEntry } from './rules';
import type { PostEntry, ReverseEntry } from './schemas';

export interface EntryResult {
  entry: EntryDto;
  replayed: boolean;
}

export async function postEntry(deps: LedgerDeps, request: PostEntry): Promise<EntryResult> {
  assertValidEntry(request.currency, request.lines);
  const hash = requestHash(request);
  const existing = await getEntry(deps.pool, request.entryId);
  if (existing) return replay(existing, hash, request.entryId);

  const accountIds = request.lines.map((line) => line.accountId);
  const accounts = await requireActiveAccounts(deps.directory, accountIds, request.currency);
  const result = await inTransaction(deps.pool, async (client) => {
    await ensureAccounts(client, accounts);
    const header = {
      entryId: request.entryId,
      transferId: request.transferId ?? null,
      holdId: null,
      reversesEntryId: null,
      currency: request.currency,
      description: request.description,
      requestHash: hash,
    };
    const postedAt = await claimEntry(client, header);
    if (!postedAt) return null; // a concurrent twin won; replay its result below
    const locked = await lockAccounts(client, accountIds);
    const posted = await postLines(client, { ...header, postedAt }, request.lines, locked);
    await appendTransactionEvents(client, locked, posted.events);
    return posted.entry;
  });
  if (result) {
    deps.metrics.entryCreated('direct');
    return { entry: result, replayed: false };
  }
  const twin = await getEntry(deps.pool, request.entryId);
  if (!twin) throw new Error(`assertion: entry ${request.entryId} conflicted but cannot be read`);
  return replay(twin, hash, request.entryId);
}

function replay(existing: { entry: EntryDto; requestHash: string }, hash: string, entryId: string): EntryResult {
  if (existing.requestHash !== hash) throw conflict('entry-id-reused', `entry ${entryId} exists with other content`);
  return { entry: existing.entry, replayed: true };
}

/**
 * Posts the mirror of an entry (every debit becomes a credit and back),
 * linked to it. An entry is reversed at most once (unique reverses_entry_id).
 * A reversal is a correction, not a new transfer, so it is allowed on frozen
 * accounts; it is still refused if it would break a credit limit.
 */
export async function reverseEntry(deps: LedgerDeps, entryId: string, request: ReverseEntry): Promise<EntryResult> {
  const original = await getEntry(deps.pool, entryId);
  if (!original) throw notFound('entry', entryId);
  const hash = requestHash({ reverses: entryId });
  const existing = await getEntry(deps.pool, request.reversalEntryId);
  if (existing) return replayReversal(existing, hash, entryId, request.reversalEntryId);
  const earlier = await reversalOf(deps.pool, entryId);
  if (earlier) throw ruleViolation('ENTRY_ALREADY_REVERSED', `entry ${entryId} was already reversed by ${earlier}`);

  const mirrored = original.entry.lines.map((line) => ({
    accountId: line.accountId,
    direction: line.direction === 'debit' ? ('credit' as const) : ('debit' as const),
    amountMinor: BigInt(line.amountMinor),
  }));
  const result = await inTransaction(deps.pool, async (client) => {
    const header = {
      entryId: request.reversalEntryId,
      transferId: original.entry.transferId,
      holdId: null,
      reversesEntryId: entryId,
      currency: original.entry.currency,
      description: request.description ?? `reversal of ${entryId}`,
      requestHash: hash,
    };
    const postedAt = await claimEntry(client, header);
    if (!postedAt) return null;
    const locked = await lockAccounts(client, mirrored.map((line) => line.accountId));
    const posted = await postLines(client, { ...header, postedAt }, mirrored, locked);
    await appendTransactionEvents(client, locked, posted.events);
    return posted.entry;
  }).catch((error: { code?: string; constraint?: string }) => {
    if (error.code === '23505' && error.constraint === 'entries_reverses_entry_id_key') {
      throw ruleViolation('ENTRY_ALREADY_REVERSED', `entry ${entryId} was already reversed`);
    }
    throw error;
  });
  if (result) {
    deps.metrics.entryCreated('reversal');
    return { entry: result, replayed: false };
  }
  const twin = await getEntry(deps.pool, request.reversalEntryId);
  if (!twin) throw new Error(`assertion: reversal ${request.reversalEntryId} conflicted but cannot be read`);
  return replayReversal(twin, hash, entryId, request.reversalEntryId);
}

function replayReversal(existing: { entry: EntryDto; requestHash: string }, hash: string, entryId: string, reversalEntryId: string) {
  if (existing.requestHash !== hash) {
    throw conflict('entry-id-reused', `entry ${reversalEntryId} exists and is not the reversal of ${entryId}`);
  }
  return { entry: existing.entry, replayed: true };
}
