/**
 * Journal entries posted directly (funding, adjustments, the benchmark).
 * Idempotent by entry id: the same id with the same content returns the
 * original entry; with other content it is a conflict. Reversals: reversals.ts.
 */
import type { EntryDto } from '../../lib/contracts/ledger';
import { conflict } from '../../lib/errors';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import { requireActiveAccounts } from './accounts-directory';
import type { LedgerDeps } from './deps';
import { postLines } from './posting';
import { ensureAccounts, getEntry, lockAccounts } from './repository';
import { appendTransactionEvents } from './transaction-events';
import { assertValidEntry } from './rules';
import type { PostEntry } from './schemas';

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
    const locked = await lockAccounts(client, accountIds);
    const posted = await postLines(client, header, request.lines, locked);
    if (!posted) return null; // a concurrent twin won; replay its result below
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
