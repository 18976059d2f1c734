/**
 * What a batch of transfers does to the balances it locked, decided in
 * memory, item by item in the batch's order, before anything is written
 * (batches.ts writes the plan in a few set-based statements). Pure: the
 * accounts, the locked balances and the entries that exist already are
 * passed in; the balances are moved as the items post.
 *
 * Each item is its own ledger transaction for the read model: it steps every
 * account it touches one version on (the read model applies an account's
 * transactions in version order, services/read-model/ledger-tx/ordering.ts),
 * and its events carry a stamp of their own, so a chunk of 500 items writes
 * 1,000 small stamps rather than one stamp naming a thousand accounts copied
 * into every event.
 */
import { accountRefusal } from '../../lib/accounts/refusal';
import { assert, required } from '../../lib/assert';
import type { AccountDto } from '../../lib/contracts/accounts';
import type { ReserveRefusalCode } from '../../lib/transfers/refusal-codes';
import type { StampedBalance } from './events';
import type { LockedBalance, NewLine } from './repository';
import { withinCreditLimit } from './rules';

export interface BatchItemRequest {
  entryId: string;
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: bigint;
  currency: string;
  description: string;
}

/** One account's step in one item: the state the item found and left (what stampTransaction reads). */
export type ItemStep = StampedBalance;

export type ItemDecision =
  | { kind: 'replayed'; entryId: string }
  | { kind: 'post'; item: BatchItemRequest; lines: NewLine[]; steps: ItemStep[] }
  | { kind: 'refused'; code: ReserveRefusalCode; message: string };

export interface PlanInput {
  items: BatchItemRequest[];
  /** The accounts service's answer for every account of the batch (a missing id has no entry). */
  accounts: ReadonlyMap<string, AccountDto>;
  /** The balance rows of every account found, locked by this transaction; moved here as items post. */
  locked: Map<string, LockedBalance>;
  /** Entries of the batch's ids that exist already: their request hash, by entry id. */
  existing: ReadonlyMap<string, string>;
  hashOf: (item: BatchItemRequest) => string;
}

/** A batch item's entry id taken by other content: a bug of the caller (ids come from the batch and the index), never a retry. */
export class EntryIdTakenError extends Error {}

/** Decides every item in order; `stopAtRefusal` (an atomic batch) stops at the first refusal, which is then the last decision. */
export function planBatch(input: PlanInput, { stopAtRefusal }: { stopAtRefusal: boolean }): ItemDecision[] {
  const versionSteps = new Map<string, bigint>();
  const decisions: ItemDecision[] = [];
  for (const item of input.items) {
    const decision = decide(item, input, versionSteps);
    decisions.push(decision);
    if (decision.kind === 'refused' && stopAtRefusal) break;
  }
  return decisions;
}

function decide(item: BatchItemRequest, input: PlanInput, versionSteps: Map<string, bigint>): ItemDecision {
  const existingHash = input.existing.get(item.entryId);
  if (existingHash !== undefined) {
    if (existingHash !== input.hashOf(item)) throw new EntryIdTakenError(`entry ${item.entryId} exists with other content`);
    return { kind: 'replayed', entryId: item.entryId };
  }
  const ids = [item.fromAccountId, item.toAccountId];
  const refusal = accountRefusal(ids, input.accounts, item.currency);
  if (refusal) return { kind: 'refused', ...refusal };
  const source = lockedBalance(input.locked, item.fromAccountId);
  const availableAfterMinor = source.postedMinor - source.pendingMinor - item.amountMinor;
  if (!withinCreditLimit(availableAfterMinor, source.creditLimitMinor)) {
    return { kind: 'refused', code: 'INSUFFICIENT_FUNDS', message: `account ${item.fromAccountId} would have ${availableAfterMinor} available, below its credit limit` };
  }
  return post(item, input.locked, versionSteps);
}

/** Moves the two balances and records the item's lines and steps. */
function post(item: BatchItemRequest, locked: Map<string, LockedBalance>, versionSteps: Map<string, bigint>): ItemDecision {
  const moves = [
    { accountId: item.fromAccountId, direction: 'debit' as const, signedMinor: -item.amountMinor },
    { accountId: item.toAccountId, direction: 'credit' as const, signedMinor: item.amountMinor },
  ];
  const lines: NewLine[] = [];
  const steps: ItemStep[] = [];
  moves.forEach((move, i) => {
    const balance = lockedBalance(locked, move.accountId);
    const before = balance.postedMinor;
    balance.postedMinor += move.signedMinor;
    const stepsBefore = versionSteps.get(move.accountId) ?? 0n;
    versionSteps.set(move.accountId, stepsBefore + 1n);
    lines.push({ lineNo: i + 1, accountId: move.accountId, direction: move.direction, amountMinor: item.amountMinor, balanceAfterMinor: balance.postedMinor });
    steps.push({
      accountId: move.accountId,
      version: balance.version + stepsBefore,
      postedMinor: balance.postedMinor,
      lockedPostedMinor: before,
      pendingMinor: balance.pendingMinor,
      lockedPendingMinor: balance.pendingMinor,
    });
  });
  assert(lines[0]?.amountMinor === lines[1]?.amountMinor, `the two lines of batch entry ${item.entryId} balanced`);
  return { kind: 'post', item, lines, steps };
}

/** How many versions each account moved: the items posted that touch it. */
export function versionStepsOf(decisions: ItemDecision[]): Map<string, bigint> {
  const steps = new Map<string, bigint>();
  for (const decision of decisions) {
    if (decision.kind !== 'post') continue;
    for (const step of decision.steps) steps.set(step.accountId, (steps.get(step.accountId) ?? 0n) + 1n);
  }
  return steps;
}

function lockedBalance(locked: Map<string, LockedBalance>, accountId: string): LockedBalance {
  return required(locked.get(accountId), `account ${accountId} locked before the batch was planned`);
}
