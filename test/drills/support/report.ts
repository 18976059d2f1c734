/**
 * Drill results outlive the test file that produced them: each drill appends
 * one line to a results file, and the drills' global teardown prints them all
 * as one table at the end of the run.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from './stack';

export interface DrillRow {
  drill: string;
  fault: string;
  submitted: string;
  /** Heal → idle, the load still running meanwhile. */
  recovery: string;
  /** Last answer of the load (or the heal, if later) → idle: the backlog's drain. */
  drain: string;
  invariants: string;
}

const RESULTS_FILE = path.join(DATA_DIR, 'drills', 'results.jsonl');

export function resetResults(): void {
  rmSync(RESULTS_FILE, { force: true });
}

export function recordResult(row: DrillRow): void {
  mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  appendFileSync(RESULTS_FILE, JSON.stringify(row) + '\n');
}

export function readResults(): DrillRow[] {
  if (!existsSync(RESULTS_FILE)) return [];
  return readFileSync(RESULTS_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as DrillRow);
}

/** A Markdown table, so the same text reads well in a terminal and pasted into the README. */
export function formatTable(rows: DrillRow[]): string {
  const header: DrillRow = { drill: 'drill', fault: 'fault', submitted: 'transfers submitted', recovery: 'recovery time (heal → idle)', drain: 'of it after the load', invariants: 'invariant results' };
  const columns = Object.keys(header) as Array<keyof DrillRow>;
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: DrillRow) => `| ${columns.map((c, i) => r[c].padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
