/**
 * Transfer batch benchmark: a script, not a test. One run measures, side by
 * side on the same infrastructure (`deploy/stack up --infra`, or a full
 * stack whose app processes are stopped: the bench runs its own, as
 * bench/transfers-e2e.ts does, with its machinery: bench/e2e/session.ts):
 *
 *   deploy/stack up --infra && npx tsx bench/transfer-batches.ts
 *
 * 1. The ceiling: the bare workflow of BENCH_CEILING_STEPS local activities
 *    (bench/e2e/ceiling.ts).
 * 2. Single transfers: the closed loop of bench/transfers-e2e.ts
 *    (BENCH_CLIENTS clients, POST /v1/transfers?wait=true, BENCH_WARMUP_S +
 *    BENCH_DURATION_S).
 * 3. Transfer batches, `independent`, of each size of BENCH_BATCHES
 *    ("size:batches,..."): BENCH_BATCH_CLIENTS clients POST
 *    /v1/transfer-batches?wait=true back to back (bench/e2e/batches.ts), the
 *    gateway's BATCH_CHUNK_SIZE as configured (default 250).
 * 4. One `atomic` batch of 1,000 at a time, BENCH_ATOMIC_BATCHES of them: the
 *    time of one ledger transaction of 1,000 items.
 * 5. The chunk size: for each of BENCH_CHUNK_SIZES the gateway is restarted
 *    with that BATCH_CHUNK_SIZE, then BENCH_CHUNK_BATCHES independent batches
 *    of 1,000 as in 3.
 *
 * Before 3, one batch of each size is posted unmeasured (warm code paths);
 * before each chunk size, one of 1,000. For each: transfers/s posted, CPU ms
 * per item of every process (until the read model has caught up), the ratio
 * to the single transfers' rate. Figures to
 * bench/results/transfer-batches-<BENCH_LABEL>.json.
 *
 * Knobs (environment), besides bench/transfers-e2e.ts's (BENCH_CLIENTS,
 * BENCH_WARMUP_S, BENCH_DURATION_S, BENCH_ACCOUNTS, BENCH_LABEL, ports):
 * BENCH_BATCH_CLIENTS (2), BENCH_BATCHES ("1:300,10:120,100:40,1000:12"),
 * BENCH_ATOMIC_BATCHES (2), BENCH_CHUNK_SIZES ("100,250,500,1000"; "none"
 * skips them), BENCH_CHUNK_BATCHES (12).
 */
import path from 'node:path';
import { restartApp } from './e2e/app-stack';
import { runBatchPhase, warmUpBatches, type BatchPhase, type PhasePlan } from './e2e/batches';
import type { CeilingResult } from './e2e/ceiling';
import { ceilingTable, closedTable, cpuGroupsTable, type Host } from './e2e/report';
import { runClosedLoop, type ClosedLoopResult } from './e2e/scenarios';
import { closeSession, openSession, startRun, writeResults } from './e2e/session';
import { run, settings } from './e2e/settings';
import { settle } from './e2e/transfers';
import { fixed, intFromEnv, ROOT_DIR, ServiceGroup, stopOnSignals, table } from './support';

/** The largest batch the API takes. */
const BATCH_MAX = 1000;
/** The goal: a 1,000-item independent batch run at this many times the single transfers' rate, at most this CPU per item, answered within the wait. */
const GOAL_RATIO = 10;
const GOAL_CPU_MS = 10;
const GOAL_ANSWER_MS = 10_000;

/** "1:400,10:120" -> [{ size: 1, batches: 400 }, ...]; sizes 1..1000, batches 1..10000. */
function batchPlanFromEnv(name: string, fallback: string): { size: number; batches: number }[] {
  const text = process.env[name] || fallback;
  return text.split(',').map((part) => {
    const [size, batches] = part.split(':').map((n) => Number(n.trim()));
    if (!Number.isInteger(size) || size! < 1 || size! > BATCH_MAX || !Number.isInteger(batches) || batches! < 1 || batches! > 10_000) {
      throw new Error(`${name} must be size:batches pairs, sizes 1..${BATCH_MAX}, batches 1..10000, got ${text}`);
    }
    return { size: size!, batches: batches! };
  });
}

/** "100,250" -> [100, 250]; "none" -> []. */
function chunkSizesFromEnv(name: string, fallback: number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  if (text.trim() === 'none') return [];
  const sizes = text.split(',').map((n) => Number(n.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > BATCH_MAX)) throw new Error(`${name} must be chunk sizes from 1 to ${BATCH_MAX}, got ${text}`);
  return sizes;
}

const batchSettings = {
  clients: intFromEnv('BENCH_BATCH_CLIENTS', 2, 1, 64),
  plan: batchPlanFromEnv('BENCH_BATCHES', '1:300,10:120,100:40,1000:12'),
  atomicBatches: intFromEnv('BENCH_ATOMIC_BATCHES', 2, 0, 100),
  chunkSizes: chunkSizesFromEnv('BENCH_CHUNK_SIZES', [100, 250, 500, 1000]),
  chunkBatches: intFromEnv('BENCH_CHUNK_BATCHES', 12, 1, 1000),
};

const RESULTS_FILE = path.join(ROOT_DIR, 'bench', 'results', `transfer-batches-${settings.label}.json`);

const services = new ServiceGroup('transfer-batches');
stopOnSignals(services, () => {
  run.stopping = true;
});

interface Results {
  host: Host;
  batchSettings: typeof batchSettings;
  ceiling: CeilingResult | null;
  single: ClosedLoopResult | null;
  sizes: BatchPhase[];
  atomic: BatchPhase | null;
  chunks: BatchPhase[];
}

const independent = (label: string, size: number, batches: number, chunkSize: number): PhasePlan => ({ label, mode: 'independent', size, batches, clients: batchSettings.clients, chunkSize });

async function measure(results: Results, h: Parameters<typeof runBatchPhase>[0], ctx: Parameters<typeof runBatchPhase>[1]): Promise<void> {
  const chunkSize = settings.config.BATCH_CHUNK_SIZE;
  results.single = await runClosedLoop(h, ctx, 'single transfers', true);
  await settle(h);
  await warmUpBatches(h, ctx, batchSettings.plan.map((p) => p.size));
  for (const { size, batches } of batchSettings.plan) {
    if (run.stopping) return;
    results.sizes.push(await runBatchPhase(h, ctx, independent(`independent x${size}`, size, batches, chunkSize)));
  }
  if (batchSettings.atomicBatches > 0 && !run.stopping) {
    results.atomic = await runBatchPhase(h, ctx, { label: `atomic x${BATCH_MAX}`, mode: 'atomic', size: BATCH_MAX, batches: batchSettings.atomicBatches, clients: 1, chunkSize });
  }
  for (const chunk of batchSettings.chunkSizes) {
    if (run.stopping) return;
    await restartApp(services, 'gateway', true, { BATCH_CHUNK_SIZE: String(chunk) });
    await warmUpBatches(h, ctx, [BATCH_MAX]);
    results.chunks.push(await runBatchPhase(h, ctx, independent(`chunk ${chunk}`, BATCH_MAX, batchSettings.chunkBatches, chunk)));
  }
}

// ------------------------------------------------------------------ report

const count = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

function batchTable(phases: BatchPhase[], single: ClosedLoopResult | null): string {
  return table(
    ['batches', 'items', 'chunk', 'clients', 'batches', 'posted', 'failed', 'errors', 'answered pending', 'transfers/s', '÷ single', 'batch p50 / p95 / max ms', 'lag at end', 'catch-up s', 'CPU ms/item', 'cores machine / other', 'load 1m'],
    phases.map((p) => [
      p.label,
      String(p.size),
      p.mode === 'atomic' ? 'all' : String(p.chunkSize),
      String(p.clients),
      String(p.batches),
      String(p.posted),
      String(p.failed),
      String(count(p.postFailures)),
      String(p.answeredPending),
      fixed(p.transfersPerS, 1),
      single ? fixed(p.transfersPerS / single.transfersPerS, 1) : '-',
      `${fixed(p.latencyMs.p50, 0)} / ${fixed(p.latencyMs.p95, 0)} / ${fixed(p.latencyMs.max, 0)}`,
      String(p.lagAtEnd),
      `${fixed(p.catchUpS, 1)}${p.quiet ? '' : ' (not quiet)'}`,
      fixed(p.cpuMsPerItem?.stack ?? Number.NaN, 2),
      p.cpu ? `${fixed(p.cpu.cores.machine, 2)} / ${fixed(p.cpu.cores.other, 2)}` : '-',
      fixed(p.load1, 2),
    ]),
  );
}

function goalLines(results: Results): string[] {
  const thousand = results.sizes.find((p) => p.size === BATCH_MAX);
  const single = results.single;
  if (!thousand || !single) return ['goal: not measured (no 1,000-item phase or no single-transfer loop)'];
  const ratio = thousand.transfersPerS / single.transfersPerS;
  const cpu = thousand.cpuMsPerItem?.stack ?? Number.NaN;
  const answered = Math.max(thousand.latencyMs.max, results.atomic?.latencyMs.max ?? 0);
  const verdict = (met: boolean) => (met ? 'yes' : 'NO');
  return [
    `goal, ${BATCH_MAX}-item independent batches (chunk ${thousand.chunkSize}):`,
    `  transfers/s >= ${GOAL_RATIO} x single transfers: ${fixed(thousand.transfersPerS, 1)} / ${fixed(single.transfersPerS, 1)} = ${fixed(ratio, 1)} x: ${verdict(ratio >= GOAL_RATIO)}`,
    `  CPU of every process per item <= ${GOAL_CPU_MS} ms: ${fixed(cpu, 2)} ms: ${verdict(cpu <= GOAL_CPU_MS)}`,
    `  every ${BATCH_MAX}-item batch answered final within ${GOAL_ANSWER_MS / 1000} s: slowest ${fixed(answered, 0)} ms, ${thousand.answeredPending + (results.atomic?.answeredPending ?? 0)} answered pending: ${verdict(answered <= GOAL_ANSWER_MS && thousand.answeredPending === 0)}`,
  ];
}

function report(results: Results, resultsFile: string): void {
  const { host, ceiling, single } = results;
  console.log(`\ntransfer batches, ${host.startedAt}; nproc ${host.nproc}; node ${host.node}`);
  console.log(`app processes from ${settings.appRoot} (${settings.appCommit}); bench: ${settings.benchCommit}; accounts ${settings.accountCount}`);
  console.log(`uptime before: ${host.uptimeBefore}`);
  console.log(`uptime after:  ${host.uptimeAfter}`);
  if (host.missingInfra.length > 0) console.log(`NOT FOUND (their CPU is not counted): ${host.missingInfra.join(', ')}`);
  console.log('');
  if (ceiling) console.log(`${ceilingTable(ceiling)}\n`);
  if (single) console.log(`${closedTable([single], ceiling)}\n`);
  const phases = [...results.sizes, ...(results.atomic ? [results.atomic] : []), ...results.chunks];
  console.log(batchTable(phases, single));
  console.log('(transfers/s = items posted / first send to last batch final; batch latency = POST -> answer; lag at end = the read model\'s');
  console.log(' consumer lag when the last batch was final, catch-up = seconds from then until outbox and read model were caught up;');
  console.log(' CPU per item: every process from the first send until caught up / items posted. cores: machine busy, other = not ours.)\n');
  for (const p of phases.filter((x) => x.failed > 0)) console.log(`  failed in "${p.label}": ${JSON.stringify(p.failureCodes)}`);
  for (const p of phases.filter((x) => count(x.postFailures) > 0)) console.log(`  POST errors in "${p.label}": ${JSON.stringify(p.postFailures)}`);
  for (const p of phases.filter((x) => x.neverFinal > 0)) console.log(`  "${p.label}": ${p.neverFinal} batches still pending after the drain timeout`);
  const rows = [...(single ? [{ label: 'single transfers', cpuMs: single.cpuMsPerTransfer }] : []), ...phases.map((p) => ({ label: p.label, cpuMs: p.cpuMsPerItem }))];
  console.log(cpuGroupsTable('CPU ms per transfer / item', rows));
  console.log('(single transfers: over the closed loop\'s measured window (the read model keeps up); batches: until caught up.)\n');
  for (const line of goalLines(results)) console.log(line);
  console.log(`\nfigures: ${resultsFile} (run took ${host.runS ?? '?'} s)`);
}

async function main(): Promise<void> {
  const session = await openSession(services, 'transfer-batches-watch');
  const results: Results = { host: session.host, batchSettings, ceiling: null, single: null, sizes: [], atomic: null, chunks: [] };
  try {
    const started = await startRun(services, session);
    if (!started) return;
    results.ceiling = started.ceiling;
    await measure(results, started.h, session.ctx);
    report(results, writeResults(RESULTS_FILE, session.host, results));
  } finally {
    await closeSession(services, session);
  }
}

main().catch(async (error) => {
  console.error('benchmark failed:', error);
  await services.stopAll();
  process.exit(1);
});
