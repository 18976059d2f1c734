/**
 * The transfers side of the bench: the public API calls it makes (open and
 * fund accounts, POST a transfer), and what it reads from the transfers
 * table and from Temporal to know when a scenario's work is done.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client as TemporalClient } from '@temporalio/client';
import type { Client } from 'pg';
import type { Config } from '../../lib/config';
import { firstOf } from '../../lib/assert';
import { failureOf, randomIndex, randomPairOf, request } from '../support';
import { drainLimitS, run, settings } from './settings';

const CURRENCY = 'USD';
const AMOUNT_MINOR_MAX = 100;
const POLL_MS = 250;
/** Above the gateway's own ?wait=true limit (10 s), so the gateway, not the client, ends a long wait. */
const WAIT_REQUEST_TIMEOUT_MS = 15_000;
/** A POST without ?wait waits for the workflow start; a slow Temporal is measured, not cut short. */
const POST_TIMEOUT_MS = 30_000;
const SETTLE_MS = 2_000;

export interface Harness {
  config: Config;
  watch: Client;
  temporal: TemporalClient;
  runId: string;
  book: Book;
}

export interface Book {
  fundingId: string;
  ids: string[];
}

export interface TransferResource {
  id: string;
  status: string;
}

async function createAccount(code: string, creditLimit?: string): Promise<string> {
  const answer = await request(settings.ports.gateway, 'POST', '/v1/accounts', { code, name: `benchmark ${code}`, currency: CURRENCY, creditLimit });
  if (answer.status !== 201) throw failureOf(answer);
  return (JSON.parse(answer.body) as { id: string }).id;
}

/** POST /v1/transfers; the transfer as the gateway answered it (2xx), or throws. */
export async function postTransfer(fromAccountId: string, toAccountId: string, amountMinor: bigint, key: string, wait: boolean): Promise<TransferResource> {
  const body = transferBody(fromAccountId, toAccountId, amountMinor);
  const answer = await request(settings.ports.gateway, 'POST', `/v1/transfers${wait ? '?wait=true' : ''}`, body, {
    headers: { 'Idempotency-Key': key },
    timeoutMs: wait ? WAIT_REQUEST_TIMEOUT_MS : POST_TIMEOUT_MS,
  });
  if (answer.status < 200 || answer.status > 202) throw failureOf(answer);
  return JSON.parse(answer.body) as TransferResource;
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function inParallel<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  // One iterator shared by the lanes: each takes the next item not yet taken.
  const queue = items.entries();
  const lane = async () => {
    for (const [index, item] of queue) results[index] = await work(item, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** The funding account and the accounts, each funded with one transfer just under the approval threshold. */
export async function openBook(h: Omit<Harness, 'book'>): Promise<Book> {
  const fundingMinor = h.config.approvalThresholdMinor - 1n;
  if (fundingMinor < 10_000n) throw new Error(`APPROVAL_THRESHOLD_MINOR ${h.config.approvalThresholdMinor} leaves no room to fund the accounts`);
  const fundingId = await createAccount(`bench-e2e-${h.runId}-funding`, 'unlimited');
  const ids = await inParallel(Array.from({ length: settings.accountCount }, (_, i) => i), 8, (i) => createAccount(`bench-e2e-${h.runId}-${i}`));
  const funding = await inParallel(ids, 8, (id, i) => postTransfer(fundingId, id, fundingMinor, `bench-e2e-${h.runId}-fund-${i}`, true));
  const drained = await waitTerminal(h.watch, funding.map((t) => t.id), drainLimitS());
  const notPosted = drained.rows.filter((r) => r.status !== 'posted');
  if (notPosted.length > 0 || drained.rows.length !== ids.length) {
    throw new Error(`funding: ${notPosted.length} of ${ids.length} transfers not posted: ${JSON.stringify(notPosted.slice(0, 3))}`);
  }
  return { fundingId, ids };
}


/** A random ordered pair of distinct accounts and an amount of 1..100 minor units (far under the approval threshold). */
export function randomTransfer(book: Book): [string, string, bigint] {
  const [from, to] = randomPairOf(book.ids);
  return [from, to, BigInt(1 + randomIndex(AMOUNT_MINOR_MAX))];
}

/** A random transfer as the public API takes it (POST /v1/transfers' body, a transfer batch's item). */
export function transferBody(fromAccountId: string, toAccountId: string, amountMinor: bigint) {
  return { fromAccountId, toAccountId, amount: amountMinor.toString(), currency: CURRENCY, description: 'benchmark' };
}

// ------------------------------------------------------------------ the transfers table

export interface TransferRow {
  id: string;
  status: string;
  failure_code: string | null;
  /** Epoch milliseconds, microseconds as decimals. */
  created_ms: number;
  updated_ms: number;
}

async function transferRows(db: Client, ids: string[]): Promise<TransferRow[]> {
  const { rows } = await db.query<TransferRow>(
    `SELECT id, status, failure_code,
            extract(epoch FROM created_at)::float8 * 1000 AS created_ms,
            extract(epoch FROM updated_at)::float8 * 1000 AS updated_ms
       FROM transfers WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

async function terminalCount(db: Client, ids: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status <> 'pending'`, [ids]);
  return firstOf(rows, 'the count').n;
}

/**
 * Transfers from the book's accounts created since `sinceMs` (epoch ms) that
 * are still pending: the saga backlog. Cheap: the status index holds few
 * pending rows.
 */
export async function pendingCount(db: Client, book: Book, sinceMs: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM transfers
      WHERE status = 'pending' AND created_at >= to_timestamp($1::float8 / 1000) AND from_account_id = ANY($2::uuid[])`,
    [sinceMs, book.ids],
  );
  return firstOf(rows, 'the count').n;
}

export interface Drained {
  rows: TransferRow[];
  waitS: number;
  complete: boolean;
}

/** Waits until every transfer of `ids` has left `pending`, or the timeout; the rows as they then stand. */
export async function waitTerminal(db: Client, ids: string[], timeoutS: number): Promise<Drained> {
  const startMs = performance.now();
  let complete = ids.length === 0;
  while (!complete && !run.stopping && performance.now() - startMs < timeoutS * 1000) {
    complete = (await terminalCount(db, ids)) === ids.length;
    if (!complete) await sleep(POLL_MS);
  }
  return { rows: await transferRows(db, ids), waitS: (performance.now() - startMs) / 1000, complete };
}

/**
 * Workflows still running on the bench's task queue (Temporal's visibility,
 * a moment behind). A transfer may be terminal in the table a workflow task
 * before its workflow completes; null when the count cannot be had.
 */
async function runningWorkflows(h: Harness): Promise<number | null> {
  try {
    return (await h.temporal.workflow.count(`TaskQueue="${settings.taskQueue}" AND ExecutionStatus="Running"`)).count;
  } catch {
    return null;
  }
}

/**
 * Between scenarios, so that none starts with the previous one's work: no
 * transfer of the book pending and no workflow of the task queue running
 * (bounded by the drain timeout), then a short pause.
 */
export async function settle(h: Harness): Promise<{ pending: number; running: number | null }> {
  const deadlineMs = performance.now() + drainLimitS() * 1000;
  let pending = await pendingCount(h.watch, h.book, 0);
  let running = await runningWorkflows(h);
  while ((pending > 0 || (running ?? 0) > 0) && !run.stopping && performance.now() < deadlineMs) {
    await sleep(POLL_MS);
    pending = await pendingCount(h.watch, h.book, 0);
    running = await runningWorkflows(h);
  }
  if (pending > 0 || (running ?? 0) > 0) console.warn(`  (still ${pending} transfers pending and ${running} workflows running: the next scenario shares the worker with them)`);
  await sleep(SETTLE_MS);
  return { pending, running };
}

/**
 * The backlog of the scenario started at `sinceMs` (epoch ms): its pending
 * transfers, polled every POLL_MS until stopped. Requests still in flight may
 * not have their row yet; the callers add them.
 */
export class BacklogWatch {
  value = 0;
  max = 0;
  /** Transfers accepted since the last poll, which it may not count yet. */
  acceptedSincePoll = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(db: Client, book: Book, sinceMs: number) {
    this.loop = (async () => {
      while (this.running && !run.stopping) {
        const value = await pendingCount(db, book, sinceMs);
        this.value = value;
        this.acceptedSincePoll = 0;
        this.max = Math.max(this.max, value);
        await sleep(POLL_MS);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
