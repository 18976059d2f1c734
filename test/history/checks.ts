/**
 * The linear-time checks of a recorded history against the final snapshot read
 * once the system is healed and settled. Each is a pure function that returns
 * its violations (empty when it holds), naming ops by history index and money
 * by account and transfer, so a report says exactly what went wrong:
 *
 * - one transfer per key: no Idempotency-Key was ever answered with two transfers;
 * - every transfer final and accounted for: each transfer any op named exists
 *   and is final (or awaiting approval), no transfer on the accounts is named by
 *   no op, no op stayed indeterminate, a transfer whose workflow was terminated
 *   ended failed WORKFLOW_TERMINATED;
 * - answers stick: what an op was told (posted, failed, cancelled, reversed,
 *   refused) is how its transfer ends;
 * - statements consistent: each balanceAfter is the previous one plus or minus
 *   its entry, from the funding entry's opening balance, never below the credit
 *   limit; each posted transfer has its two entries exactly once, a reversed
 *   one four that net to zero, any other none, and no entry is of an unknown transfer;
 * - balance reads real and monotonic: each posted balance read is one the
 *   account had (a balanceAfter of its final statement, or the opening), and
 *   one reader never reads an earlier one after a later one;
 * - statement reads are prefixes: each statement read is the final statement
 *   cut short, never reordered or rewritten;
 * - no money stays locked: once settled, each account's pending balance is
 *   the sum of its transfers still awaiting approval, and its posted balance
 *   the last balanceAfter of its statement;
 * - terminated transfers answer their final state: a cancel or reject of a
 *   transfer whose workflow was terminated is never refused with a 409;
 * - reconciliation: the run's reconciliation completed with no mismatch;
 * - one batch per key, and batches all or none, exactly once: each batch an op
 *   was answered with is final, holds the items the op sent (accounts and
 *   amounts), an atomic one posted all of them or none (failed: the item at
 *   failureIndex refused with failureCode, every other BATCH_ABORTED), an
 *   independent one completed with each item posted or refused on its own,
 *   an item to an account that does not exist never posted, and its counts
 *   equal its items' statuses. A batch's items are transfers: the checks above
 *   (one entry pair per posted transfer, balances, answers stick) cover them.
 */
import { FINAL_STATUSES, setupOf, type FinalBatch, type FinalSnapshot, type FinalTransfer, type HistoryEvent, type SetupValue, type StatementItem } from './history';

export interface Check {
  name: string;
  violations: string[];
}

/** An operation of the history: its invoke, its completion if any, its later resolution if any. */
export interface Op {
  invoke: HistoryEvent;
  completion?: HistoryEvent;
  resolution?: HistoryEvent;
}

/** Pairs each invoke with the next completion of its process, and each resolve with its invoke (value.ref). */
export function opsOf(history: HistoryEvent[]): Op[] {
  const ops: Op[] = [];
  const byInvoke = new Map<number, Op>();
  const open = new Map<string, Op>();
  for (const event of history) {
    if (event.type === 'invoke') {
      const op = { invoke: event };
      ops.push(op);
      byInvoke.set(event.index, op);
      open.set(String(event.process), op);
    } else if (event.type === 'ok' || event.type === 'fail' || event.type === 'info') {
      const op = open.get(String(event.process));
      if (op && op.invoke.f === event.f) {
        op.completion = event;
        open.delete(String(event.process));
      }
    } else if (event.type === 'resolve') {
      const op = byInvoke.get(Number(event.value?.ref));
      if (op) op.resolution = event;
    }
  }
  return ops;
}

/** What the op finally did: its ok, or the resolution of an indeterminate op; undefined if unknown or failed. */
export function outcomeOf(op: Op): any {
  if (op.completion?.type === 'ok') return op.completion.value;
  if (op.completion?.type === 'info' && op.resolution) return op.resolution.value;
  if (!op.completion && op.resolution) return op.resolution.value;
  return undefined;
}

const fundingIds = (setup: SetupValue): Set<string> =>
  new Set(Object.values(setup.groups).flatMap((g) => Object.values(g.accounts).map((a) => a.fundingTransferId)));

export function oneTransferPerKey(history: HistoryEvent[]): Check {
  const byKey = new Map<string, Map<string, number>>();
  for (const op of opsOf(history)) {
    if (op.invoke.f !== 'transfer') continue;
    const id = outcomeOf(op)?.transferId as string | undefined;
    if (!id || op.invoke.key === undefined) continue;
    const ids = byKey.get(op.invoke.key) ?? new Map<string, number>();
    if (!ids.has(id)) ids.set(id, op.invoke.index);
    byKey.set(op.invoke.key, ids);
  }
  const violations = [...byKey].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `key ${key} was answered with ${[...ids].map(([id, at]) => `${id} (op ${at})`).join(' and ')}`);
  return { name: 'one transfer per key', violations };
}

export function transfersAccounted(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  const named = new Set<string>();
  for (const op of opsOf(history)) {
    const { f, index } = op.invoke;
    if (op.completion?.type === 'info' && !op.resolution && (f === 'transfer' || f === 'batch' || f === 'reverse' || f === 'approve' || f === 'reject' || f === 'cancel' || f === 'terminate')) {
      violations.push(`op ${index} (${f}${op.invoke.key ? ` key ${op.invoke.key}` : ''}) stayed indeterminate: never resolved`);
    }
    if (f === 'batch') for (const item of (outcomeOf(op)?.items ?? []) as Array<{ transferId: string }>) named.add(item.transferId);
    const id = (f === 'transfer' ? outcomeOf(op)?.transferId : op.invoke.value?.transferId) as string | undefined;
    if (id) named.add(id);
    // Nobody decides a transfer before the nemesis terminates its workflow: it must end failed WORKFLOW_TERMINATED.
    const final = id ? snapshot.transfers[id] : undefined;
    if (f === 'terminate' && op.completion?.value?.terminated && final && !(final.status === 'failed' && final.failureCode === 'WORKFLOW_TERMINATED')) {
      violations.push(`transfer ${id}, terminated by the nemesis, ended ${final.status}${final.failureCode ? ` ${final.failureCode}` : ''}, not failed WORKFLOW_TERMINATED`);
    }
  }
  for (const id of named) {
    const t = snapshot.transfers[id];
    if (!t) violations.push(`transfer ${id}, named in the history, is not found at the end`);
  }
  const funding = fundingIds(setupOf(history));
  for (const t of Object.values(snapshot.transfers)) {
    if (funding.has(t.id)) continue;
    if (!FINAL_STATUSES.has(t.status) && t.status !== 'awaiting_approval') violations.push(`transfer ${t.id} is still ${t.status} after settling`);
    if (!named.has(t.id)) violations.push(`transfer ${t.id} (${t.amountMinor} from ${t.fromAccountId} to ${t.toAccountId}, ${t.status}) was named by no op`);
  }
  return { name: 'every transfer final and accounted for', violations };
}

/** The final states an answer allows, by what the op was told. */
function allowedFinal(f: string, told: any): string[] | undefined {
  const status = told?.status as string | undefined;
  if (f === 'reverse') {
    if (told?.reversalStatus === 'posted') return ['reversed'];
    if (told?.reversalStatus === 'refused') return ['posted'];
    return undefined;
  }
  if (f === 'terminate') return status ? [status] : undefined;
  if (status === 'posted') return ['posted', 'reversed'];
  if (status === 'failed' || status === 'cancelled' || status === 'expired') return [status];
  return undefined;
}

export function answersStick(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  for (const op of opsOf(history)) {
    const f = op.invoke.f!;
    if (f === 'batch') violations.push(...batchAnswerSticks(op, snapshot));
    if (!['transfer', 'approve', 'reject', 'cancel', 'reverse', 'terminate'].includes(f)) continue;
    const told = outcomeOf(op);
    const id = (f === 'transfer' ? told?.transferId : op.invoke.value?.transferId) as string | undefined;
    const final = id ? snapshot.transfers[id] : undefined;
    const allowed = allowedFinal(f, told);
    if (!final || !allowed) continue;
    const codeDiffers = (told.status === 'failed' || told.status === 'cancelled') && f !== 'reverse' && (told.failureCode ?? null) !== final.failureCode;
    if (!allowed.includes(final.status) || codeDiffers) {
      const said = f === 'reverse' ? `reversal ${told.reversalStatus}` : `${told.status}${told.failureCode ? ` ${told.failureCode}` : ''}`;
      violations.push(`op ${op.invoke.index} (${f}) was told ${said} for transfer ${id}, which ended ${final.status}${final.failureCode ? ` ${final.failureCode}` : ''}`);
    }
  }
  return { name: 'answers stick', violations };
}

/** A batch op's answer: the batch's status, and each item's as if the item had been a transfer op of its own. */
function batchAnswerSticks(op: Op, snapshot: FinalSnapshot): string[] {
  const told = outcomeOf(op);
  if (!told?.batchId) return [];
  const violations: string[] = [];
  const final = snapshot.batches?.[told.batchId];
  if (final && (final.status !== told.status || final.failureCode !== told.failureCode || final.failureIndex !== told.failureIndex)) {
    violations.push(`op ${op.invoke.index} (batch) was told batch ${told.batchId} ${told.status} ${told.failureCode ?? ''}@${told.failureIndex ?? '-'}, which ended ${final.status} ${final.failureCode ?? ''}@${final.failureIndex ?? '-'}`);
  }
  for (const item of told.items as Array<{ transferId: string; status: string; failureCode: string | null }>) {
    const t = snapshot.transfers[item.transferId];
    const allowed = allowedFinal('transfer', item);
    if (!t || !allowed) continue;
    if (!allowed.includes(t.status) || (item.status === 'failed' && item.failureCode !== t.failureCode)) {
      violations.push(`op ${op.invoke.index} (batch ${told.batchId}) was told ${item.status}${item.failureCode ? ` ${item.failureCode}` : ''} for item ${item.transferId}, which ended ${t.status}${t.failureCode ? ` ${t.failureCode}` : ''}`);
    }
  }
  return violations;
}

interface Line {
  account: string;
  direction: 'debit' | 'credit';
  amount: bigint;
}

/** The lines a transfer must have, by its final status. */
function expectedLines(t: FinalTransfer): Line[] {
  const amount = BigInt(t.amountMinor);
  const posting: Line[] = [
    { account: t.fromAccountId, direction: 'debit', amount },
    { account: t.toAccountId, direction: 'credit', amount },
  ];
  if (t.status === 'posted') return posting;
  if (t.status === 'reversed') return [...posting, { account: t.fromAccountId, direction: 'credit', amount }, { account: t.toAccountId, direction: 'debit', amount }];
  return [];
}

const lineKey = (l: Line) => `${l.account} ${l.direction} ${l.amount}`;

function countLines(lines: Line[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(lineKey(l), (counts.get(lineKey(l)) ?? 0) + 1);
  return counts;
}

export function statementsConsistent(setup: SetupValue, snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  const linesByTransfer = new Map<string, Line[]>();
  const funding = fundingIds(setup);
  for (const group of Object.values(setup.groups)) {
    for (const [account, a] of Object.entries(group.accounts)) {
      const items = snapshot.statements[account];
      if (!items) {
        violations.push(`account ${account}: no final statement`);
        continue;
      }
      violations.push(...chainViolations(account, a.openingPostedMinor, a.fundingTransferId, BigInt(a.creditLimitMinor), items));
      for (const item of items) {
        if (funding.has(item.transferId)) continue;
        const lines = linesByTransfer.get(item.transferId) ?? [];
        lines.push({ account, direction: item.direction, amount: BigInt(item.amountMinor) });
        linesByTransfer.set(item.transferId, lines);
      }
    }
  }
  for (const t of Object.values(snapshot.transfers)) {
    if (funding.has(t.id)) continue;
    const expected = countLines(expectedLines(t));
    const actual = countLines(linesByTransfer.get(t.id) ?? []);
    linesByTransfer.delete(t.id);
    for (const key of new Set([...expected.keys(), ...actual.keys()])) {
      const want = expected.get(key) ?? 0;
      const got = actual.get(key) ?? 0;
      if (want !== got) violations.push(`transfer ${t.id} (${t.status}): ${got} statement lines "${key}", expected ${want}`);
    }
  }
  for (const [transferId, lines] of linesByTransfer) {
    violations.push(`statement lines of unknown transfer ${transferId}: ${lines.map(lineKey).join(', ')}`);
  }
  return { name: 'statements consistent', violations };
}

function chainViolations(account: string, openingMinor: string, fundingTransferId: string, creditLimit: bigint, items: StatementItem[]): string[] {
  const violations: string[] = [];
  const head = items[0];
  if (!head || head.transferId !== fundingTransferId || head.balanceAfterMinor !== openingMinor) {
    violations.push(`account ${account}: the statement does not open with its funding entry at ${openingMinor} (first: ${head ? `${head.transferId} at ${head.balanceAfterMinor}` : 'none'})`);
  }
  let previous = 0n;
  items.forEach((item, i) => {
    const amount = BigInt(item.amountMinor);
    const expected = item.direction === 'credit' ? previous + amount : previous - amount;
    const after = BigInt(item.balanceAfterMinor);
    if (after !== expected) {
      violations.push(`account ${account} line ${i} (entry ${item.entryId}, transfer ${item.transferId}): balanceAfter ${after}, but ${previous} ${item.direction === 'credit' ? '+' : '-'} ${amount} = ${expected}`);
    }
    if (after < -creditLimit) violations.push(`account ${account} line ${i} (entry ${item.entryId}): balanceAfter ${after} below the credit limit -${creditLimit}`);
    previous = after;
  });
  return violations;
}

/** Where each posted value appears in an account's final statement, from its funding entry on. */
function positionsOf(items: StatementItem[], fundingTransferId: string, openingMinor: string): Map<string, number[]> {
  const positions = new Map<string, number[]>();
  const start = Math.max(0, items.findIndex((item) => item.transferId === fundingTransferId));
  const add = (value: string, at: number) => positions.set(value, [...(positions.get(value) ?? []), at]);
  if (items.length === 0 || items[start]?.balanceAfterMinor !== openingMinor) add(openingMinor, start - 1);
  items.forEach((item, i) => {
    if (i >= start) add(item.balanceAfterMinor, i);
  });
  return positions;
}

/** The first of the sorted positions at or after `from`, or undefined. */
function firstAtOrAfter(sorted: number[], from: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? Infinity) < from) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

export function balanceReadsPlausible(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const setup = setupOf(history);
  const violations: string[] = [];
  const accounts = new Map(Object.values(setup.groups).flatMap((g) => Object.entries(g.accounts)));
  const positions = new Map<string, Map<string, number[]>>();
  for (const [account, a] of accounts) positions.set(account, positionsOf(snapshot.statements[account] ?? [], a.fundingTransferId, a.openingPostedMinor));
  const lastPosition = new Map<string, number>();
  for (const op of opsOf(history)) {
    if (op.invoke.f !== 'balance' || op.completion?.type !== 'ok') continue;
    const account = op.invoke.value.account as string;
    const read = op.completion.value as { postedMinor: string; availableMinor: string };
    const a = accounts.get(account);
    if (!a) continue;
    if (BigInt(read.availableMinor) < -BigInt(a.creditLimitMinor)) violations.push(`op ${op.invoke.index}: account ${account} read available ${read.availableMinor}, below its credit limit`);
    const at = positions.get(account)!.get(read.postedMinor);
    if (!at) {
      violations.push(`op ${op.invoke.index} (process ${op.invoke.process}): account ${account} read posted ${read.postedMinor}, a balance it never had`);
      continue;
    }
    const reader = `${op.invoke.process} ${account}`;
    const from = lastPosition.get(reader) ?? -1;
    const position = firstAtOrAfter(at, from);
    if (position === undefined) {
      violations.push(`op ${op.invoke.index} (process ${op.invoke.process}): account ${account} read posted ${read.postedMinor} (statement line ${at.join('/')}) after a read at line ${from}: it went back`);
      continue;
    }
    lastPosition.set(reader, position);
  }
  return { name: 'balance reads real and monotonic', violations };
}

export function statementReadsArePrefixes(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  const lastLength = new Map<string, number>();
  for (const op of opsOf(history)) {
    if (op.invoke.f !== 'statement' || op.completion?.type !== 'ok') continue;
    const account = op.invoke.value.account as string;
    const read = op.completion.value.items as StatementItem[];
    const final = snapshot.statements[account] ?? [];
    const differs = read.findIndex((item, i) => final[i]?.entryId !== item.entryId || final[i]?.balanceAfterMinor !== item.balanceAfterMinor);
    if (differs !== -1) {
      const f = final[differs];
      const r = read[differs];
      violations.push(
        `op ${op.invoke.index}: account ${account} statement line ${differs} read as entry ${r?.entryId} at ${r?.balanceAfterMinor}, finally ${f ? `entry ${f.entryId} at ${f.balanceAfterMinor}` : 'absent'}`,
      );
    }
    const reader = `${op.invoke.process} ${account}`;
    if (read.length < (lastLength.get(reader) ?? 0)) violations.push(`op ${op.invoke.index} (process ${op.invoke.process}): account ${account} statement shrank from ${lastLength.get(reader)} to ${read.length} lines`);
    lastLength.set(reader, Math.max(read.length, lastLength.get(reader) ?? 0));
  }
  return { name: 'statement reads are prefixes of the final statement', violations };
}

export function noMoneyLocked(setup: SetupValue, snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  const held = new Map<string, bigint>();
  for (const t of Object.values(snapshot.transfers)) {
    if (t.status === 'awaiting_approval') held.set(t.fromAccountId, (held.get(t.fromAccountId) ?? 0n) + BigInt(t.amountMinor));
  }
  for (const group of Object.values(setup.groups)) {
    for (const account of Object.keys(group.accounts)) {
      const balance = snapshot.balances[account];
      if (!balance) {
        violations.push(`account ${account}: no final balance`);
        continue;
      }
      const expectedPending = held.get(account) ?? 0n;
      if (BigInt(balance.pendingMinor) !== expectedPending) {
        violations.push(`account ${account}: pending ${balance.pendingMinor} once settled, but its transfers awaiting approval hold ${expectedPending}`);
      }
      const items = snapshot.statements[account] ?? [];
      const last = items.at(-1)?.balanceAfterMinor ?? '0';
      if (balance.postedMinor !== last) violations.push(`account ${account}: posted ${balance.postedMinor} once settled, but its statement ends at ${last}`);
    }
  }
  return { name: 'no money stays locked', violations };
}

export function terminatedAnswerFinalState(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  for (const op of opsOf(history)) {
    const f = op.invoke.f;
    if ((f !== 'cancel' && f !== 'reject') || op.completion?.type !== 'fail') continue;
    const final = snapshot.transfers[op.invoke.value.transferId];
    if (final?.failureCode === 'WORKFLOW_TERMINATED' && String(op.completion.value?.error ?? '').startsWith('409')) {
      violations.push(`op ${op.invoke.index} (${f} of terminated transfer ${final.id}) was refused: ${op.completion.value.error}`);
    }
  }
  return { name: 'terminated transfers answer their final state', violations };
}

export function reconciliationClean(snapshot: FinalSnapshot): Check {
  const r = snapshot.reconciliation;
  const violations = r.status === 'completed' && r.mismatches === 0 ? [] : [`reconciliation ${r.id ?? '(not started)'} ${r.status} with ${r.mismatches} mismatches${r.detail ? `: ${r.detail}` : ''}`];
  return { name: 'reconciliation reports no mismatch', violations };
}

/** Every batch a batch op was answered with (the snapshot reads them back). */
export function batchIdsOf(history: HistoryEvent[]): string[] {
  return [...new Set(opsOf(history).flatMap((op) => (op.invoke.f === 'batch' && outcomeOf(op)?.batchId ? [outcomeOf(op).batchId as string] : [])))];
}

export function oneBatchPerKey(history: HistoryEvent[]): Check {
  const byKey = new Map<string, Set<string>>();
  for (const op of opsOf(history)) {
    const id = op.invoke.f === 'batch' ? (outcomeOf(op)?.batchId as string | undefined) : undefined;
    if (!id || op.invoke.key === undefined) continue;
    byKey.set(op.invoke.key, (byKey.get(op.invoke.key) ?? new Set()).add(id));
  }
  const violations = [...byKey].filter(([, ids]) => ids.size > 1).map(([key, ids]) => `batch key ${key} was answered with batches ${[...ids].join(' and ')}`);
  return { name: 'one batch per key', violations };
}

/** The refusals an item of an independent batch may fail with on its own. */
const ITEM_REFUSALS = new Set(['INSUFFICIENT_FUNDS', 'ACCOUNT_NOT_FOUND', 'ACCOUNT_FROZEN', 'CURRENCY_MISMATCH']);
const postedOrReversed = (status: string) => status === 'posted' || status === 'reversed';

export function batchesAllOrNone(history: HistoryEvent[], snapshot: FinalSnapshot): Check {
  const violations: string[] = [];
  const known = new Set(Object.values(setupOf(history).groups).flatMap((g) => Object.keys(g.accounts)));
  // What the ledger did, whatever the rows say: the transfers with lines in some statement.
  const lined = new Set(Object.values(snapshot.statements).flatMap((items) => items.map((i) => i.transferId)));
  for (const op of opsOf(history)) {
    const id = op.invoke.f === 'batch' ? (outcomeOf(op)?.batchId as string | undefined) : undefined;
    if (!id) continue;
    const batch = snapshot.batches?.[id];
    if (!batch) {
      violations.push(`batch ${id} (op ${op.invoke.index}) is not in the final snapshot`);
      continue;
    }
    const label = `batch ${id} (op ${op.invoke.index}, ${batch.mode})`;
    violations.push(...batchViolations(label, op.invoke.value.items, batch, snapshot, known));
    const inLedger = batch.items.filter((i) => lined.has(i.transferId));
    if (batch.mode === 'atomic' && inLedger.length !== 0 && (inLedger.length !== batch.items.length || batch.status === 'failed')) {
      violations.push(`${label} ${batch.status}: ${inLedger.length} of ${batch.items.length} items have statement lines (e.g. #${inLedger[0]!.batchIndex} ${inLedger[0]!.status})`);
    }
  }
  return { name: 'batches all or none, exactly once', violations };
}

function batchViolations(label: string, sent: Array<{ from: string; to: string; amountMinor: string }>, batch: FinalBatch, snapshot: FinalSnapshot, known: Set<string>): string[] {
  const violations: string[] = [];
  const items = batch.items;
  const posted = items.filter((i) => postedOrReversed(i.status)).length;
  const failed = items.filter((i) => i.status === 'failed').length;
  if (batch.status !== 'completed' && batch.status !== 'failed') violations.push(`${label} is ${batch.status} after settling`);
  if (items.length !== sent.length || batch.itemCount !== sent.length) violations.push(`${label}: ${items.length} items, ${sent.length} sent`);
  if (batch.postedCount !== posted || batch.failedCount !== failed) violations.push(`${label}: counts posted ${batch.postedCount}/failed ${batch.failedCount}, its items posted ${posted}/failed ${failed}`);
  items.forEach((item, i) => {
    const want = sent[item.batchIndex];
    const t = snapshot.transfers[item.transferId];
    if (item.batchIndex !== i) violations.push(`${label}: item ${i} has batchIndex ${item.batchIndex}`);
    if (want && t && (t.fromAccountId !== want.from || t.toAccountId !== want.to || t.amountMinor !== want.amountMinor)) {
      violations.push(`${label} item #${i} (${item.transferId}) moves ${t.amountMinor} ${t.fromAccountId} → ${t.toAccountId}, sent ${want.amountMinor} ${want.from} → ${want.to}`);
    }
    if (want && !known.has(want.to) && postedOrReversed(item.status)) violations.push(`${label} item #${i} to the missing account ${want.to} posted`);
  });
  if (batch.mode === 'atomic') {
    if (posted !== 0 && posted !== items.length) violations.push(`${label}: ${posted} of ${items.length} items posted`);
    if (batch.status === 'completed' && posted !== items.length) violations.push(`${label} completed with ${posted} of ${items.length} items posted`);
    if (batch.status === 'failed') {
      const refused = items.find((i) => i.batchIndex === batch.failureIndex);
      if (!refused || refused.status !== 'failed' || refused.failureCode !== batch.failureCode) {
        violations.push(`${label} failed ${batch.failureCode} at ${batch.failureIndex}, but that item is ${refused ? `${refused.status} ${refused.failureCode ?? ''}` : 'missing'}`);
      }
      const others = items.filter((i) => i !== refused && !(i.status === 'failed' && i.failureCode === 'BATCH_ABORTED'));
      if (others.length > 0) violations.push(`${label} failed, but ${others.length} other items did not end BATCH_ABORTED (e.g. #${others[0]!.batchIndex} ${others[0]!.status})`);
    }
  } else {
    if (batch.status !== 'completed') violations.push(`${label} ended ${batch.status}, an independent batch completes`);
    for (const i of items) {
      if (!postedOrReversed(i.status) && !(i.status === 'failed' && ITEM_REFUSALS.has(i.failureCode ?? ''))) violations.push(`${label} item #${i.batchIndex} ended ${i.status} ${i.failureCode ?? ''}`);
    }
  }
  return violations;
}

export function runChecks(history: HistoryEvent[], snapshot: FinalSnapshot): Check[] {
  return [
    oneTransferPerKey(history),
    oneBatchPerKey(history),
    batchesAllOrNone(history, snapshot),
    transfersAccounted(history, snapshot),
    answersStick(history, snapshot),
    statementsConsistent(setupOf(history), snapshot),
    balanceReadsPlausible(history, snapshot),
    statementReadsArePrefixes(history, snapshot),
    noMoneyLocked(setupOf(history), snapshot),
    terminatedAnswerFinalState(history, snapshot),
    reconciliationClean(snapshot),
  ];
}
