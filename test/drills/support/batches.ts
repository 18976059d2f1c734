/**
 * The drills' transfer batches (POST /v1/transfer-batches), run beside the
 * transfer load, and what must hold of them whatever fault hit the system:
 * - every batch final (completed or failed) once the system is idle;
 * - an `atomic` batch posted all its items or none: completed with every
 *   item posted, or failed with the refused item's code and index, that item
 *   failed with the code, every other one BATCH_ABORTED, and no entry in the
 *   ledger for any of them;
 * - an `independent` batch completed, each item posted or failed as its kind
 *   must, and its counts equal to its items' statuses;
 * - each posted item has exactly one entry, whose lines are the item's
 *   accounts and amount (the drills' "none posted twice" check covers the
 *   items too: their ids join the load's).
 * Batch items move money between accounts of their own (sources funded once,
 * sinks, an empty account per currency), so every outcome is decided by the
 * plan and never by the transfer load's timing: a valid item always posts,
 * an item from the empty account (credit limit 0, never credited) always
 * fails INSUFFICIENT_FUNDS, an item from or to the load's frozen account
 * always fails ACCOUNT_FROZEN. An atomic batch holds at most one such item.
 * The plan comes from the drill's seeded generator.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { required } from '../../../lib/assert';
import type { InvariantPools } from '../../support/invariants';
import type { RetryingClient } from './client';
import type { DrillAccounts } from './load';
import { seededRandom } from '../../support/seeded-random';

type Mode = 'atomic' | 'independent';
export type ItemKind = 'valid' | 'empty-source' | 'frozen';

interface BatchShape {
  name: string;
  mode: Mode;
  currency: 'USD' | 'EUR';
  size: number;
  /** Items that must fail (an atomic batch takes at most one). */
  failing: Array<Exclude<ItemKind, 'valid'>>;
}

/** The batches spread over the load, in the order they are sent. */
const LOAD_BATCHES: BatchShape[] = [
  { name: 'ind-500', mode: 'independent', currency: 'USD', size: 500, failing: ['empty-source', 'frozen', 'frozen'] },
  { name: 'atom-400', mode: 'atomic', currency: 'EUR', size: 400, failing: [] },
  { name: 'atom-300-frozen', mode: 'atomic', currency: 'USD', size: 300, failing: ['frozen'] },
  { name: 'ind-250', mode: 'independent', currency: 'EUR', size: 250, failing: ['frozen', 'empty-source'] },
  { name: 'atom-200-empty', mode: 'atomic', currency: 'EUR', size: 200, failing: ['empty-source'] },
  { name: 'atom-1', mode: 'atomic', currency: 'USD', size: 1, failing: [] },
  { name: 'ind-100', mode: 'independent', currency: 'USD', size: 100, failing: [] },
];
/**
 * Sent when the drill is about to strike: two chunks for the independent one
 * at the default BATCH_CHUNK_SIZE (500), so the strike can wait for the first
 * to be recorded and not the second; one transaction of 500 for the atomic.
 */
const IN_FLIGHT_BATCHES: BatchShape[] = [
  { name: 'strike-ind-1000', mode: 'independent', currency: 'USD', size: 1000, failing: ['empty-source', 'frozen'] },
  { name: 'strike-atom-500', mode: 'atomic', currency: 'EUR', size: 500, failing: [] },
];
const ITEM_AMOUNT_MAX = 300n;
const SOURCES_PER_CURRENCY = 3;
const SINKS_PER_CURRENCY = 3;
/** Below the approval threshold (funding posts at once) and far above what the batches move out of one source. */
const SOURCE_FUNDING_MINOR = 500_000n;
/** How often the strike watches its batch, and how long before it gives up waiting for a chunk to land. */
const STRIKE_POLL_MS = 10;
const STRIKE_WAIT_MS_MAX = 15_000;
const STRIKE_ATTEMPTS_MAX = 3;

export interface PlannedItem {
  kind: ItemKind;
  body: { fromAccountId: string; toAccountId: string; amount: string; currency: string; description: string; reference: string; metadata: Record<string, string> };
}

export interface PlannedBatch {
  name: string;
  mode: Mode;
  key: string;
  items: PlannedItem[];
  /** Set once the gateway named the batch. */
  id?: string;
}

interface BatchAccounts {
  sources: Record<'USD' | 'EUR', string[]>;
  sinks: Record<'USD' | 'EUR', string[]>;
  empty: Record<'USD' | 'EUR', string>;
  frozen: Record<'USD' | 'EUR', string>;
  fundingTransferIds: string[];
}

/** Opens and funds the batches' accounts (the load's funding and frozen accounts are reused). */
export async function createBatchAccounts(client: RetryingClient, tag: string, drill: DrillAccounts): Promise<BatchAccounts> {
  let seq = 0;
  const account = async (currency: string, role: string): Promise<string> => {
    const code = `drill-${tag}-batch-${role}-${++seq}`;
    const res = await client('POST', '/v1/accounts', { code, name: `drill batch ${role}`, currency, creditLimit: '0' }, { 'Idempotency-Key': code });
    if (res.status !== 201 && res.status !== 200) throw new Error(`creating account ${code}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const fundingTransferIds: string[] = [];
  const fund = async (currency: 'USD' | 'EUR', to: string) => {
    const body = { fromAccountId: drill.byCurrency[currency].funding, toAccountId: to, amount: SOURCE_FUNDING_MINOR.toString(), currency, description: 'drill batch funding' };
    const res = await client('POST', '/v1/transfers?wait=true', body, { 'Idempotency-Key': `drill-${tag}-batch-fund-${to}` });
    if (res.status !== 201 && res.status !== 200) throw new Error(`funding ${to}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.status !== 'posted') throw new Error(`funding ${to} answered ${res.body.status}, not posted, within the wait`);
    fundingTransferIds.push(res.body.id as string);
  };
  const forCurrency = async (currency: 'USD' | 'EUR') => {
    const sources = await Promise.all(Array.from({ length: SOURCES_PER_CURRENCY }, () => account(currency, 'source')));
    const sinks = await Promise.all(Array.from({ length: SINKS_PER_CURRENCY }, () => account(currency, 'sink')));
    const empty = await account(currency, 'empty');
    await Promise.all(sources.map((s) => fund(currency, s)));
    return { sources, sinks, empty };
  };
  const usd = await forCurrency('USD');
  const eur = await forCurrency('EUR');
  return {
    sources: { USD: usd.sources, EUR: eur.sources },
    sinks: { USD: usd.sinks, EUR: eur.sinks },
    empty: { USD: usd.empty, EUR: eur.empty },
    frozen: { USD: drill.byCurrency.USD.frozen, EUR: drill.byCurrency.EUR.frozen },
    fundingTransferIds,
  };
}

function planBatch(shape: BatchShape, accounts: BatchAccounts, random: () => number, tag: string): PlannedBatch {
  const pick = (list: string[]) => required(list[Math.floor(random() * list.length)], 'an account');
  const kinds: ItemKind[] = Array<ItemKind>(shape.size).fill('valid');
  for (const kind of shape.failing) {
    // Distinct places; the first and last place are as likely as any other.
    let at = Math.floor(random() * shape.size);
    while (kinds[at] !== 'valid') at = (at + 1) % shape.size;
    kinds[at] = kind;
  }
  const c = shape.currency;
  const items = kinds.map((kind, index): PlannedItem => {
    const amount = 1n + BigInt(Math.floor(random() * Number(ITEM_AMOUNT_MAX)));
    let [from, to] = [pick(accounts.sources[c]), pick(accounts.sinks[c])];
    if (kind === 'empty-source') from = accounts.empty[c];
    if (kind === 'frozen') [from, to] = random() < 0.5 ? [accounts.frozen[c], to] : [from, accounts.frozen[c]];
    const reference = `${shape.name}-${index}`;
    return { kind, body: { fromAccountId: from, toAccountId: to, amount: amount.toString(), currency: c, description: `drill batch ${kind}`, reference, metadata: { drill: tag, batch: shape.name, kind } } };
  });
  return { name: shape.name, mode: shape.mode, key: `drill-${tag}-batch-${shape.name}`, items };
}

export interface BatchRun {
  planned: PlannedBatch[];
  violations: string[];
  /** Resolves when every load batch has been sent (answered or given up). */
  done: Promise<void>;
  stop(): void;
  /**
   * Sends the in-flight batches and resolves once one of them is caught
   * mid-way (an independent one with a chunk recorded and the rest not, or
   * failing that any of them still pending): the moment for the fault.
   */
  awaitStrike(): Promise<string>;
  /** After the fault: which batches were still pending, i.e. caught mid-batch by it. */
  pendingNow(): Promise<Array<{ batch: PlannedBatch; recorded: number }>>;
}

export interface BatchRunOptions {
  client: RetryingClient;
  pools: InvariantPools;
  accounts: BatchAccounts;
  seed: number;
  tag: string;
  /** Load batch k is sent once the transfer load has this many answered: spread over the load. */
  whenSubmitted(n: number): Promise<void>;
  transfers: number;
}

/** Sends a batch, then the same request again (one batch per key), and names it. */
async function send(client: RetryingClient, batch: PlannedBatch, violations: string[]): Promise<void> {
  const body = { mode: batch.mode, transfers: batch.items.map((i) => i.body) };
  const ids = new Set<string>();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const res = await client('POST', '/v1/transfer-batches', body, { 'Idempotency-Key': batch.key });
      if (res.status === 201 || res.status === 200) ids.add(res.body.id as string);
      else violations.push(`batch ${batch.name} (key ${batch.key}) was answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    } catch (error) {
      violations.push(`batch ${batch.name} (key ${batch.key}) got no usable answer: ${(error as Error).message}`);
    }
    if (attempt === 0 && ids.size > 0) batch.id = [...ids][0];
  }
  if (ids.size > 1) violations.push(`idempotency: batch key ${batch.key} created batches ${[...ids].join(' and ')}`);
}

export function startBatches(options: BatchRunOptions): BatchRun {
  const random = seededRandom(options.seed ^ 0x5bd1e995);
  const load = LOAD_BATCHES.map((shape) => planBatch(shape, options.accounts, random, options.tag));
  const strike = IN_FLIGHT_BATCHES.map((shape) => planBatch(shape, options.accounts, random, options.tag));
  const planned = [...load, ...strike];
  const violations: string[] = [];
  let stopped = false;

  const done = (async () => {
    for (const [k, batch] of load.entries()) {
      await options.whenSubmitted(Math.floor(((k + 1) * options.transfers) / (load.length + 1)));
      if (stopped) return;
      await send(options.client, batch, violations);
    }
  })();

  const state = async (id: string) => {
    const { rows } = await options.pools.transfers.query(
      `SELECT b.status, count(t.id) FILTER (WHERE t.status <> 'pending')::int AS recorded
         FROM transfer_batches b LEFT JOIN transfers t ON t.batch_id = b.id WHERE b.id = $1 GROUP BY b.status`,
      [id],
    );
    return rows[0] as { status: string; recorded: number } | undefined;
  };

  const awaitStrike = async (): Promise<string> => {
    const [independent, atomic] = [required(strike[0], 'the independent strike batch'), required(strike[1], 'the atomic strike batch')];
    for (let attempt = 1; attempt <= STRIKE_ATTEMPTS_MAX; attempt++) {
      const batch = attempt === 1 ? independent : { ...independent, name: `${independent.name}-again${attempt}`, key: `${independent.key}-again${attempt}` };
      if (attempt > 1) planned.push(batch);
      // The atomic one goes first, so its one transaction of 500 items is under way when the independent one is caught.
      if (attempt === 1) await send(options.client, atomic, violations);
      await send(options.client, batch, violations);
      if (!batch.id) continue;
      const until = Date.now() + STRIKE_WAIT_MS_MAX;
      for (;;) {
        const s = await state(batch.id).catch(() => undefined);
        if (s && s.status !== 'pending') break;
        if (s && s.recorded > 0 && s.recorded < batch.items.length) return `batch ${batch.name} ${batch.id} caught with ${s.recorded}/${batch.items.length} items recorded (attempt ${attempt})`;
        if (Date.now() > until) return `batch ${batch.name} ${batch.id} pending with ${s?.recorded ?? '?'} items recorded after ${STRIKE_WAIT_MS_MAX} ms (attempt ${attempt})`;
        await sleep(STRIKE_POLL_MS);
      }
    }
    return `no in-flight batch caught mid-way in ${STRIKE_ATTEMPTS_MAX} attempts`;
  };

  const pendingNow = async () => {
    const named = planned.filter((b) => b.id !== undefined);
    const found = await Promise.all(named.map(async (batch) => ({ batch, s: await state(batch.id!) })));
    return found.filter(({ s }) => s?.status === 'pending').map(({ batch, s }) => ({ batch, recorded: s!.recorded }));
  };

  return { planned, violations, done, stop: () => void (stopped = true), awaitStrike, pendingNow };
}


// ---------------------------------------------------------------- checks

interface ItemRow {
  id: string;
  batchId: string;
  index: number;
  status: string;
  failureCode: string | null;
  entryId: string | null;
}

async function itemRows(pools: InvariantPools, batchIds: string[]): Promise<Map<string, ItemRow[]>> {
  const { rows } = await pools.transfers.query(
    `SELECT id::text, batch_id::text, batch_index, status, failure_code, entry_id::text FROM transfers WHERE batch_id = ANY($1::uuid[]) ORDER BY batch_id, batch_index`,
    [batchIds],
  );
  const byBatch = new Map<string, ItemRow[]>();
  for (const r of rows) {
    const list = byBatch.get(r.batch_id) ?? [];
    list.push({ id: r.id, batchId: r.batch_id, index: r.batch_index, status: r.status, failureCode: r.failure_code, entryId: r.entry_id });
    byBatch.set(r.batch_id, list);
  }
  return byBatch;
}

/** The transfer ids of every item of the named batches (for the drill's transfer checks). */
export async function batchItemIds(pools: InvariantPools, batches: PlannedBatch[]): Promise<string[]> {
  const items = await itemRows(pools, batches.flatMap((b) => (b.id ? [b.id] : [])));
  return [...items.values()].flat().map((i) => i.id);
}

/** Batches created since `since` still pending (the drill's and any whose request never got an answer). */
export async function batchesPendingSince(pools: InvariantPools, since: Date): Promise<string[]> {
  const { rows } = await pools.transfers.query(`SELECT id::text FROM transfer_batches WHERE created_at >= $1 AND status = 'pending'`, [since]);
  return rows.map((r) => r.id as string);
}

const outcome = (status: string, code: string | null) => (code ? `${status}:${code}` : status);
const REFUSAL_OF: Record<Exclude<ItemKind, 'valid'>, string> = { 'empty-source': 'INSUFFICIENT_FUNDS', frozen: 'ACCOUNT_FROZEN' };

/** What each item of a batch must end as, and the batch's own final state. */
function expectedOf(batch: PlannedBatch): { items: string[]; status: string; failureCode: string | null; failureIndex: number | null } {
  const itemOutcome = (i: PlannedItem) => (i.kind === 'valid' ? 'posted' : outcome('failed', REFUSAL_OF[i.kind]));
  const refused = batch.items.findIndex((i) => i.kind !== 'valid');
  if (batch.mode === 'independent' || refused === -1) return { items: batch.items.map(itemOutcome), status: 'completed', failureCode: null, failureIndex: null };
  const code = REFUSAL_OF[batch.items[refused]!.kind as Exclude<ItemKind, 'valid'>];
  return { items: batch.items.map((_, i) => (i === refused ? outcome('failed', code) : 'failed:BATCH_ABORTED')), status: 'failed', failureCode: code, failureIndex: refused };
}

export interface BatchCheck {
  name: string;
  violations: string[];
}

/** The batch invariants of the file's header, once the system is idle; a batch created since `since` that nobody here named must not be pending either. */
export async function batchChecks(pools: InvariantPools, run: BatchRun, since: Date): Promise<BatchCheck[]> {
  const named = run.planned.filter((b) => b.id !== undefined);
  const ids = named.map((b) => b.id!);
  const { rows } = await pools.transfers.query(
    `SELECT id::text, mode, status, item_count, posted_count, failed_count, failure_code, failure_index FROM transfer_batches WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const batches = new Map(rows.map((r) => [r.id as string, r]));
  const items = await itemRows(pools, ids);
  const entries = await entriesOf(pools, [...items.values()].flat().map((i) => i.id));
  const known = new Set(ids);
  const final: string[] = (await batchesPendingSince(pools, since)).filter((id) => !known.has(id)).map((id) => `batch ${id} (its request never got an answer) is still pending`);
  const allOrNone: string[] = [];
  const asPlanned: string[] = [];
  const counts: string[] = [];
  const oneEntry: string[] = [];
  for (const batch of named) {
    const row = batches.get(batch.id!);
    const list = items.get(batch.id!) ?? [];
    const label = `batch ${batch.name} ${batch.id} (${batch.mode}, ${batch.items.length} items)`;
    if (!row) {
      final.push(`${label} is not in transfer_batches`);
      continue;
    }
    if (row.status === 'pending') final.push(`${label} is still pending (${list.filter((i) => i.status !== 'pending').length} items recorded)`);
    const posted = list.filter((i) => i.status === 'posted').length;
    const failed = list.filter((i) => i.status === 'failed').length;
    const withEntry = list.filter((i) => (entries.get(i.id)?.length ?? 0) > 0).length;
    if (batch.mode === 'atomic' && ![0, list.length].includes(posted)) allOrNone.push(`${label}: ${posted} of ${list.length} items posted`);
    if (batch.mode === 'atomic' && ![0, list.length].includes(withEntry)) allOrNone.push(`${label}: ${withEntry} of ${list.length} items have a ledger entry`);
    if (batch.mode === 'atomic' && row.status === 'failed') {
      const at = list.find((i) => i.index === row.failure_index);
      const others = list.filter((i) => i !== at && !(i.status === 'failed' && i.failureCode === 'BATCH_ABORTED'));
      if (!at || at.status !== 'failed' || at.failureCode !== row.failure_code) allOrNone.push(`${label} failed ${row.failure_code} at ${row.failure_index}, but that item is ${at ? outcome(at.status, at.failureCode) : 'missing'}`);
      if (others.length > 0) allOrNone.push(`${label} failed, but ${others.length} other items did not end BATCH_ABORTED (e.g. #${others[0]!.index} ${outcome(others[0]!.status, others[0]!.failureCode)})`);
      if (withEntry > 0) allOrNone.push(`${label} failed, yet ${withEntry} items have a ledger entry`);
    }
    if (row.status !== 'pending') {
      const expected = expectedOf(batch);
      if (row.status !== expected.status || row.failure_code !== expected.failureCode || row.failure_index !== expected.failureIndex) {
        asPlanned.push(`${label} ended ${row.status} ${row.failure_code ?? ''}@${row.failure_index ?? '-'}, expected ${expected.status} ${expected.failureCode ?? ''}@${expected.failureIndex ?? '-'}`);
      }
      for (const item of list) {
        const want = expected.items[item.index];
        const got = outcome(item.status, item.failureCode);
        if (got !== want) asPlanned.push(`${label} item #${item.index} (transfer ${item.id}) ended ${got}, expected ${want}`);
      }
    }
    if (list.length !== batch.items.length || row.item_count !== batch.items.length) counts.push(`${label}: item_count ${row.item_count}, ${list.length} item transfers, ${batch.items.length} sent`);
    if (row.status !== 'pending' && (row.posted_count !== posted || row.failed_count !== failed)) {
      counts.push(`${label}: counts posted ${row.posted_count}/failed ${row.failed_count}, its items posted ${posted}/failed ${failed}`);
    }
    oneEntry.push(...entryViolations(label, batch, list, entries));
  }
  return [
    { name: 'every batch final', violations: final },
    { name: 'atomic batches all or none', violations: allOrNone },
    { name: 'batch items ended as planned', violations: asPlanned },
    { name: 'batch counts equal their items', violations: counts },
    { name: 'each posted batch item one entry of its accounts and amount', violations: oneEntry },
    { name: 'every batch request answered, one batch per key', violations: [...run.violations] },
  ];
}

interface EntryOf {
  entryId: string;
  lines: string;
}

/** Each transfer's (non-reversal) entries with their lines, "debit FROM AMOUNT, credit TO AMOUNT". */
async function entriesOf(pools: InvariantPools, transferIds: string[]): Promise<Map<string, EntryOf[]>> {
  const { rows } = await pools.ledger.query(
    `SELECT e.transfer_id::text, e.entry_id::text,
            string_agg(l.direction || ' ' || l.account_id || ' ' || l.amount_minor, ', ' ORDER BY l.direction DESC, l.line_no) AS lines
       FROM entries e JOIN entry_lines l ON l.entry_id = e.entry_id
      WHERE e.transfer_id = ANY($1::uuid[]) AND e.reverses_entry_id IS NULL
      GROUP BY e.transfer_id, e.entry_id`,
    [transferIds],
  );
  const byTransfer = new Map<string, EntryOf[]>();
  for (const r of rows) byTransfer.set(r.transfer_id, [...(byTransfer.get(r.transfer_id) ?? []), { entryId: r.entry_id, lines: r.lines }]);
  return byTransfer;
}

function entryViolations(label: string, batch: PlannedBatch, list: ItemRow[], entries: Map<string, EntryOf[]>): string[] {
  return list.flatMap((item) => {
    const found = entries.get(item.id) ?? [];
    if (item.status !== 'posted') return found.length === 0 ? [] : [`${label} item #${item.index} is ${item.status} but has ${found.length} entries`];
    if (found.length !== 1) return [`${label} item #${item.index} (transfer ${item.id}) is posted with ${found.length} entries (${found.map((e) => e.entryId).join(', ')})`];
    const planned = batch.items[item.index]!.body;
    const want = `debit ${planned.fromAccountId} ${planned.amount}, credit ${planned.toAccountId} ${planned.amount}`;
    const [entry] = found;
    if (entry!.entryId !== item.entryId) return [`${label} item #${item.index} names entry ${item.entryId}, the ledger has ${entry!.entryId}`];
    return entry!.lines === want ? [] : [`${label} item #${item.index} entry ${entry!.entryId} has lines "${entry!.lines}", expected "${want}"`];
  });
}
