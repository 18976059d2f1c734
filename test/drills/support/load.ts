/**
 * The drills' load: a few hundred transfers through the gateway, of every
 * kind the contract knows, with an outcome each kind must reach whatever
 * fault hits the system meanwhile:
 * - normal: between funded customers of one currency, mixed amounts; posted,
 *   or failed INSUFFICIENT_FUNDS when the source is short at that moment;
 * - overdraw: just below the approval threshold, more than all the customers
 *   of the currency hold together; always failed INSUFFICIENT_FUNDS;
 * - frozen: to or from a frozen account; always failed ACCOUNT_FROZEN;
 * - approve / reject / undecided: at or above the approval threshold, from a
 *   treasury to a payee; approved (posted) or rejected (cancelled) by the
 *   decider while the load runs, or left awaiting_approval.
 * Every tenth transfer is sent twice with the same Idempotency-Key, half of
 * them concurrently, half after the first answer: both must name one transfer.
 * The plan comes from a seeded generator, so a failing drill can be rerun.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../../../lib/pg';
import { required } from '../../../lib/assert';
import type { RetryingClient } from './client';
import { seededRandom } from '../../support/seeded-random';

export type Kind = 'normal' | 'overdraw' | 'frozen' | 'approve' | 'reject' | 'undecided';
type Duplicate = 'none' | 'concurrent' | 'later';

export interface TransferBody {
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  currency: string;
  description: string;
  metadata: Record<string, string>;
}

export interface PlannedTransfer {
  seq: number;
  kind: Kind;
  key: string;
  body: TransferBody;
  duplicate: Duplicate;
}

interface CurrencyAccounts {
  funding: string;
  customers: string[];
  frozen: string;
}

export interface DrillAccounts {
  byCurrency: Record<Currency, CurrencyAccounts>;
  treasury: string;
  payee: string;
  /** The funding transfers, which must reach `posted` like any other. */
  fundingTransferIds: string[];
}

const CURRENCIES = ['USD', 'EUR'] as const;
type Currency = (typeof CURRENCIES)[number];
const CUSTOMER_CREDIT_LIMITS = ['0', '0', '5000', '5000', '20000', '0'];
const CUSTOMER_FUNDING_MINOR = 100_000n;
const APPROVALS = { approve: 12, reject: 6, undecided: 2 } as const;
const FROZEN_COUNT = 15;
const OVERDRAW_COUNT = 20;
const DUPLICATE_EVERY = 10;

// ---------------------------------------------------------------- accounts

export async function createDrillAccounts(client: RetryingClient, tag: string, thresholdMinor: bigint): Promise<DrillAccounts> {
  let seq = 0;
  const account = async (currency: string, creditLimit: string, role: string): Promise<string> => {
    const code = `drill-${tag}-${role}-${++seq}`;
    const res = await client('POST', '/v1/accounts', { code, name: `drill ${role}`, currency, creditLimit }, { 'Idempotency-Key': code });
    if (res.status !== 201 && res.status !== 200) throw new Error(`creating account ${code}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  };
  const fundingTransferIds: string[] = [];
  const fund = async (from: string, to: string, amountMinor: bigint, currency: string) => {
    const key = `drill-${tag}-fund-${to}`;
    const res = await client('POST', '/v1/transfers?wait=true', transferBody(from, to, amountMinor, currency, 'drill funding'), { 'Idempotency-Key': key });
    if (res.status !== 201 && res.status !== 200) throw new Error(`funding ${to}: ${res.status} ${JSON.stringify(res.body)}`);
    fundingTransferIds.push(res.body.id);
    return res.body.id as string;
  };

  const accountsIn = async (currency: Currency): Promise<CurrencyAccounts> => {
    const funding = await account(currency, 'unlimited', 'funding');
    const customers = await Promise.all(CUSTOMER_CREDIT_LIMITS.map((limit) => account(currency, limit, 'customer')));
    const frozen = await account(currency, '0', 'frozen');
    await Promise.all([...customers, frozen].map((id) => fund(funding, id, CUSTOMER_FUNDING_MINOR, currency)));
    return { funding, customers, frozen };
  };
  // One currency after the other, as the account codes number them.
  const byCurrency: Record<Currency, CurrencyAccounts> = { USD: await accountsIn('USD'), EUR: await accountsIn('EUR') };
  const treasury = await account('USD', '0', 'treasury');
  const payee = await account('USD', '0', 'payee');
  // Enough for every approval at its largest amount, so an approved transfer always posts.
  const approvalsTotal = BigInt(APPROVALS.approve + APPROVALS.reject + APPROVALS.undecided);
  await fund(byCurrency.USD.funding, treasury, approvalsTotal * approvalAmountMax(thresholdMinor), 'USD');
  await Promise.all(fundingTransferIds.map((id) => settledOrThrow(client, id)));
  for (const currency of CURRENCIES) {
    const res = await client('POST', `/v1/accounts/${byCurrency[currency].frozen}/freeze`);
    if (res.status !== 200) throw new Error(`freezing ${byCurrency[currency].frozen}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { byCurrency, treasury, payee, fundingTransferIds };
}

async function settledOrThrow(client: RetryingClient, id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await client('GET', `/v1/transfers/${id}`);
    if (res.status === 200 && res.body.status === 'posted') return;
    // The treasury's funding is above the approval threshold.
    if (res.status === 200 && res.body.status === 'awaiting_approval') {
      await client('POST', `/v1/transfers/${id}/approve`);
      continue;
    }
    if (res.status === 200 && res.body.status !== 'pending') throw new Error(`funding transfer ${id} ended ${res.body.status}`);
    await sleep(200);
  }
  throw new Error(`funding transfer ${id} did not post within 30 s`);
}

// ---------------------------------------------------------------- plan


const approvalAmountMax = (thresholdMinor: bigint) => thresholdMinor * 5n / 2n;

function transferBody(from: string, to: string, amountMinor: bigint, currency: string, description: string, metadata: Record<string, string> = {}): TransferBody {
  return { fromAccountId: from, toAccountId: to, amount: amountMinor.toString(), currency, description, metadata };
}

export function planLoad(accounts: DrillAccounts, options: { count: number; seed: number; tag: string; thresholdMinor: bigint }): PlannedTransfer[] {
  const random = seededRandom(options.seed);
  const between = (low: bigint, high: bigint): bigint => low + BigInt(Math.floor(random() * Number(high - low + 1n)));
  const threshold = options.thresholdMinor;

  // What all customers of a currency could ever spend together stays below an overdraw, so it always fails.
  const customersCanSpend = CUSTOMER_FUNDING_MINOR * BigInt(CUSTOMER_CREDIT_LIMITS.length) + CUSTOMER_CREDIT_LIMITS.reduce((s, l) => s + BigInt(l), 0n);
  const overdrawMinor = threshold - 1n;
  if (overdrawMinor <= customersCanSpend) throw new Error(`approval threshold ${threshold} is too low for the drill's overdraw transfers`);

  const kinds: Kind[] = [
    ...Array<Kind>(APPROVALS.approve).fill('approve'),
    ...Array<Kind>(APPROVALS.reject).fill('reject'),
    ...Array<Kind>(APPROVALS.undecided).fill('undecided'),
    ...Array<Kind>(FROZEN_COUNT).fill('frozen'),
    ...Array<Kind>(OVERDRAW_COUNT).fill('overdraw'),
  ];
  while (kinds.length < options.count) kinds.push('normal');
  // Fisher–Yates with the seeded generator: the kinds spread over the whole load.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const [a, b] = [kinds[i], kinds[j]];
    if (a === undefined || b === undefined) throw new Error(`shuffle: index ${i} or ${j} outside ${kinds.length} kinds`);
    [kinds[i], kinds[j]] = [b, a];
  }

  let approvalsSeen = 0;
  return kinds.map((kind, seq) => {
    const currency = kind === 'normal' || kind === 'overdraw' || kind === 'frozen' ? (random() < 0.6 ? 'USD' : 'EUR') : 'USD';
    const c = accounts.byCurrency[currency];
    const [from, to] = twoCustomers(c.customers, random);
    let body: TransferBody;
    if (kind === 'normal') {
      const roll = random();
      const amount = roll < 0.7 ? between(1n, 5_000n) : roll < 0.95 ? between(5_000n, 40_000n) : between(40_000n, 150_000n);
      body = transferBody(from, to, amount, currency, 'drill normal');
    } else if (kind === 'overdraw') {
      body = transferBody(from, to, overdrawMinor, currency, 'drill overdraw');
    } else if (kind === 'frozen') {
      body = random() < 0.5 ? transferBody(c.frozen, to, between(1n, 1_000n), currency, 'drill from frozen') : transferBody(from, c.frozen, between(1n, 1_000n), currency, 'drill to frozen');
    } else {
      // The first approval sits exactly on the threshold, the edge where approval starts.
      const amount = approvalsSeen++ === 0 ? threshold : between(threshold, approvalAmountMax(threshold));
      body = transferBody(accounts.treasury, accounts.payee, amount, 'USD', `drill ${kind}`);
    }
    body.metadata = { drill: options.tag, seq: String(seq), kind };
    const duplicate: Duplicate = seq % DUPLICATE_EVERY !== DUPLICATE_EVERY - 1 ? 'none' : (seq / DUPLICATE_EVERY) % 2 < 1 ? 'concurrent' : 'later';
    return { seq, kind, key: `drill-${options.tag}-${seq}`, body, duplicate };
  });
}

function twoCustomers(customers: string[], random: () => number): [string, string] {
  const i = Math.floor(random() * customers.length);
  const j = (i + 1 + Math.floor(random() * (customers.length - 1))) % customers.length;
  return [required(customers[i], `customer ${i}`), required(customers[j], `customer ${j}`)];
}

// ---------------------------------------------------------------- run

export interface LoadOptions {
  client: RetryingClient;
  /** Transfers started per second, at most. */
  ratePerSecond: number;
  concurrency: number;
  /**
   * Backpressure: no new transfer starts while this many of the load's
   * transfers are pending, so a slow machine queues a bounded backlog and the
   * recovery time measures the fault, not the queue.
   */
  pendingMax: number;
  /** How many of these transfers are pending (read from the transfers table). */
  countPending(ids: string[]): Promise<number>;
}

const PENDING_POLL_MS = 500;
/** Backpressure never holds one transfer back longer than this. */
const BACKPRESSURE_WAIT_MS_MAX = 60_000;

export interface LoadProgress {
  /** Planned transfers whose first request has been sent. */
  started: number;
  /** Planned transfers with an answer naming their transfer. */
  submitted: number;
  /** Requests sent, duplicates included, retries not. */
  requests: number;
  duplicatesSent: number;
}

export interface LoadRun {
  progress: LoadProgress;
  /** transfer id per planned seq, once answered. */
  ids: Map<number, string>;
  violations: string[];
  /** True once every planned transfer has had its requests answered (or given up). */
  finished(): boolean;
  /** Starts no further transfer (those in flight finish). */
  stop(): void;
  done: Promise<void>;
  /** Resolves once `submitted` reaches n (or the load ends first). */
  whenSubmitted(n: number): Promise<void>;
}

export function startLoad(plan: PlannedTransfer[], options: LoadOptions): LoadRun {
  const progress: LoadProgress = { started: 0, submitted: 0, requests: 0, duplicatesSent: 0 };
  const ids = new Map<number, string>();
  const violations: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const notify = () => {
    const due = waiters.filter((waiter) => progress.submitted >= waiter.n);
    waiters.splice(0, waiters.length, ...waiters.filter((waiter) => !due.includes(waiter)));
    for (const waiter of due) waiter.resolve();
  };

  const send = async (p: PlannedTransfer): Promise<string | null> => {
    progress.requests += 1;
    try {
      const res = await options.client('POST', '/v1/transfers', p.body, { 'Idempotency-Key': p.key });
      if (res.status === 201 || res.status === 200) return res.body.id as string;
      violations.push(`transfer #${p.seq} (${p.kind}, key ${p.key}) was answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    } catch (error) {
      violations.push(`transfer #${p.seq} (${p.kind}, key ${p.key}) got no usable answer: ${(error as Error).message}`);
    }
    return null;
  };

  const submit = async (p: PlannedTransfer) => {
    progress.started += 1;
    let answers: Array<string | null>;
    if (p.duplicate === 'concurrent') {
      progress.duplicatesSent += 1;
      answers = await Promise.all([send(p), send(p)]);
    } else {
      answers = [await send(p)];
      if (p.duplicate === 'later') {
        progress.duplicatesSent += 1;
        await sleep(Math.random() * 1_000);
        answers.push(await send(p));
      }
    }
    const named = [...new Set(answers.filter((a): a is string => a !== null))];
    if (named.length > 1) violations.push(`idempotency: key ${p.key} (transfer #${p.seq}) created transfers ${named.join(' and ')}`);
    const [id] = named;
    if (id !== undefined) {
      ids.set(p.seq, id);
      progress.submitted += 1;
      notify();
    }
  };

  const queue = [...plan];
  let stopped = false;
  let finished = false;
  let pending = 0;
  const pendingPoller = (async () => {
    while (!finished && !stopped) {
      // Kept at its last value while the database is unreachable.
      pending = await options.countPending([...ids.values()]).catch(() => pending);
      await sleep(PENDING_POLL_MS);
    }
  })();
  const backpressure = async () => {
    const until = Date.now() + BACKPRESSURE_WAIT_MS_MAX;
    while (pending >= options.pendingMax && !stopped && Date.now() < until) await sleep(PENDING_POLL_MS / 2);
  };
  const intervalMs = 1000 / options.ratePerSecond;
  let nextStartAt = Date.now();
  const worker = async () => {
    for (let p = queue.shift(); p && !stopped; p = queue.shift()) {
      const waitMs = nextStartAt - Date.now();
      nextStartAt = Math.max(nextStartAt, Date.now()) + intervalMs;
      if (waitMs > 0) await sleep(waitMs);
      await backpressure();
      await submit(p);
    }
  };
  // Waiters are released when the load ends too, even if fewer transfers were answered than they wait for.
  const done = Promise.all(Array.from({ length: options.concurrency }, worker)).then(async () => {
    finished = true;
    for (const w of waiters.splice(0)) w.resolve();
    await pendingPoller;
  });

  const whenSubmitted = (n: number) =>
    new Promise<void>((resolve) => {
      waiters.push({ n, resolve });
      notify();
    });
  const stop = () => {
    stopped = true;
  };
  return { progress, ids, violations, finished: () => finished, stop, done, whenSubmitted };
}

// ---------------------------------------------------------------- decider

export interface Decider {
  /** Decisions the gateway accepted, by kind. */
  accepted: { approve: number; reject: number };
  /** Resolves when every transfer planned for a decision has had it accepted, or the deadline passed. */
  done: Promise<void>;
  /** Planned decisions still not accepted. */
  outstanding(): number[];
  stop(): void;
}

/**
 * Approves or rejects, as planned, each approval transfer once it is
 * awaiting_approval. Reads the statuses from the transfers table (retrying
 * through outages), sends decisions through the gateway (a 409 means not yet
 * or no longer awaiting: looked at again on the next pass).
 */
export function startDecider(plan: PlannedTransfer[], load: LoadRun, transfers: Pool, client: RetryingClient, deadlineMs: number): Decider {
  const toDecide = new Map(plan.filter((p) => p.kind === 'approve' || p.kind === 'reject').map((p) => [p.seq, p.kind as 'approve' | 'reject']));
  const accepted = { approve: 0, reject: 0 };
  const deadline = Date.now() + deadlineMs;
  let stopped = false;

  const pass = async () => {
    const waiting = [...toDecide.keys()].filter((seq) => load.ids.has(seq));
    if (waiting.length === 0) return;
    const { rows } = await transfers.query(`SELECT id::text FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'awaiting_approval'`, [
      waiting.map((seq) => load.ids.get(seq)),
    ]);
    const awaiting = new Set(rows.map((r) => r.id as string));
    for (const seq of waiting) {
      const id = load.ids.get(seq)!;
      if (!awaiting.has(id)) continue;
      const decision = toDecide.get(seq)!;
      const res = await client('POST', `/v1/transfers/${id}/${decision}`);
      if (res.status === 200) {
        accepted[decision] += 1;
        toDecide.delete(seq);
      }
    }
  };

  const done = (async () => {
    while (toDecide.size > 0 && Date.now() < deadline && !stopped) {
      await pass().catch(() => undefined);
      await sleep(300);
    }
  })();
  const stop = () => {
    stopped = true;
  };
  return { accepted, done, outstanding: () => [...toDecide.keys()], stop };
}
