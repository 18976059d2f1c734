/**
 * When a ledger transaction may be applied: only once all its events are in
 * hand, and only when every account it changes is at the version right
 * before the one it takes the account to. Applied that way, each account
 * passes through exactly the ledger's states, in the ledger's commit order,
 * with posted and pending moving together; the ledger's commit order has no
 * cycles, so whatever order the events arrive in, all of them get applied.
 * Pure: the versions are passed in, the caller reads and writes them.
 */
import type { LedgerTxStamp } from '../../../lib/contracts/ledger';

export interface TxStep {
  accountId: string;
  version: bigint;
  postedDeltaMinor: bigint;
  pendingDeltaMinor: bigint;
}

/** A ledger transaction as far as it is known: its stamp's steps and the parts (events) in hand. */
export interface LedgerTx<Part> {
  txId: string;
  eventCount: number;
  steps: TxStep[];
  parts: Part[];
}

/** Each account's version as the read model has it; an account it does not know is at 0. */
export type Versions = Map<string, bigint>;

export type Verdict = 'apply' | 'wait' | 'applied-before';

export function stepsOf(stamp: LedgerTxStamp): TxStep[] {
  return stamp.accounts.map((step) => ({
    accountId: step.accountId,
    version: BigInt(step.version),
    postedDeltaMinor: BigInt(step.postedDeltaMinor),
    pendingDeltaMinor: BigInt(step.pendingDeltaMinor),
  }));
}

export function versionOf(versions: Versions, accountId: string): bigint {
  return versions.get(accountId) ?? 0n;
}

/**
 * 'applied-before' as soon as one account is at or past the transaction's
 * version for it: only this transaction takes that account to that version,
 * and transactions are applied whole, so it was applied (its events came again
 * under new ids). Checked first, so that an incomplete repeat never waits.
 */
export function verdictOf(tx: LedgerTx<unknown>, versions: Versions): Verdict {
  if (tx.steps.some((step) => versionOf(versions, step.accountId) >= step.version)) return 'applied-before';
  if (tx.parts.length < tx.eventCount) return 'wait';
  return tx.steps.every((step) => versionOf(versions, step.accountId) === step.version - 1n) ? 'apply' : 'wait';
}

export interface Settlement<Part> {
  /** In an order that may be applied one after the other. */
  apply: LedgerTx<Part>[];
  stale: LedgerTx<Part>[];
  waiting: LedgerTx<Part>[];
}

/**
 * Sorts `txs` into those that can be applied now (each possibly enabled by
 * one applied before it in the list), those applied before, and those that
 * must wait. Advances `versions` past the transactions to apply.
 */
export function settle<Part>(txs: LedgerTx<Part>[], versions: Versions): Settlement<Part> {
  const settlement: Settlement<Part> = { apply: [], stale: [], waiting: [] };
  let undecided = txs;
  for (let progress = true; progress; ) {
    progress = false;
    const still: LedgerTx<Part>[] = [];
    for (const tx of undecided) {
      const verdict = verdictOf(tx, versions);
      if (verdict === 'wait') {
        still.push(tx);
        continue;
      }
      if (verdict === 'applied-before') settlement.stale.push(tx);
      else {
        settlement.apply.push(tx);
        for (const step of tx.steps) versions.set(step.accountId, step.version);
      }
      progress = true;
    }
    undecided = still;
  }
  settlement.waiting = undecided;
  return settlement;
}
