/**
 * Transfer batches through the gateway's public API: `POST
 * /v1/transfer-batches?wait=true` (the gateway answers once the batch is
 * final, or after its 10 s cap), and a measured phase of them.
 *
 * A phase: `clients` clients post `batches` batches of `size` random
 * transfers among the book's accounts back to back (each its next batch
 * when the previous one is answered). Transfers/s = items posted / the time
 * from the first send to the last batch final (its answer; the batch row's
 * updated_at for one answered still pending). CPU of every process from
 * just before the first send until the phase's work is all done: every batch
 * final, then the outbox relayed and the read model caught up (quiet.ts),
 * so what the read model does after the answers is counted; divided by the
 * items posted. `catchUpS` is how long after the last batch final that took.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { describeFailure, failureOf, fixed, loadAverage1m, percentiles, request, type Percentiles } from '../support';
import { cpuProbe, probe, type ProbeContext } from './probe';
import { sumOf } from './prometheus';
import { probeWhenQuiet } from './quiet';
import type { CpuMs } from './scenarios';
import { drainLimitS, run, settings } from './settings';
import { cpuMsPer, type CpuInterval } from './stack-cpu';
import { randomTransfer, transferBody, type Harness } from './transfers';

/** Above the gateway's own ?wait=true limit (10 s), so the gateway, not the client, ends a long wait. */
const WAIT_REQUEST_TIMEOUT_MS = 15_000;
const POLL_MS = 250;

export type BatchMode = 'atomic' | 'independent';

/** The fields of the gateway's batch resource the bench reads. */
interface BatchResource {
  id: string;
  status: 'pending' | 'completed' | 'failed';
  itemCount: number;
  counts: { posted: number; failed: number };
  failureCode: string | null;
}

export async function postBatch(h: Harness, mode: BatchMode, size: number, key: string): Promise<BatchResource> {
  const transfers = Array.from({ length: size }, () => transferBody(...randomTransfer(h.book)));
  const answer = await request(settings.ports.gateway, 'POST', '/v1/transfer-batches?wait=true', { mode, transfers }, {
    headers: { 'Idempotency-Key': key },
    timeoutMs: WAIT_REQUEST_TIMEOUT_MS,
  });
  if (answer.status !== 201 && answer.status !== 200) throw failureOf(answer);
  return JSON.parse(answer.body) as BatchResource;
}

export interface PhasePlan {
  label: string;
  mode: BatchMode;
  /** Items per batch. */
  size: number;
  batches: number;
  clients: number;
  /** BATCH_CHUNK_SIZE of the gateway that started the batches' workflows (said in the report; it is not sent). */
  chunkSize: number;
}

export interface BatchPhase extends PhasePlan {
  items: number;
  posted: number;
  failed: number;
  failureCodes: Record<string, number>;
  /** Batches answered still pending (the gateway's wait ran out), and those still pending when the drain gave up. */
  answeredPending: number;
  neverFinal: number;
  postFailures: Record<string, number>;
  /** First send to last batch final, and the items posted over it per second. */
  sendS: number;
  transfersPerS: number;
  /** Each batch's POST -> answer. */
  latencyMs: Percentiles;
  /** The read model's consumer lag (events) when the last batch was final, and the seconds from then until all was quiet. */
  lagAtEnd: number;
  catchUpS: number;
  quiet: boolean;
  cpu: CpuInterval | null;
  cpuMsPerItem: CpuMs | null;
  load1: number;
}

interface BatchRow {
  id: string;
  status: string;
  posted_count: number;
  failed_count: number;
  failure_code: string | null;
  updated_ms: number;
}

async function batchRows(db: Client, ids: string[]): Promise<BatchRow[]> {
  const { rows } = await db.query<BatchRow>(
    `SELECT id, status, posted_count, failed_count, failure_code, extract(epoch FROM updated_at)::float8 * 1000 AS updated_ms
       FROM transfer_batches WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

/** The rows of the batches `ids` once none is pending, or as they stand when the drain limit passed. */
async function waitFinal(db: Client, ids: string[]): Promise<BatchRow[]> {
  const deadlineMs = performance.now() + drainLimitS() * 1000;
  let rows = await batchRows(db, ids);
  while (rows.some((r) => r.status === 'pending') && !run.stopping && performance.now() < deadlineMs) {
    await sleep(POLL_MS);
    rows = await batchRows(db, ids);
  }
  return rows;
}

/** The read model's consumer lag now (its /metrics, read from Kafka at scrape time). */
async function consumerLag(ctx: ProbeContext): Promise<number> {
  const now = await probe(ctx);
  return now.apps.reduce((sum, samples) => sum + sumOf(samples, 'consumer_lag'), 0);
}

export async function runBatchPhase(h: Harness, ctx: ProbeContext, plan: PhasePlan): Promise<BatchPhase> {
  const { label, mode, size, batches, clients } = plan;
  process.stdout.write(`  ${label}: ${batches} ${mode} batches of ${size}, ${clients} clients, chunk ${plan.chunkSize} ... `);
  const load1 = loadAverage1m();
  const start = cpuProbe(ctx);
  const startWallMs = Date.now();
  const ids: string[] = [];
  const latenciesMs: number[] = [];
  const postFailures: Record<string, number> = {};
  let answeredPending = 0;
  let lastAnswerWallMs = startWallMs;
  let next = 0;
  const client = async () => {
    while (next < batches && !run.stopping) {
      const seq = next++;
      const sentMs = performance.now();
      try {
        const batch = await postBatch(h, mode, size, `bench-batch-${h.runId}-${label}-${seq}`);
        ids.push(batch.id);
        latenciesMs.push(performance.now() - sentMs);
        if (batch.status === 'pending') answeredPending++;
      } catch (error) {
        const kind = describeFailure(error);
        postFailures[kind] = (postFailures[kind] ?? 0) + 1;
      }
      lastAnswerWallMs = Date.now();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const rows = await waitFinal(h.watch, ids);
  const finalWallMs = Math.max(lastAnswerWallMs, ...rows.map((r) => r.updated_ms));
  const lagAtEnd = await consumerLag(ctx);
  const quiet = await probeWhenQuiet(ctx, drainLimitS() * 1000);
  const catchUpS = (Date.now() - finalWallMs) / 1000;
  const cpu = ctx.cpu.between(start.cpu, quiet.cpu);
  const posted = rows.reduce((sum, r) => sum + r.posted_count, 0);
  const failureCodes: Record<string, number> = {};
  for (const row of rows.filter((r) => r.failed_count > 0)) failureCodes[row.failure_code ?? '?'] = (failureCodes[row.failure_code ?? '?'] ?? 0) + row.failed_count;
  const sendS = (finalWallMs - startWallMs) / 1000;
  const result: BatchPhase = {
    ...plan,
    items: ids.length * size,
    posted,
    failed: rows.reduce((sum, r) => sum + r.failed_count, 0),
    failureCodes,
    answeredPending,
    neverFinal: rows.filter((r) => r.status === 'pending').length,
    postFailures,
    sendS,
    transfersPerS: sendS > 0 ? posted / sendS : Number.NaN,
    latencyMs: percentiles(latenciesMs),
    lagAtEnd,
    catchUpS,
    quiet: quiet.quiet,
    cpu,
    cpuMsPerItem: cpu && posted > 0 ? cpuMsPer(cpu, posted) : null,
    load1,
  };
  console.log(`${fixed(result.transfersPerS, 0)} transfers/s, ${fixed(result.cpuMsPerItem?.stack ?? Number.NaN, 2)} CPU ms per item, batch p50 ${fixed(result.latencyMs.p50, 0)} ms`);
  return result;
}

/** One batch of each size, not measured: the batch code paths of every process compiled and warm before the first phase. */
export async function warmUpBatches(h: Harness, ctx: ProbeContext, sizes: number[]): Promise<void> {
  for (const [i, size] of sizes.entries()) await postBatch(h, 'independent', size, `bench-batch-${h.runId}-warmup-${Date.now()}-${i}`);
  await probeWhenQuiet(ctx, drainLimitS() * 1000);
}
