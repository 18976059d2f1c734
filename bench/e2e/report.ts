/**
 * The printed report of bench/transfers-e2e.ts: one table per kind of figure,
 * then a summary against the throughput targets.
 */
import { fixed, table, type Percentiles } from '../support';
import type { CeilingResult } from './ceiling';
import type { HistogramDelta } from './prometheus';
import type { ClosedLoopResult, CpuMs, OpenLoopResult, Scenario } from './scenarios';
import { settings } from './settings';
import { APP_GROUPS, STACK_GROUPS } from './stack-cpu';

export interface Host {
  startedAt: string;
  nproc: number;
  node: string;
  uptimeBefore: string;
  uptimeAfter?: string;
  runS?: number;
  temporalMetricsPort: number;
  missingInfra: string[];
  /** The ceiling worker's settings (this checkout's workers/tuning.ts with WORKER_TUNING). */
  workerTuning: object;
}

export interface Results {
  host: Host;
  ceiling: CeilingResult | null;
  closedLoops: ClosedLoopResult[];
  openLoops: OpenLoopResult[];
  /** Scenarios not run: BENCH_MAX_RUN_S would not have covered them. */
  skipped: string[];
}

const ms3 = (p: Percentiles) => `${fixed(p.p50, 0)} / ${fixed(p.p95, 0)} / ${fixed(p.p99, 0)}`;
const onOff = (tracing: boolean) => (tracing ? 'on' : 'off');
/** A histogram's p99 in ms, with the bucket bound it is known to be under. */
const p99Ms = (h: HistogramDelta) => (h.count > 0 ? `${fixed(h.p99 * 1000, 0)} (<= ${Number.isFinite(h.p99Bound) ? fixed(h.p99Bound * 1000, 0) : 'inf'})` : '-');
const errors = (r: Scenario) => String(Object.values(r.postFailures).reduce((a, b) => a + b, 0));

export function ceilingTable(c: CeilingResult): string {
  const cpu = c.cpuMsPerWorkflow;
  return table(
    ['ceiling', 'in flight', 'workflows', 'workflows/s', 'p50 / p95 / p99 ms', 'CPU ms/wf: Temporal', 'worker', 'client', 'persistence req/wf', 'errors'],
    [[
      `${c.steps} local activities`,
      String(c.clients),
      String(c.workflows),
      fixed(c.workflowsPerS, 1),
      ms3(c.latencyMs),
      fixed(cpu?.temporal ?? Number.NaN, 1),
      fixed(cpu?.worker ?? Number.NaN, 1),
      fixed(cpu?.client ?? Number.NaN, 1),
      fixed(c.persistenceRequestsPerWorkflow, 1),
      String(Object.values(c.failures).reduce((a, b) => a + b, 0)),
    ]],
  );
}

export function closedTable(results: ClosedLoopResult[], ceiling: CeilingResult | null): string {
  return table(
    ['closed loop', 'tracing', 'clients', 'transfers/s posted', '/ ceiling', 'answered posted/s', 'p50 / p95 / p99 ms', 'not settled', 'errors', 'posted', 'failed', 'stack CPU ms/transfer'],
    results.map((r) => [
      r.label,
      onOff(r.tracing),
      String(r.clients),
      fixed(r.transfersPerS, 2),
      ceiling ? fixed(r.transfersPerS / ceiling.workflowsPerS, 2) : '-',
      fixed(r.answeredPostedPerS, 2),
      ms3(r.latencyMs),
      String(r.notSettled),
      errors(r),
      String(r.posted),
      String(r.failed),
      fixed(r.cpuMsPerTransfer?.stack ?? Number.NaN, 1),
    ]),
  );
}

function openTable(results: OpenLoopResult[]): string {
  return table(
    ['open loop', 'target/s', 'sent/s', 'posted/s', 'sent', 'overloaded after s', 'late', 'posted', 'not settled', 'POST->posted p50 / p95 / p99 ms', 'outbox age p99 ms', 'projection lag p99 ms', 'stack CPU ms/transfer'],
    results.map((r) => [
      r.label,
      fixed(r.ratePerS, 1),
      fixed(r.sentPerS, 2),
      fixed(r.postedPerS, 2),
      String(r.sent),
      r.overloadedAfterS === null ? '-' : `${fixed(r.overloadedAfterS, 1)} (backlog ${r.backlogLimit})`,
      String(r.lateSends),
      String(r.posted),
      String(r.notSettled),
      ms3(r.postedLatencyMs),
      p99Ms(r.flow.outboxAge),
      p99Ms(r.flow.projectionLag),
      fixed(r.cpuMsPerTransfer?.stack ?? Number.NaN, 1),
    ]),
  );
}

/** CPU ms per unit of work (`title`: a transfer, a batch item) of each process group, a row per measurement that has figures. */
export function cpuGroupsTable(title: string, rows: { label: string; cpuMs: CpuMs | null }[]): string {
  const cells = rows.flatMap(({ label, cpuMs }) => (cpuMs ? [[label, ...STACK_GROUPS.map((g) => fixed(cpuMs[g], 1)), fixed(cpuMs.stack, 1)]] : []));
  return table([title, ...STACK_GROUPS, 'sum'], cells);
}

function cpuTable(results: Scenario[]): string {
  return cpuGroupsTable('CPU ms per transfer', results.map((r) => ({ label: r.label, cpuMs: r.cpuMsPerTransfer })));
}

/** Scale-out: each app's processes (copies behind one port count with their primary) and its CPU per transfer per process. */
function perProcessTable(results: Scenario[]): string {
  const { instances } = settings;
  const processes: Record<(typeof APP_GROUPS)[number], number> = { gateway: 1, worker: instances.worker, accounts: instances.accounts, ledger: instances.ledger, 'read-model': instances['read-model'] };
  const rows = results.filter((r) => r.cpuMsPerTransfer).map((r) => [r.label, ...APP_GROUPS.map((g) => `${fixed(r.cpuMsPerTransfer![g] / processes[g], 1)} x ${processes[g]}`)]);
  return table(['CPU ms per transfer per process x processes', ...APP_GROUPS], rows);
}

function coresTable(results: Scenario[], ceiling: CeilingResult | null): string {
  const row = (label: string, c: Scenario['cpu']) => (c ? [[label, fixed(c.cores.machine, 2), fixed(c.cores.stack, 2), fixed(c.cores.bench, 2), fixed(c.cores['ceiling-worker'], 2), fixed(c.cores.other, 2)]] : []);
  return table(
    ['cores busy', 'machine', 'stack', 'bench (load)', 'ceiling worker', 'other (not ours)'],
    [...(ceiling ? row('ceiling', ceiling.cpu) : []), ...results.flatMap((r) => row(r.label, r.cpu))],
  );
}

function spansTable(results: Scenario[]): string {
  const services = [...new Set(results.flatMap((r) => Object.keys(r.flow.spansPerTransferByService ?? {})))].sort();
  return table(
    ['spans per transfer', 'all', ...services, 'dropped'],
    results.filter((r) => r.tracing).map((r) => [
      r.label,
      fixed(r.flow.spansPerTransfer ?? Number.NaN, 1),
      ...services.map((s) => fixed(r.flow.spansPerTransferByService?.[s] ?? 0, 1)),
      String(r.flow.droppedSpans),
    ]),
  );
}

function stepsTable(results: Scenario[]): string {
  const steps = [...new Set(results.flatMap((r) => r.flow.steps.map((s) => s.step)))];
  const cell = (r: Scenario, step: string) => {
    const s = r.flow.steps.find((x) => x.step === step);
    if (!s) return '-';
    return Number.isNaN(s.meanMs) ? fixed(s.perTransfer, 1) : `${fixed(s.perTransfer, 1)} x ${fixed(s.meanMs, 1)}`;
  };
  return table(['per transfer x mean ms', ...results.map((r) => r.label)], steps.map((step) => [step, ...results.map((r) => cell(r, step))]));
}

interface Criterion {
  what: string;
  target: string;
  measured: number;
  met: boolean | null;
  unit: string;
}

/** The done criteria of the throughput issue that one run measures. */
export function criteria(results: Results): Criterion[] {
  const closed = results.closedLoops.find((r) => r.tracing);
  const list: Criterion[] = [];
  const add = (what: string, target: string, measured: number, met: boolean | null, unit = '') =>
    list.push({ what, target, measured, met: Number.isFinite(measured) ? met : null, unit });
  if (closed) {
    add(`closed loop, ${closed.clients} clients: transfers/s posted`, '>= 30', closed.transfersPerS, closed.transfersPerS >= 30);
    const ratio = results.ceiling ? closed.transfersPerS / results.ceiling.workflowsPerS : Number.NaN;
    add('  / same-run ceiling', '>= 0.4', ratio, ratio >= 0.4);
    const cpu = closed.cpuMsPerTransfer?.stack ?? Number.NaN;
    add('  CPU of every process per transfer', '<= 80', cpu, cpu <= 80, ' ms');
    add('  spans per posted transfer', '<= 40', closed.flow.spansPerTransfer ?? Number.NaN, (closed.flow.spansPerTransfer ?? Infinity) <= 40);
    add('  dropped spans', '0', closed.flow.droppedSpans, closed.flow.droppedSpans === 0);
  }
  const p95Target: Record<number, number> = { 10: 150, 25: 500 };
  for (const r of results.openLoops.filter((o) => o.tracing)) {
    const target = p95Target[r.ratePerS];
    const overloaded = r.overloadedAfterS !== null;
    const p95 = r.postedLatencyMs.p95;
    add(`open loop ${fixed(r.ratePerS, 0)}/s: POST->posted p95${overloaded ? ' (overloaded: of what was sent)' : ''}`, target ? `<= ${target}` : '-', p95, target ? !overloaded && p95 <= target : null, ' ms');
    if (r.ratePerS !== 25) continue;
    const outboxMs = r.flow.outboxAge.p99 * 1000;
    const lagMs = r.flow.projectionLag.p99 * 1000;
    add('  outbox age p99', '<= 100', outboxMs, r.flow.outboxAge.p99Bound <= 0.1 || outboxMs <= 100, ' ms');
    add('  projection lag p99', '<= 250', lagMs, r.flow.projectionLag.p99Bound <= 0.25 || lagMs <= 250, ' ms');
  }
  return list;
}

function summaryTable(results: Results): string {
  return table(
    ['done criterion (tracing on)', 'target', 'measured', 'met'],
    criteria(results).map((c) => [c.what, `${c.target}${c.unit}`, `${Number.isInteger(c.measured) ? c.measured : fixed(c.measured, c.measured < 10 ? 2 : 1)}${c.unit}`, c.met === null ? '-' : c.met ? 'yes' : 'NO']),
  );
}

export function report(results: Results, resultsFile: string): void {
  const { host, ceiling, closedLoops, openLoops } = results;
  const all: Scenario[] = [...closedLoops, ...openLoops];
  console.log(`\ntransfers end to end, ${host.startedAt}; nproc ${host.nproc}; node ${host.node}`);
  console.log(`app processes from ${settings.appRoot} (${settings.appCommit}); bench, ceiling and infrastructure: ${settings.benchCommit}`);
  console.log(`worker settings (ceiling; the transfer worker's when the app code is this checkout's): ${JSON.stringify(host.workerTuning)}`);
  console.log(`instances: ${JSON.stringify(settings.instances)} (WORKER_, ACCOUNTS_, LEDGER_, READ_MODEL_INSTANCES)`);
  console.log(`uptime before: ${host.uptimeBefore}`);
  console.log(`uptime after:  ${host.uptimeAfter}`);
  if (host.missingInfra.length > 0) console.log(`NOT FOUND (their CPU is not counted): ${host.missingInfra.join(', ')}`);
  console.log('');
  if (ceiling) {
    console.log(ceilingTable(ceiling));
    console.log('(a bare workflow of no-op local activities, started and awaited by this process, run by a worker process of its own with');
    console.log(' the transfer worker\'s settings (workers/tuning.ts), against the same Temporal dev server; CPU per workflow over the measured window.)\n');
  }
  console.log(closedTable(closedLoops, ceiling));
  console.log('(transfers/s posted = transfers that became posted in the measured window (updated_at) / its length; answered posted/s =');
  console.log(' answers `posted` received in it; latency of every answer in it; not settled = answered still pending when the gateway\'s');
  console.log(' 10 s wait ran out. CPU per transfer: over the window / transfers posted in it.)\n');
  if (openLoops.length > 0) {
    console.log(openTable(openLoops));
    console.log('(posted/s = transfers posted while the measured sends went out: below sent/s, the system fell behind the rate.');
    console.log(' POST->posted: the client\'s latency, or, when the answer came before the transfer was posted, updated_at - send. outbox age =');
    console.log(' outbox_relay_latency_seconds, projection lag = projection_latency_seconds, over the whole scenario with its drain; p99 from');
    console.log(' the histograms\' buckets, "<=" the bucket bound it lies under.)\n');
  }
  for (const r of all.filter((x) => x.failed > 0)) console.log(`  failed in "${r.label}": ${JSON.stringify(r.failureCodes)}`);
  for (const r of all.filter((x) => Object.keys(x.postFailures).length > 0)) console.log(`  POST errors in "${r.label}": ${JSON.stringify(r.postFailures)}`);
  for (const r of all.filter((x) => !x.quiet || !x.drainComplete)) console.log(`  "${r.label}": ${unfinished(r)}`);
  console.log(cpuTable(all));
  console.log('(every process of the stack, from /proc, over the measured window / transfers posted in it;');
  console.log(' postgres = the whole cluster; sink = the bench\'s trace collector, which does the trace sink\'s work during the run (JSON lines to a file).)\n');
  if (Object.values(settings.instances).some((n) => n > 1)) {
    console.log(perProcessTable(all));
    console.log('(an app\'s CPU / its instances: the copies of a service behind one port share the load, and their primary is idle.)\n');
  }
  console.log(coresTable(all, ceiling));
  console.log('');
  if (all.some((r) => r.tracing)) {
    console.log(spansTable(all));
    console.log('(spans the bench\'s collector received over each scenario with its drain / its transfers; dropped = otel_spans_dropped_total.)\n');
  }
  console.log(stepsTable(all));
  console.log('(the worker\'s Temporal SDK metrics and, "server:", the dev server\'s (all its traffic), per transfer of each scenario with its drain.)\n');
  console.log(summaryTable(results));
  if (results.skipped.length > 0) console.log(`skipped (BENCH_MAX_RUN_S ${settings.maxRunS} s reached): ${results.skipped.join(', ')}`);
  console.log(`\nfigures: ${resultsFile} (run took ${host.runS ?? '?'} s)`);
}

/** What had not finished when a scenario's figures were read. */
function unfinished(r: Scenario): string {
  return [!r.drainComplete ? `${r.pending} transfers still pending after the drain timeout` : '', !r.quiet ? 'outbox, read model or span export not caught up within 20 s' : '']
    .filter(Boolean)
    .join('; ');
}
