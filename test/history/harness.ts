/**
 * One history run, end to end: set the groups up, run the clients and the
 * nemesis together, heal everything, wait until settled, resolve every
 * indeterminate op, read the final snapshot, run the TypeScript checks and the
 * Go checker, print the report. Shared by `npm run check:history` (run.ts, a
 * short run) and the long drill (test/drills/history.test.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ROOT_DIR } from '../../lib/config';
import { invariantPools } from '../support/invariants';
import { batchIdsOf, runChecks, type Check } from './checks';
import { runGoChecker, type GoVerdict } from './go-checker';
import { writeGoCheckerHistory } from './go-history';
import { setupOf, type HistoryEvent } from './history';
import { gatewayHttp } from './http';
import { startNemesis, type Fault } from './nemesis';
import { Recorder } from './recorder';
import { resolveIndeterminate } from './resolve';
import { readSnapshot, waitSettled } from './snapshot';
import { runClients, setUp } from './workload';

export interface HistoryRunOptions {
  seed: number;
  durationMs: number;
  opsMax: number;
  groups: number;
  accountsPerGroup: number;
  clientsPerGroup: number;
  schedule: Fault[];
  /** Before the nemesis's first fault. */
  faultDelayMs: number;
  faultGapMs: number;
  settleTimeoutMs: number;
}

export interface HistoryRunResult {
  file: string;
  checks: Check[];
  goChecker: GoVerdict;
  /** One line per anomaly: each violation of each check, the Go checker's verdict, what did not settle or resolve. */
  anomalies: string[];
  report: string;
}

const DATA_DIR = process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data');

export async function runHistory(options: HistoryRunOptions): Promise<HistoryRunResult> {
  const config = loadConfig();
  const http = gatewayHttp(`http://127.0.0.1:${config.GATEWAY_PORT}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(DATA_DIR, 'history', `${stamp}.jsonl`);
  const recorder = new Recorder(file);
  const pools = invariantPools();
  const lines: string[] = [`history run: seed ${options.seed}, ${options.groups} groups x ${options.accountsPerGroup} accounts, ${options.groups * options.clientsPerGroup} clients, ${options.durationMs / 1000} s or ${options.opsMax} ops`];
  console.log(lines[0]);
  const anomalies: string[] = [];
  try {
    // The load outlasts its duration until every fault of the schedule has been injected and healed.
    let faultsLeft = options.schedule.length > 0;
    const workload = { http, tag: `h${Date.now().toString(36)}`, thresholdMinor: config.approvalThresholdMinor, extend: () => faultsLeft, ...options };
    const groups = await setUp(recorder, workload);
    const setup = setupOf(recorder.events);
    const clients = runClients(recorder, groups, workload);
    let loadOver = false;
    void clients.done.finally(() => (loadOver = true));
    const nemesis = startNemesis(recorder, options.schedule, {
      config,
      clients,
      startDelayMs: options.faultDelayMs,
      gapMs: options.faultGapMs,
      more: () => !loadOver,
      finished: () => (faultsLeft = false),
    });
    await clients.done;
    await nemesis.done;
    await nemesis.healAll();

    const notSettled = await waitSettled(http, pools, setup, options.settleTimeoutMs);
    const resolution = await resolveIndeterminate(recorder, http);
    const stillNotSettled = await waitSettled(http, pools, setup, options.settleTimeoutMs);
    const snapshot = await readSnapshot(http, setup, options.settleTimeoutMs, batchIdsOf(recorder.events));
    recorder.close();
    // Kept beside the history, so the checks can be run again on both without the stack.
    writeFileSync(file.replace(/\.jsonl$/, '.snapshot.json'), JSON.stringify(snapshot, null, 1));

    const checks = runChecks(recorder.events, snapshot);
    // The Go checker reads batches as transfer ops of their items (go-history.ts).
    const goChecker = await runGoChecker(writeGoCheckerHistory(file, recorder.events), `${file.replace(/\.jsonl$/, '')}-html`);

    lines.push(`history: ${file}`, `ops: ${opsSummary(recorder.events)}`);
    lines.push(`faults injected (${nemesis.injected.length}): ${nemesis.injected.join('; ') || 'none'}`);
    if (nemesis.errors.length > 0) lines.push(`nemesis errors: ${nemesis.errors.join('; ')}`);
    lines.push(`indeterminate ops resolved: ${resolution.resolved}, unresolved: ${resolution.unresolved.length}`);
    if (notSettled.length > 0) lines.push(`not settled after the heal within ${options.settleTimeoutMs / 1000} s: ${notSettled.slice(0, 5).join('; ')}`);
    if (stillNotSettled.length > 0) anomalies.push(...stillNotSettled.map((s) => `not settled after resolving: ${s}`));
    anomalies.push(...resolution.unresolved.map((u) => `unresolved: ${u}`));
    for (const check of checks) {
      lines.push(`check ${check.name}: ${check.violations.length === 0 ? 'PASS' : `FAIL (${check.violations.length})`}`);
      for (const v of check.violations.slice(0, 10)) lines.push(`    ${v}`);
      if (check.violations.length > 10) lines.push(`    ... and ${check.violations.length - 10} more`);
      anomalies.push(...check.violations.map((v) => `${check.name}: ${v}`));
    }
    lines.push(`Go checker (Porcupine): ${goChecker.verdict}${goChecker.detail ? ` — ${goChecker.detail.split('\n').slice(-5).join(' | ')}` : ''}`);
    if (goChecker.verdict === 'not linearizable' || goChecker.verdict === 'undecided') anomalies.push(`Go checker: ${goChecker.verdict}: ${goChecker.detail.slice(0, 500)}`);
    lines.push(anomalies.length === 0 ? 'verdict: no anomaly' : `verdict: ${anomalies.length} anomalies`);
    const report = lines.join('\n');
    console.log(lines.slice(1).join('\n'));
    return { file, checks, goChecker, anomalies, report };
  } finally {
    await pools.close();
  }
}

/** Ops by function and outcome, e.g. "transfer ok 310 info 4; balance ok 120". */
export function opsSummary(events: HistoryEvent[]): string {
  const counts = new Map<string, Map<string, number>>();
  for (const e of events) {
    if (e.type === 'invoke' || e.type === 'setup' || e.process === 'nemesis' && e.f !== 'terminate') continue;
    const byType = counts.get(e.f!) ?? new Map<string, number>();
    byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    counts.set(e.f!, byType);
  }
  return [...counts].map(([f, byType]) => `${f} ${[...byType].map(([t, n]) => `${t} ${n}`).join(' ')}`).join('; ');
}
