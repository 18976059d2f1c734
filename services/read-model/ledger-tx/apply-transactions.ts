/**
 * Applies the events of ledger transactions (those carrying a stamp) in the
 * caller's transaction: each ledger transaction whole, its balance steps and
 * its statement lines and hold changes together, and only when the ordering
 * rule (ordering.ts) allows; what cannot be applied yet is parked (store.ts)
 * and applied by the transaction that brings what it waits for. Every state
 * a reader can see is then, for each account, a state the ledger had. The
 * caller holds the appliers' turn (apply.ts), so what is parked is seen by
 * the next apply.
 */
import type { LedgerTxStamp } from '../../../lib/contracts/ledger';
import type { PoolClient } from '../../../lib/pg';
import { firstOf, required } from '../../../lib/assert';
import type { ApplyOutcome, EventPosition, EventScope } from '../apply';
import { ledgerTxOf, type ProjectionEvent } from '../events';
import { projectEvent } from '../project-event';
import { BalanceChanges } from '../projections/balances';
import { settle, stepsOf, type LedgerTx, type TxStep, type Versions } from './ordering';
import { loadParked, park, readVersions, unpark, type Part } from './store';

export interface Arrival {
  /** Index of the event in the batch being applied. */
  index: number;
  event: ProjectionEvent;
  position: EventPosition;
  stamp: LedgerTxStamp;
}

const PARKED: ApplyOutcome = { applied: true, holdContradiction: false, holdSettled: false };
const REPEATED: ApplyOutcome = { applied: false };

/** One outcome per arrival, by its index. */
export async function applyLedgerTransactions(
  client: PoolClient,
  arrivals: Arrival[],
  balances: BalanceChanges,
  scope: EventScope,
): Promise<Map<number, ApplyOutcome>> {
  const outcomes = new Map<number, ApplyOutcome>();
  if (arrivals.length === 0) return outcomes;
  const known = new Map<string, LedgerTx<Part>>();
  for (const { index, event, position, stamp } of arrivals) {
    txOf(known, stamp).parts.push({ event, position, arrival: index });
  }
  // In one query: the parts parked before of these transactions, and of those that follow them.
  const arrived = [...known.values()];
  const stored = await addParkedParts(client, known, arrived.map((tx) => tx.txId), arrived.flatMap((tx) => tx.steps));
  const successorsLoaded = new Set(arrived.map((tx) => tx.txId));
  const versions = await readVersions(client, accountsOf([...known.values()]));
  const done: LedgerTx<Part>[] = [];
  let candidates = [...known.values()];
  let waiting: LedgerTx<Part>[] = [];
  for (;;) {
    const settlement = settle(candidates, versions);
    for (const tx of settlement.apply) await applyTx(client, tx, balances, scope, outcomes);
    for (const tx of settlement.stale) tx.parts.forEach(({ arrival }) => arrival !== null && outcomes.set(arrival, REPEATED));
    done.push(...settlement.apply, ...settlement.stale);
    waiting = settlement.waiting;
    // Parked transactions applied just now may have parked successors of their own: a chain.
    const reached = settlement.apply.filter((tx) => !successorsLoaded.has(tx.txId));
    if (reached.length === 0) break;
    reached.forEach((tx) => successorsLoaded.add(tx.txId));
    const loaded = await addParkedParts(client, known, [], reached.flatMap((tx) => tx.steps));
    if (loaded.size === 0) break;
    loaded.forEach((txId) => stored.add(txId));
    const loadedTxs = [...loaded].map((txId) => required(known.get(txId), `ledger transaction ${txId}, loaded`));
    await addVersions(client, versions, accountsOf(loadedTxs));
    candidates = [...waiting, ...loadedTxs.filter((tx) => !waiting.includes(tx))];
  }
  for (const tx of waiting) tx.parts.forEach(({ arrival }) => arrival !== null && outcomes.set(arrival, PARKED));
  await park(client, waiting);
  await unpark(client, done.filter((tx) => stored.has(tx.txId)).map((tx) => tx.txId));
  return outcomes;
}

function txOf(known: Map<string, LedgerTx<Part>>, stamp: LedgerTxStamp): LedgerTx<Part> {
  let tx = known.get(stamp.txId);
  if (!tx) {
    tx = { txId: stamp.txId, eventCount: stamp.eventCount, steps: stepsOf(stamp), parts: [] };
    known.set(stamp.txId, tx);
  }
  return tx;
}

/**
 * Adds to `known` the parked parts of `txIds` and of the transactions that
 * take an account of `reached` to its next version (each part once); returns
 * the ids of the transactions that had parked parts.
 */
async function addParkedParts(client: PoolClient, known: Map<string, LedgerTx<Part>>, txIds: string[], reached: TxStep[]): Promise<Set<string>> {
  const parked = await loadParked(client, txIds, reached);
  for (const [txId, parts] of parked) {
    const stamp = ledgerTxOf(firstOf(parts, `the parked parts of transaction ${txId}`).event);
    if (stamp?.txId !== txId) throw new Error(`assertion: a parked event of transaction ${txId} carries the stamp of ${stamp?.txId}`);
    const tx = txOf(known, stamp);
    const inHand = new Set(tx.parts.map((part) => part.event.envelope.eventId));
    tx.parts.push(...parts.filter((part) => !inHand.has(part.event.envelope.eventId)));
  }
  return new Set(parked.keys());
}

async function addVersions(client: PoolClient, versions: Versions, accountIds: string[]): Promise<void> {
  const missing = accountIds.filter((id) => !versions.has(id));
  if (missing.length === 0) return;
  for (const [id, version] of await readVersions(client, missing)) versions.set(id, version);
}

function accountsOf(txs: LedgerTx<Part>[]): string[] {
  return [...new Set(txs.flatMap((tx) => tx.steps.map((step) => step.accountId)))];
}

/**
 * Projects every event of the transaction (statement lines, hold rows), then
 * moves each account by the transaction's own step: the ledger's change of
 * posted and pending, and its version. The projections' deltas are not used:
 * the stamp is the ledger's word on what the transaction did.
 */
async function applyTx(client: PoolClient, tx: LedgerTx<Part>, balances: BalanceChanges, scope: EventScope, outcomes: Map<number, ApplyOutcome>): Promise<void> {
  const projected = new BalanceChanges();
  for (const { event, arrival } of tx.parts) {
    const work = () => projectEvent(client, event, projected);
    if (arrival === null) await work();
    else outcomes.set(arrival, await scope(arrival, work));
  }
  const currency = currencyOf(firstOf(tx.parts, `the parts of transaction ${tx.txId}`).event);
  for (const step of tx.steps) {
    balances.add(step.accountId, currency, { postedMinor: step.postedDeltaMinor, pendingMinor: step.pendingDeltaMinor });
    balances.setVersion(step.accountId, currency, step.version);
  }
}

function currencyOf(event: ProjectionEvent): string {
  if (event.kind === 'entry' || event.kind === 'hold') return event.envelope.payload.currency;
  throw new Error(`assertion: event ${event.envelope.eventId} of a ledger transaction is not a ledger event`);
}
