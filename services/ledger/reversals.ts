/**
 * Reversals: the mirror of an entry (every debit becomes a credit and back),
 * linked to it. An entry is reversed at most once (unique reverses_entry_id).
 * A reversal is a correction, not a new transfer, so it is allowed on frozen
 * accounts; it is still refused if it would break a credit limit.
 *
 * Each reversal request is named by its reversing entry's id, and decided
 * once: posted or refused, recorded in reversal_outcomes under the accounts'
 * locks in the transaction that decides. Any later attempt of the same id
 * answers that outcome, so an attempt still in flight when its client was
 * answered refused (a lost answer retried on another copy of the ledger)
 * cannot post once the money is there. Asking again takes a new id.
 */
import type { PoolClient } from 'pg';
import { present } from '../../lib/assert';
import type { EntryDto } from '../../lib/contracts/ledger';
import { AppError, conflict, notFound, ruleViolation } from '../../lib/errors';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import type { LedgerDeps } from './deps';
import type { EntryResult } from './entries';
import { postLines } from './posting';
import { appendTransactionEvents } from './transaction-events';
import {
  claimReversalOutcome,
  getEntry,
  getReversalOutcome,
  lockAccounts,
  refuseClaimedReversal,
  reversalOf,
  type ReversalOutcome,
  type StoredEntry,
} from './repository';
import type { ReverseEntry } from './schemas';

type Decision = { posted: EntryDto } | { refused: AppError } | { decidedBefore: true };

export async function reverseEntry(deps: LedgerDeps, entryId: string, request: ReverseEntry): Promise<EntryResult> {
  const original = await getEntry(deps.pool, entryId);
  if (!original) throw notFound('entry', entryId);
  const hash = requestHash({ reverses: entryId });
  const existing = await getEntry(deps.pool, request.reversalEntryId);
  if (existing) return replayReversal(existing, hash, entryId, request.reversalEntryId);
  if (await getReversalOutcome(deps.pool, request.reversalEntryId)) return replayDecided(deps, entryId, request.reversalEntryId, hash);
  const earlier = await reversalOf(deps.pool, entryId);
  if (earlier) throw ruleViolation('ENTRY_ALREADY_REVERSED', `entry ${entryId} was already reversed by ${earlier}`);

  const decision = await inTransaction(deps.pool, (client) => decide(client, original.entry, request, hash)).catch(
    (error: { code?: string; constraint?: string }) => {
      if (error.code === '23505' && error.constraint === 'entries_reverses_entry_id_key') {
        throw ruleViolation('ENTRY_ALREADY_REVERSED', `entry ${entryId} was already reversed`);
      }
      throw error;
    },
  );
  if ('posted' in decision) {
    deps.metrics.entryCreated('reversal');
    return { entry: decision.posted, replayed: false };
  }
  if ('refused' in decision) throw decision.refused;
  return replayDecided(deps, entryId, request.reversalEntryId, hash);
}

/**
 * Under the locks of the entry's accounts: claims the reversal's outcome (a
 * twin decided it: decidedBefore), then posts the mirror; a refusal of the
 * posting is rolled back to before it and recorded as the outcome instead.
 */
async function decide(client: PoolClient, original: EntryDto, request: ReverseEntry, hash: string): Promise<Decision> {
  const mirrored = original.lines.map((line) => ({
    accountId: line.accountId,
    direction: line.direction === 'debit' ? ('credit' as const) : ('debit' as const),
    amountMinor: BigInt(line.amountMinor),
  }));
  const locked = await lockAccounts(client, mirrored.map((line) => line.accountId));
  if (!(await claimReversalOutcome(client, request.reversalEntryId, original.entryId))) return { decidedBefore: true };
  const earlier = await reversalOf(client, original.entryId);
  if (earlier) throw ruleViolation('ENTRY_ALREADY_REVERSED', `entry ${original.entryId} was already reversed by ${earlier}`);
  const header = {
    entryId: request.reversalEntryId,
    transferId: original.transferId,
    holdId: null,
    reversesEntryId: original.entryId,
    currency: original.currency,
    description: request.description ?? `reversal of ${original.entryId}`,
    requestHash: hash,
  };
  await client.query('SAVEPOINT reversal_posting');
  try {
    const posted = await postLines(client, header, mirrored, locked);
    if (!posted) throw conflict('entry-id-reused', `entry ${request.reversalEntryId} exists and is not the reversal of ${original.entryId}`);
    await appendTransactionEvents(client, locked, posted.events);
    return { posted: posted.entry };
  } catch (error) {
    if (!(error instanceof AppError && error.status === 422)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT reversal_posting');
    await refuseClaimedReversal(client, request.reversalEntryId, { code: error.extensions.code as string, message: error.detail ?? error.title });
    return { refused: error };
  }
}

/** An attempt of this id decided the reversal first: its refusal again, or its entry as a replay. */
async function replayDecided(deps: LedgerDeps, entryId: string, reversalEntryId: string, hash: string): Promise<EntryResult> {
  const outcome = present(await getReversalOutcome(deps.pool, reversalEntryId), `the outcome of reversal ${reversalEntryId}, decided`);
  answerRefusal(outcome, entryId);
  const twin = present(await getEntry(deps.pool, reversalEntryId), `the entry of reversal ${reversalEntryId}, posted`);
  return replayReversal(twin, hash, entryId, reversalEntryId);
}

/** Throws the recorded refusal (or a conflict, when the id was a reversal of another entry); nothing for a posted one. */
function answerRefusal(outcome: ReversalOutcome, entryId: string): void {
  if (outcome.outcome !== 'refused') return;
  if (outcome.reversesEntryId !== entryId) {
    throw conflict('entry-id-reused', `entry ${outcome.reversalEntryId} is the reversal of ${outcome.reversesEntryId}, not of ${entryId}`);
  }
  const code = present(outcome.refusalCode, `the refusal code of refused reversal ${outcome.reversalEntryId}`);
  throw ruleViolation(code, outcome.refusalMessage ?? code);
}

function replayReversal(existing: StoredEntry, hash: string, entryId: string, reversalEntryId: string): EntryResult {
  if (existing.requestHash !== hash) {
    throw conflict('entry-id-reused', `entry ${reversalEntryId} exists and is not the reversal of ${entryId}`);
  }
  return { entry: existing.entry, replayed: true };
}
