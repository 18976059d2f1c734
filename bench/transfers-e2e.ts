/**
 * End-to-end transfer benchmark: a script, not a test. It measures what the
 * throughput targets name (closed-loop rate and its ratio to the ceiling, CPU per
 * transfer, open-loop latency, outbox age, projection lag), in one run of about 5 minutes
 * (at most BENCH_MAX_RUN_S, 10 minutes, when the system cannot keep up and
 * its drains take long), against the running
 * infrastructure (PostgreSQL, Kafka, the Temporal dev server, Prometheus, the
 * trace sink: `deploy/stack up --infra`, or a full stack whose application
 * processes are stopped, since the bench runs its own on their ports):
 *
 *   deploy/stack up --infra && npx tsx bench/transfers-e2e.ts
 *   BENCH_APP_ROOT=/tmp/before npx tsx bench/transfers-e2e.ts   # another checkout's app code
 *   npx tsx bench/transfers-e2e-compare.ts bench/results/transfers-e2e-{before,current}.json
 *
 * 1. The ceiling (bench/e2e/ceiling.ts): a bare workflow of BENCH_CEILING_STEPS
 *    no-op local activities, BENCH_CLIENTS in flight, its own worker process
 *    with the transfer worker's settings (workers/tuning.ts; WORKER_TUNING
 *    reaches both workers), against the same Temporal server.
 * 2. The whole stack: it starts accounts, ledger, read model, worker and
 *    gateway from BENCH_APP_ROOT (default: this checkout) on the stack's ports
 *    (bench/e2e/app-stack.ts), tracing to its own span collector
 *    (bench/otlp-sink.ts), opens and funds BENCH_ACCOUNTS accounts.
 * 3. Closed loop: BENCH_CLIENTS clients POST /v1/transfers?wait=true back to
 *    back: transfers/s posted, / the ceiling, p50/p95/p99.
 * 4. Open loop at each of BENCH_OPEN_RATES: POST -> posted p50/p95/p99,
 *    outbox age p99 and projection lag p99 (the services' histograms).
 * 5. Per scenario: CPU of every process per transfer (bench/e2e/stack-cpu.ts),
 *    spans per transfer and dropped spans, where the Temporal time goes.
 * 6. With BENCH_UNTRACED=1, the closed loop again with every app process
 *    restarted with OTEL_SDK_DISABLED=true.
 *
 * A summary against the done criteria ends the report; the figures go to
 * bench/results/transfers-e2e-<BENCH_LABEL>.json (label: "current", or the
 * app checkout's folder name). Everything is bounded: run time, backlog,
 * drain wait, request deadlines; only loopback is addressed.
 *
 * Knobs (environment): BENCH_CLIENTS (32), BENCH_WARMUP_S (10, each scenario),
 * BENCH_DURATION_S (30, each scenario), BENCH_OPEN_RATES ("10,25"),
 * BENCH_CEILING_STEPS (2), BENCH_CEILING_S (= BENCH_DURATION_S),
 * WORKER_TUNING (JSON laid over the worker settings, both workers),
 * BENCH_UNTRACED (0), BENCH_ACCOUNTS (40), BENCH_MAX_BACKLOG (1500),
 * BENCH_DRAIN_TIMEOUT_S (120), BENCH_MAX_RUN_S (600: drains are cut to the
 * time left, scenarios that no longer fit are skipped and listed),
 * BENCH_APP_ROOT, BENCH_LABEL; scale-out as deploy/stack's: WORKER_INSTANCES
 * (worker processes), ACCOUNTS_INSTANCES, LEDGER_INSTANCES, READ_MODEL_INSTANCES
 * (copies behind one port), all 1 by default; ports: the
 * stack's (deploy/defaults.env and its variables) for the app processes,
 * BENCH_*_PORT to move one, BENCH_OTLP_SINK_PORT (14318),
 * BENCH_CEILING_WORKER_PORT (19466), BENCH_CEILING_WORKER_TEMPORAL_METRICS_PORT
 * (19467), BENCH_TEMPORAL_METRICS_PORT (found when 0); BENCH_OTLP_ENDPOINT
 * sends the spans elsewhere instead of the bench's collector (no span counts).
 */
import path from 'node:path';
import { startApps, stopApps } from './e2e/app-stack';
import type { ProbeContext } from './e2e/probe';
import { report, type Results } from './e2e/report';
import { runClosedLoop, runOpenLoop } from './e2e/scenarios';
import { checkSchedule } from './e2e/schedule';
import { closeSession, openSession, startRun, writeResults } from './e2e/session';
import { remainingS, run, settings } from './e2e/settings';
import { settle, type Harness } from './e2e/transfers';
import { fixed, ROOT_DIR, ServiceGroup, stopOnSignals } from './support';

const RESULTS_FILE = path.join(ROOT_DIR, 'bench', 'results', `transfers-e2e-${settings.label}.json`);
/** A scenario starts only if this much of the run is left beyond its warm-up and measured part (settle, drain, quiet). */
const SCENARIO_MARGIN_S = 30;

const services = new ServiceGroup('transfers-e2e');
stopOnSignals(services, () => {
  run.stopping = true;
});

/** The open loops' backlog limit: what the closed loop's rate drains in half the drain timeout. */
function backlogLimitFrom(transfersPerS: number): number {
  const rate = Number.isFinite(transfersPerS) && transfersPerS > 0 ? transfersPerS : 1;
  return Math.round(Math.min(settings.maxBacklog, Math.max(20, (rate * settings.drainTimeoutS) / 2)));
}

/** False, and the scenario is listed as skipped, when what is left of BENCH_MAX_RUN_S would not cover its load and a short drain. */
function fits(label: string, results: Results): boolean {
  if (run.stopping) return false;
  if (remainingS() >= settings.warmupS + settings.durationS + SCENARIO_MARGIN_S) return true;
  results.skipped.push(label);
  console.warn(`  ${label}: skipped, ${Math.round(remainingS())} s left of BENCH_MAX_RUN_S=${settings.maxRunS}`);
  return false;
}

async function measure(h: Harness, ctx: ProbeContext, results: Results, scheduleQueue: string | null): Promise<void> {
  if (!fits('closed traced', results)) return;
  const closed = await runClosedLoop(h, ctx, 'closed traced', true);
  results.closedLoops.push(closed);
  for (const rate of settings.openRates) {
    await settle(h);
    const label = `open ${fixed(rate, 0)}/s`;
    if (fits(label, results)) results.openLoops.push(await runOpenLoop(h, ctx, label, true, rate, backlogLimitFrom(closed.transfersPerS)));
  }
  if (!settings.untraced || !fits('closed untraced', results)) return;
  await settle(h);
  await stopApps(services);
  await startApps(services, false);
  await checkSchedule(h.temporal, scheduleQueue);
  results.closedLoops.push(await runClosedLoop(h, ctx, 'closed untraced', false));
}

async function main(): Promise<void> {
  const session = await openSession(services, 'transfers-e2e-watch');
  const results: Results = { host: session.host, ceiling: null, closedLoops: [], openLoops: [], skipped: [] };
  try {
    const started = await startRun(services, session);
    if (!started) return;
    results.ceiling = started.ceiling;
    await measure(started.h, session.ctx, results, session.scheduleQueue);
    const leftovers = await settle(started.h);
    report(results, writeResults(RESULTS_FILE, session.host, results));
    if (leftovers.pending > 0 || (leftovers.running ?? 0) > 0) {
      console.warn(
        `\nWARNING: ${leftovers.pending} transfers of this run are still pending and ${leftovers.running} workflows running on task queue ` +
          `${settings.taskQueue}, which nothing polls once this script ends (raise BENCH_DRAIN_TIMEOUT_S).`,
      );
    }
  } finally {
    await closeSession(services, session);
  }
}

main().catch(async (error) => {
  console.error('benchmark failed:', error);
  await services.stopAll();
  process.exit(1);
});
