/**
 * Before and after side by side: the headline figures of two or more runs of
 * bench/transfers-e2e.ts (their JSON files), one column per run, as a
 * Markdown table for the README.
 *
 *   npx tsx bench/transfers-e2e-compare.ts bench/results/transfers-e2e-before.json bench/results/transfers-e2e-current.json
 */
import { readFileSync } from 'node:fs';
import { fixed } from './support';
import { criteria, type Results } from './e2e/report';
import type { Settings } from './e2e/settings';
import { STACK_GROUPS } from './e2e/stack-cpu';

type Run = Results & { settings: Omit<Settings, 'config'> };

interface Row {
  what: string;
  cell: (run: Run) => string;
}

const closed = (run: Run) => run.closedLoops.find((r) => r.tracing);
const stepOf = (run: Run, step: string) => closed(run)?.flow.steps.find((s) => s.step === step)?.perTransfer ?? Number.NaN;

function rows(runs: Run[]): Row[] {
  const rates = [...new Set(runs.flatMap((r) => r.openLoops.map((o) => o.ratePerS)))].sort((a, b) => a - b);
  const open = (run: Run, rate: number) => run.openLoops.find((o) => o.ratePerS === rate && o.tracing);
  const ms = (value: number | undefined) => (value === undefined ? '-' : fixed(value * 1000, 0));
  return [
    { what: 'app code', cell: (r) => `${r.settings.appCommit}` },
    { what: 'load average at the start', cell: (r) => /load average: ([\d.]+)/.exec(r.host.uptimeBefore)?.[1] ?? '-' },
    { what: `ceiling: workflows/s (${runs[0]?.ceiling?.steps ?? '?'} local activities)`, cell: (r) => fixed(r.ceiling?.workflowsPerS ?? Number.NaN, 1) },
    { what: 'ceiling: Temporal CPU ms per workflow', cell: (r) => fixed(r.ceiling?.cpuMsPerWorkflow?.temporal ?? Number.NaN, 1) },
    { what: 'closed loop: transfers/s posted', cell: (r) => fixed(closed(r)?.transfersPerS ?? Number.NaN, 2) },
    { what: 'closed loop: / ceiling', cell: (r) => fixed((closed(r)?.transfersPerS ?? Number.NaN) / (r.ceiling?.workflowsPerS ?? Number.NaN), 2) },
    { what: 'closed loop: p50 / p95 ms', cell: (r) => `${fixed(closed(r)?.latencyMs.p50 ?? Number.NaN, 0)} / ${fixed(closed(r)?.latencyMs.p95 ?? Number.NaN, 0)}` },
    { what: 'CPU ms per transfer, every process', cell: (r) => fixed(closed(r)?.cpuMsPerTransfer?.stack ?? Number.NaN, 1) },
    ...STACK_GROUPS.map((g) => ({ what: `  ${g}`, cell: (r: Run) => fixed(closed(r)?.cpuMsPerTransfer?.[g] ?? Number.NaN, 1) })),
    { what: 'workflow tasks per transfer', cell: (r) => fixed(stepOf(r, 'workflow task: execution in the worker'), 1) },
    { what: 'Temporal persistence requests per transfer', cell: (r) => fixed(stepOf(r, 'server: persistence requests, all'), 1) },
    { what: 'spans per transfer, dropped', cell: (r) => `${fixed(closed(r)?.flow.spansPerTransfer ?? Number.NaN, 1)}, ${closed(r)?.flow.droppedSpans ?? '-'}` },
    ...rates.flatMap((rate) => [
      { what: `open ${rate}/s: POST->posted p50 / p95 ms`, cell: (r: Run) => {
        const o = open(r, rate);
        if (!o) return '-';
        return o.overloadedAfterS === null ? `${fixed(o.postedLatencyMs.p50, 0)} / ${fixed(o.postedLatencyMs.p95, 0)}` : `overloaded after ${fixed(o.overloadedAfterS, 0)} s`;
      } },
      { what: `open ${rate}/s: outbox age / projection lag p99 ms`, cell: (r: Run) => `${ms(open(r, rate)?.flow.outboxAge.p99)} / ${ms(open(r, rate)?.flow.projectionLag.p99)}` },
    ]),
  ];
}

function main(): void {
  const files = process.argv.slice(2);
  if (files.length < 1) throw new Error('usage: npx tsx bench/transfers-e2e-compare.ts RESULTS.json [RESULTS.json ...]');
  const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Run);
  const header = ['', ...runs.map((r) => r.settings.label)];
  const lines = [header, header.map(() => '---'), ...rows(runs).map((row) => [row.what, ...runs.map(row.cell)])];
  console.log(lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n'));
  console.log('\ndone criteria met (tracing on):');
  for (const run of runs) {
    const missed = criteria(run).filter((c) => c.met === false).map((c) => c.what.trim());
    console.log(`  ${run.settings.label}: ${missed.length === 0 ? 'all measured ones' : `not: ${missed.join('; ')}`}`);
  }
}

main();
