/**
 * A batch of transfers posted in one database transaction (POST /batches):
 * the chunk of a transfer batch that its workflow hands over (workflows/
 * transfer-batch.ts), or a whole atomic batch.
 *
 * One lookup of every account at the accounts service, one lock of every
 * balance row in account-id order (the order every writer uses, so a batch
 * and a transfer never wait on each other in a cycle), then each item is
 * decided in memory in the batch's order (batch-plan.ts) and the outcome
 * written in a few set-based statements (batch-repository.ts), with one
 * `entry.posted` per account of each entry in the outbox, as for any entry.
 *
 * `independent`: an item refused (an account missing, frozen or of another
 * currency; funds short) is left out and the others post. `atomic`: the first
 * refusal posts nothing, and names the item. Idempotent per item: entry ids
 * come from the batch and the index (activities/ids.ts), so a chunk sent
 * again replays the items it posted and decides only the others.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { required } from '../../lib/assert';
import type { AccountDto } from '../../lib/contracts/accounts';
import { UNLIMITED } from '../../lib/contracts/accounts';
import { conflict } from '../../lib/errors';
import { appendToOutbox, type OutboxEvent } from '../../lib/outbox';
import { inTransaction } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import type { KnownAccount } from './accounts-directory';
import { EntryIdTakenError, planBatch, versionStepsOf, type BatchItemRequest, type ItemDecision } from './batch-plan';
import { existingEntryHashes, forgetUnmovedAccounts, insertBatchEntries, saveBatchBalances } from './batch-repository';
import type { LedgerDeps } from './deps';
import { entryPostedEvents, stampTransaction } from './events';
import { ensureAccounts, lockAccounts, type LockedBalance } from './repository';
import type { PostBatch } from './schemas';

export type BatchItemResult =
  | { status: 'posted'; entryId: string; replayed: boolean }
  | { status: 'refused'; code: string; message: string };

export interface BatchResult {
  /** Each item's outcome, in order; empty when an atomic batch was refused. */
  items: BatchItemResult[];
  /** An atomic batch's refusal: the item and why; null otherwise. */
  refusal: { index: number; code: string; message: string } | null;
}

export async function postBatch(deps: LedgerDeps, request: PostBatch): Promise<BatchResult> {
  const accountIds = [...new Set(request.items.flatMap((item) => [item.fromAccountId, item.toAccountId]))];
  const accounts = await deps.directory.getAccounts(accountIds);
  const atomic = request.mode === 'atomic';
  const outcome = await inTransaction(deps.pool, async (client) => {
    const { locked, inserted } = await lockKnown(client, accounts);
    const existing = await existingEntryHashes(client, request.items.map((item) => item.entryId));
    const decisions = plan(request.items, { accounts, locked, existing, atomic });
    const refusedAt = atomic ? decisions.findIndex((d) => d.kind === 'refused') : -1;
    if (refusedAt < 0) await write(client, decisions, locked);
    // An atomic batch refused moved nothing at all.
    await forgetUnmovedAccounts(client, inserted, refusedAt < 0 ? versionStepsOf(decisions) : new Map());
    return { decisions, refusedAt };
  });
  return answer(deps, outcome.decisions, outcome.refusedAt);
}

/**
 * The balance rows of the accounts found, locked in id order; an account's
 * first movement inserts its row (`inserted`: those this transaction did,
 * deleted again if no item moves it: forgetUnmovedAccounts).
 */
async function lockKnown(client: PoolClient, accounts: ReadonlyMap<string, AccountDto>): Promise<{ locked: Map<string, LockedBalance>; inserted: string[] }> {
  const known: KnownAccount[] = [...accounts.values()].map((account) => ({
    accountId: account.id,
    currency: account.currency,
    creditLimitMinor: account.creditLimit === UNLIMITED ? null : BigInt(account.creditLimit),
  }));
  const inserted = await ensureAccounts(client, known);
  return { locked: await lockAccounts(client, known.map((account) => account.accountId)), inserted };
}

function plan(
  items: BatchItemRequest[],
  { accounts, locked, existing, atomic }: { accounts: ReadonlyMap<string, AccountDto>; locked: Map<string, LockedBalance>; existing: Map<string, string>; atomic: boolean },
): ItemDecision[] {
  try {
    return planBatch({ items, accounts, locked, existing, hashOf: itemHash }, { stopAtRefusal: atomic });
  } catch (error) {
    if (error instanceof EntryIdTakenError) throw conflict('entry-id-reused', error.message);
    throw error;
  }
}

/** The entries, their lines, the balances and the outbox rows of every item that posts. */
async function write(client: PoolClient, decisions: ItemDecision[], locked: Map<string, LockedBalance>): Promise<void> {
  const posts = decisions.filter((d) => d.kind === 'post');
  if (posts.length === 0) return;
  const postedAt = await insertBatchEntries(client, posts.map((p) => ({ item: p.item, requestHash: itemHash(p.item), lines: p.lines })));
  await saveBatchBalances(client, [...locked.values()], versionStepsOf(decisions));
  const events: OutboxEvent<object>[] = posts.flatMap((p) => {
    const entry = {
      entryId: p.item.entryId,
      transferId: p.item.transferId,
      holdId: null,
      reversesEntryId: null,
      currency: p.item.currency,
      description: p.item.description,
      postedAt: required(postedAt.get(p.item.entryId), `the posting time of batch entry ${p.item.entryId}`),
      lines: p.lines.map((line) => ({
        accountId: line.accountId,
        direction: line.direction,
        amountMinor: line.amountMinor.toString(),
        balanceAfterMinor: line.balanceAfterMinor.toString(),
      })),
    };
    // Each item is a ledger transaction of its own for the read model (batch-plan.ts).
    return stampTransaction(randomUUID(), p.steps, entryPostedEvents(entry));
  });
  await appendToOutbox(client, events);
}

function answer(deps: LedgerDeps, decisions: ItemDecision[], refusedAt: number): BatchResult {
  if (refusedAt >= 0) {
    const refused = decisions[refusedAt] as Extract<ItemDecision, { kind: 'refused' }>;
    deps.logger.info({ failure_index: refusedAt, failure_code: refused.code }, 'atomic batch refused');
    return { items: [], refusal: { index: refusedAt, code: refused.code, message: refused.message } };
  }
  const items = decisions.map((d): BatchItemResult => {
    if (d.kind === 'post') return { status: 'posted', entryId: d.item.entryId, replayed: false };
    if (d.kind === 'replayed') return { status: 'posted', entryId: d.entryId, replayed: true };
    return { status: 'refused', code: d.code, message: d.message };
  });
  const posted = decisions.filter((d) => d.kind === 'post').length;
  deps.metrics.entryCreated('batch', posted);
  deps.logger.info(
    { items: items.length, posted, replayed: decisions.filter((d) => d.kind === 'replayed').length, refused: decisions.filter((d) => d.kind === 'refused').length },
    'batch posted',
  );
  return { items, refusal: null };
}

/** What an item's entry id stands for: a replay must repeat it. */
function itemHash(item: BatchItemRequest): string {
  return requestHash({ ...item, amountMinor: item.amountMinor.toString(), batchItem: true });
}
