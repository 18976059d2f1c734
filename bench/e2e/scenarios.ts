/**
 * The two load shapes, both through the gateway's public API with
 * `POST /v1/transfers?wait=true` (the gateway answers once the transfer is no
 * longer pending, or after its 10 s cap):
 *
 * - closed loop: `clients` clients, each sending its next transfer when the
 *   previous one is answered. Transfers/s = transfers of the scenario that
 *   became `posted` (updated_at) in the measured window / its length, so a
 *   transfer answered `pending` (the wait ran out) still counts when it posts;
 *   CPU over the same window per transfer posted in it.
 * - open loop: one send every 1/rate s, never waiting for the previous one.
 *   POST -> posted per transfer: the client's latency when the answer was
 *   `posted`; when the wait ran out first (answer `pending`), the moment the
 *   row became `posted` (updated_at) minus the send, so a slow transfer is
 *   never left out of the percentiles. Sending stops early when the backlog
 *   outgrows what the closed loop's rate drains in half the drain timeout
 *   ("overloaded after"); posted/s below sent/s says it fell behind before
 *   that. CPU over the measured sends per transfer posted meanwhile.
 *
 * Each scenario ends by waiting for its transfers to be terminal, then for
 * the outbox, the read model and the span exporters to catch up
 * (quiet.ts); outbox age, projection lag, steps and spans cover the whole
 * scenario (warm-up, measured part, drain) and are divided by all its
 * transfers. CPU covers the measured part only.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure, fixed, loadAverage1m, percentiles, type Percentiles } from '../support';
import { cpuProbe, flowBetween, probe, type Flow, type Probe, type ProbeContext } from './probe';
import { probeWhenQuiet } from './quiet';
import { drainLimitS, run, settings } from './settings';
import { cpuMsPer, type CpuInterval } from './stack-cpu';
import { BacklogWatch, postTransfer, randomTransfer, waitTerminal, type Harness, type TransferRow } from './transfers';

export type CpuMs = ReturnType<typeof cpuMsPer>;

export interface Outcome {
  /** Transfers the gateway accepted that the figures cover. */
  transfers: number;
  posted: number;
  failed: number;
  failureCodes: Record<string, number>;
  /** Still pending when the drain wait ended (0 unless it timed out). */
  pending: number;
  drainS: number;
  drainComplete: boolean;
  /** Outbox, read model and exporters caught up before the figures were read. */
  quiet: boolean;
}

export interface Scenario extends Outcome {
  kind: 'closed' | 'open';
  label: string;
  tracing: boolean;
  /** CPU over the measured window, and per transfer in it (none for an overloaded open loop). */
  cpu: CpuInterval | null;
  cpuMsPerTransfer: CpuMs | null;
  flow: Flow;
  postFailures: Record<string, number>;
  load1: number;
}

export interface ClosedLoopResult extends Scenario {
  kind: 'closed';
  clients: number;
  durationS: number;
  /** Transfers that became `posted` in the measured window (the table's updated_at), per second. */
  transfersPerS: number;
  /** Answers `posted` received in the measured window, per second. */
  answeredPostedPerS: number;
  /** Latency of the answers received in the window, whatever their status. */
  latencyMs: Percentiles;
  /** Answers in the window still `pending` (the gateway's wait ran out). */
  notSettled: number;
}

export interface OpenLoopResult extends Scenario {
  kind: 'open';
  ratePerS: number;
  durationS: number;
  /** Measured sends (after the warm-up), and their pace. */
  sent: number;
  sentPerS: number;
  /** Transfers of the scenario that became `posted` while the measured sends went out, per second: below sentPerS, the system fell behind. */
  postedPerS: number;
  /** Every send, warm-up included. */
  sentTotal: number;
  overloadedAfterS: number | null;
  backlogLimit: number;
  backlogMax: number;
  /** Sends that left more than one interval after their slot. */
  lateSends: number;
  /** POST -> posted of the measured transfers that were posted. */
  postedLatencyMs: Percentiles;
  /** Answered still pending (the gateway's 10 s wait ran out). */
  notSettled: number;
}

function outcomeOf(rows: TransferRow[], drainS: number, drainComplete: boolean, quiet: boolean): Outcome {
  const failureCodes: Record<string, number> = {};
  for (const row of rows.filter((r) => r.status === 'failed')) failureCodes[row.failure_code ?? '?'] = (failureCodes[row.failure_code ?? '?'] ?? 0) + 1;
  return {
    transfers: rows.length,
    posted: rows.filter((r) => r.status === 'posted').length,
    failed: rows.filter((r) => r.status === 'failed').length,
    failureCodes,
    pending: rows.filter((r) => r.status === 'pending').length,
    drainS,
    drainComplete,
    quiet,
  };
}

function countFailure(failures: Record<string, number>, error: unknown): void {
  const kind = describeFailure(error);
  failures[kind] = (failures[kind] ?? 0) + 1;
}

/** Terminal rows of `ids`, then the quiet probe; the scenario's outcome and flow from `before`. */
async function finish(h: Harness, ctx: ProbeContext, before: Probe, ids: string[]): Promise<{ rows: TransferRow[]; outcome: Outcome; flow: Flow }> {
  const drained = await waitTerminal(h.watch, ids, drainLimitS());
  const after = await probeWhenQuiet(ctx);
  const outcome = outcomeOf(drained.rows, drained.waitS, drained.complete, after.quiet);
  return { rows: drained.rows, outcome, flow: flowBetween(before, after, outcome.transfers - outcome.pending) };
}

export async function runClosedLoop(h: Harness, ctx: ProbeContext, label: string, tracing: boolean): Promise<ClosedLoopResult> {
  const { clients, warmupS, durationS } = settings;
  process.stdout.write(`  ${label}: ${clients} clients POST ?wait=true, ${warmupS}s warm-up + ${durationS}s ... `);
  const before = await probe(ctx);
  const startMs = performance.now();
  const warmupEndMs = startMs + warmupS * 1000;
  const endMs = warmupEndMs + durationS * 1000;
  const warmupEndWallMs = Date.now() + warmupS * 1000;
  const endWallMs = warmupEndWallMs + durationS * 1000;
  const ids: string[] = [];
  const latenciesMs: number[] = [];
  const postFailures: Record<string, number> = {};
  let answeredPosted = 0;
  let notSettled = 0;
  let seq = 0;
  const client = async () => {
    while (performance.now() < endMs && !run.stopping) {
      const sentMs = performance.now();
      try {
        const transfer = await postTransfer(...randomTransfer(h.book), `bench-e2e-${h.runId}-${label}-${seq++}`, true);
        ids.push(transfer.id);
        const answeredMs = performance.now();
        if (answeredMs < warmupEndMs || answeredMs > endMs) continue;
        latenciesMs.push(answeredMs - sentMs);
        if (transfer.status === 'posted') answeredPosted++;
        else if (transfer.status === 'pending') notSettled++;
      } catch (error) {
        if (performance.now() >= warmupEndMs) countFailure(postFailures, error);
      }
    }
  };
  const loops = Array.from({ length: clients }, client);
  await sleep(Math.max(0, warmupEndMs - performance.now()));
  const windowStart = cpuProbe(ctx);
  await sleep(Math.max(0, endMs - performance.now()));
  const windowEnd = cpuProbe(ctx);
  await Promise.all(loops);
  const { rows, outcome, flow } = await finish(h, ctx, before, ids);
  const posted = rows.filter((r) => r.status === 'posted' && r.updated_ms >= warmupEndWallMs && r.updated_ms < endWallMs).length;
  const cpu = ctx.cpu.between(windowStart.cpu, windowEnd.cpu);
  const result: ClosedLoopResult = {
    kind: 'closed',
    label,
    tracing,
    clients,
    durationS,
    transfersPerS: posted / durationS,
    answeredPostedPerS: answeredPosted / durationS,
    latencyMs: percentiles(latenciesMs),
    notSettled,
    postFailures,
    cpu,
    cpuMsPerTransfer: cpu && posted > 0 ? cpuMsPer(cpu, posted) : null,
    ...outcome,
    flow,
    load1: loadAverage1m(),
  };
  console.log(`${fixed(result.transfersPerS, 1)} transfers/s posted, p50/p95 ${fixed(result.latencyMs.p50, 0)}/${fixed(result.latencyMs.p95, 0)} ms`);
  return result;
}

/** The send loop of an open loop: what it sent and when, and whether the backlog stopped it. */
interface Sends {
  /** Measured sends: transfer id -> send time (epoch ms), and the client latency of those answered `posted`. */
  sentAtMs: Map<string, number>;
  clientMs: Map<string, number>;
  allIds: string[];
  sent: number;
  sentTotal: number;
  lateSends: number;
  notSettled: number;
  postFailures: Record<string, number>;
  overloadedAfterS: number | null;
  backlogMax: number;
  windowCpu: [Probe, Probe] | null;
  /** The measured sends' window in epoch ms, to find the transfers posted in it. */
  windowWallMs: [number, number] | null;
  measuredS: number;
}

async function sendAtRate(h: Harness, ctx: ProbeContext, label: string, ratePerS: number, backlogLimit: number, durationS: number): Promise<Sends> {
  const intervalMs = 1000 / ratePerS;
  const warmupCount = Math.round(settings.warmupS * ratePerS);
  const total = warmupCount + Math.round(durationS * ratePerS);
  const backlog = new BacklogWatch(h.watch, h.book, Date.now() - 1000);
  const s: Sends = { sentAtMs: new Map(), clientMs: new Map(), allIds: [], sent: 0, sentTotal: 0, lateSends: 0, notSettled: 0, postFailures: {}, overloadedAfterS: null, backlogMax: 0, windowCpu: null, windowWallMs: null, measuredS: 0 };
  const inFlight: Promise<void>[] = [];
  let answered = 0;
  let pendingAnswers = 0;
  const send = async (i: number) => {
    const sentWallMs = Date.now();
    const sentMs = performance.now();
    try {
      const transfer = await postTransfer(...randomTransfer(h.book), `bench-e2e-${h.runId}-${label}-${i}`, true);
      s.allIds.push(transfer.id);
      if (transfer.status === 'pending') pendingAnswers++;
      if (i < warmupCount) return;
      s.sentAtMs.set(transfer.id, sentWallMs);
      if (transfer.status === 'posted') s.clientMs.set(transfer.id, performance.now() - sentMs);
      else if (transfer.status === 'pending') s.notSettled++;
    } catch (error) {
      if (i >= warmupCount) countFailure(s.postFailures, error);
    } finally {
      answered++;
    }
  };
  const startMs = performance.now();
  let windowStart: Probe | null = null;
  let windowStartWallMs = 0;
  for (let i = 0; i < total && !run.stopping; i++) {
    const slotMs = startMs + i * intervalMs;
    const waitMs = slotMs - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    // Outstanding: the requests in flight (pending rows, or about to be) and the answered ones still pending.
    if (inFlight.length - answered + Math.min(pendingAnswers, backlog.value) >= backlogLimit) {
      s.overloadedAfterS = (performance.now() - startMs) / 1000;
      break;
    }
    if (i === warmupCount) {
      windowStart = cpuProbe(ctx);
      windowStartWallMs = Date.now();
    }
    if (i >= warmupCount) {
      s.sent++;
      if (performance.now() - slotMs > intervalMs) s.lateSends++;
    }
    inFlight.push(send(i));
  }
  const windowEnd = cpuProbe(ctx);
  s.windowCpu = windowStart ? [windowStart, windowEnd] : null;
  s.windowWallMs = windowStart ? [windowStartWallMs, Date.now()] : null;
  s.measuredS = windowStart ? (windowEnd.atMs - windowStart.atMs) / 1000 : 0;
  s.sentTotal = inFlight.length;
  await Promise.all(inFlight);
  await backlog.stop();
  s.backlogMax = backlog.max;
  return s;
}

/** POST -> posted of each measured posted transfer: the client's figure, or the row's updated_at when the answer came first. */
function postedLatencies(s: Sends, rows: TransferRow[]): number[] {
  return rows
    .filter((r) => r.status === 'posted' && s.sentAtMs.has(r.id))
    .map((r) => s.clientMs.get(r.id) ?? r.updated_ms - s.sentAtMs.get(r.id)!);
}

export async function runOpenLoop(h: Harness, ctx: ProbeContext, label: string, tracing: boolean, ratePerS: number, backlogLimit: number): Promise<OpenLoopResult> {
  const { warmupS, durationS } = settings;
  process.stdout.write(`  ${label}: ${fixed(ratePerS, 1)}/s open loop, ${warmupS}s warm-up + ${durationS}s ... `);
  // Outbox age, projection lag, steps and spans cover the whole scenario, warm-up included (its transfers are in the drain too).
  const before = await probe(ctx);
  const s = await sendAtRate(h, ctx, label, ratePerS, backlogLimit, durationS);
  const { rows, outcome, flow } = await finish(h, ctx, before, s.allIds);
  const measured = rows.filter((r) => s.sentAtMs.has(r.id));
  const cpu = s.windowCpu ? ctx.cpu.between(s.windowCpu[0].cpu, s.windowCpu[1].cpu) : null;
  const [fromMs, toMs] = s.windowWallMs ?? [0, 0];
  const postedInWindow = rows.filter((r) => r.status === 'posted' && r.updated_ms >= fromMs && r.updated_ms < toMs).length;
  const result: OpenLoopResult = {
    kind: 'open',
    label,
    tracing,
    ratePerS,
    durationS,
    sent: s.sent,
    sentPerS: s.measuredS > 0 ? s.sent / s.measuredS : 0,
    postedPerS: s.measuredS > 0 ? postedInWindow / s.measuredS : 0,
    sentTotal: s.sentTotal,
    overloadedAfterS: s.overloadedAfterS,
    backlogLimit,
    backlogMax: s.backlogMax,
    lateSends: s.lateSends,
    postedLatencyMs: percentiles(postedLatencies(s, measured)),
    notSettled: s.notSettled,
    postFailures: s.postFailures,
    cpu,
    // Over the measured sends (the system at this rate, not the drain), per transfer posted meanwhile: the cost of the work
    // done, also when the system falls behind the rate.
    cpuMsPerTransfer: cpu && postedInWindow > 0 ? cpuMsPer(cpu, postedInWindow) : null,
    ...outcome,
    // Posted and failed of the measured sends; `transfers` (the drain, the flow figures) counts the warm-up too.
    posted: measured.filter((r) => r.status === 'posted').length,
    failed: measured.filter((r) => r.status === 'failed').length,
    flow,
    load1: loadAverage1m(),
  };
  const overload = s.overloadedAfterS === null ? '' : `, overloaded after ${fixed(s.overloadedAfterS, 1)} s (backlog ${backlogLimit})`;
  console.log(`POST->posted p50/p95 ${fixed(result.postedLatencyMs.p50, 0)}/${fixed(result.postedLatencyMs.p95, 0)} ms${overload}`);
  return result;
}

