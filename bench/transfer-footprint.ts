/**
 * Transfer footprint: how many of the project's source files, and lines, ONE
 * transfer below the approval threshold executes in every application
 * process, from the gateway's route to the read model's projection. A script,
 * not a test; it changes no product code. It measures V8's own coverage.
 *
 * The stack's application processes must run with
 *   NODE_V8_COVERAGE=$DATA_DIR/footprint/coverage
 *   FOOTPRINT_TRIGGER=$DATA_DIR/footprint/trigger
 *   NODE_OPTIONS="--require $PWD/bench/coverage-preload.cjs"
 * (deploy/stack passes its environment to them; commands: bench/README.md,
 * "Transfer footprint"). The preload cuts the coverage into windows: SIGUSR2
 * (main threads) or a new trigger content (worker threads: the workflows).
 *
 * 1. Opens a funding account and two accounts, warms up with FOOTPRINT_WARMUP
 *    transfers (5), each waited for (?wait=true) and seen in the read model.
 * 2. Cut (reset). The transfer window: one transfer of 5000 minor units
 *    (below APPROVAL_THRESHOLD_MINOR) with ?wait=true, then the read model's
 *    balances table polled (SQL, so no read-model code runs for it) until it
 *    shows the new balance. Cut.
 * 3. The idle window: the same length, no transfer. Cut.
 * 4. Per process: a project file counts when a range with count > 0 lies in
 *    it. dist/*.js and the worker's workflow bundle are mapped back to the
 *    .ts sources through their source maps; a source line counts as executed
 *    when a mapping segment on it falls in a range with count > 0. Whole-file
 *    lines: the .ts file's line count. Net: what the idle window also ran is
 *    taken out (files; lines).
 *
 * Output: a table on stdout and bench/results/transfer-footprint.json (the files).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { databaseUrl, loadConfig } from '../lib/config';
import { agent, request, ROOT_DIR, table } from './support';

const APPS = ['gateway', 'worker', 'ledger', 'accounts', 'read-model'] as const;
type App = (typeof APPS)[number];
const AMOUNT = 5000n;
const DATA_DIR = path.resolve(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'));
const FOOTPRINT_DIR = path.join(DATA_DIR, 'footprint');
const COVERAGE_DIR = path.join(FOOTPRINT_DIR, 'coverage');
const TRIGGER = path.join(FOOTPRINT_DIR, 'trigger');
const RESULTS = path.join(ROOT_DIR, 'bench', 'results', 'transfer-footprint.json');
const config = loadConfig();
const GATEWAY_PORT = Number(process.env.GATEWAY_PORT ?? 4000);

// ------------------------------------------------------------------ the stack

function pidOf(app: App): number {
  return Number(readFileSync(path.join(DATA_DIR, 'run', `${app}.pid`), 'utf8').trim());
}

async function post(urlPath: string, body: unknown): Promise<{ id: string }> {
  const answer = await request(GATEWAY_PORT, 'POST', urlPath, body, { headers: { 'idempotency-key': randomUUID() }, timeoutMs: 30_000 });
  if (answer.status >= 300) throw new Error(`POST ${urlPath}: HTTP ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as { id: string };
}

async function postedInReadModel(db: Client, accountId: string): Promise<bigint> {
  const { rows } = await db.query<{ posted: string }>('SELECT posted_minor::text AS posted FROM read_model.balances WHERE account_id = $1', [accountId]);
  return BigInt(rows[0]?.posted ?? '0');
}

/** One transfer, waited for by the gateway, then until the read model shows its credit. */
async function transfer(db: Client, from: string, to: string): Promise<{ postedMs: number; projectedMs: number }> {
  const before = await postedInReadModel(db, to);
  const started = Date.now();
  const answer = await request(
    GATEWAY_PORT,
    'POST',
    '/v1/transfers?wait=true',
    { fromAccountId: from, toAccountId: to, amount: AMOUNT.toString(), currency: 'USD' },
    { headers: { 'idempotency-key': randomUUID() }, timeoutMs: 30_000 },
  );
  const status = (JSON.parse(answer.body) as { status?: string }).status;
  if (answer.status >= 300 || status !== 'posted') throw new Error(`transfer: HTTP ${answer.status} ${answer.body}`);
  const postedMs = Date.now() - started;
  const deadline = Date.now() + 30_000;
  while ((await postedInReadModel(db, to)) !== before + AMOUNT) {
    if (Date.now() > deadline) throw new Error('the read model did not show the transfer within 30 s');
    await sleep(20);
  }
  return { postedMs, projectedMs: Date.now() - started };
}

// ------------------------------------------------------------------ coverage windows

let cuts = 0;
/** When the last cut signalled the processes: a window runs from one signal to the next. */
let signalledAt = 0;

/** Ends a window in every process (main threads: SIGUSR2; worker threads: the trigger); returns the files each wrote. */
async function cut(): Promise<Map<number, string[]>> {
  const before = new Set(readdirSync(COVERAGE_DIR));
  cuts += 1;
  writeFileSync(TRIGGER, String(cuts));
  const pids = APPS.map(pidOf);
  signalledAt = Date.now();
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  // Worker threads poll the trigger every 200 ms; the files are written synchronously.
  const deadline = Date.now() + 10_000;
  for (;;) {
    await sleep(50);
    const fresh = readdirSync(COVERAGE_DIR).filter((name) => !before.has(name));
    const mainDone = pids.every((pid) => fresh.some((name) => name.startsWith(`coverage-${pid}-`) && name.endsWith('-0.json')));
    const threadsDone = fresh.some((name) => name.startsWith(`coverage-${pidOf('worker')}-`) && !name.endsWith('-0.json'));
    if ((mainDone && threadsDone) || Date.now() > deadline) {
      await sleep(100);
      const byPid = new Map<number, string[]>();
      for (const name of readdirSync(COVERAGE_DIR).filter((entry) => !before.has(entry))) {
        const pid = Number(name.split('-')[1]);
        byPid.set(pid, [...(byPid.get(pid) ?? []), path.join(COVERAGE_DIR, name)]);
      }
      if (!mainDone || !threadsDone) throw new Error('not every process wrote its coverage within 10 s');
      return byPid;
    }
  }
}

// ------------------------------------------------------------------ source maps

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: { ranges: Range[] }[];
}
interface RawSourceMap {
  sources: string[];
  sourceRoot?: string;
  mappings: string;
  file?: string;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Every mapping segment: [generated line, generated column, source index, original line], all 0-based. */
function segmentsOf(map: RawSourceMap): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  let source = 0;
  let originalLine = 0;
  map.mappings.split(';').forEach((line, generatedLine) => {
    let generatedColumn = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      generatedColumn += values[0] ?? 0;
      if (values.length < 4) continue;
      source += values[1] ?? 0;
      originalLine += values[2] ?? 0; // values[3], the original column, is not needed: lines are counted
      out.push([generatedLine, generatedColumn, source, originalLine]);
    }
  });
  return out;
}

/** Per character of the script: 1 when the innermost range holding it has count > 0. */
function executedMask(script: ScriptCoverage, length: number): Uint8Array {
  const ranges = script.functions.flatMap((fn) => fn.ranges).sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
  const mask = new Uint8Array(length);
  for (const range of ranges) mask.fill(range.count > 0 ? 1 : 0, range.startOffset, Math.min(range.endOffset, length));
  return mask;
}

/** The executed lines per .ts file (absolute path -> 0-based line numbers) of one script. */
function executedSourceLines(script: ScriptCoverage, code: string, map: RawSourceMap, mapDir: string, into: Map<string, Set<number>>): void {
  const mask = executedMask(script, code.length);
  if (!mask.includes(1)) return;
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const sources = map.sources.map((source) => path.resolve(mapDir, map.sourceRoot ?? '', source.replace(/^webpack:\/\/[^/]*/, '')));
  for (const [generatedLine, generatedColumn, source, originalLine] of segmentsOf(map)) {
    const offset = (lineStarts[generatedLine] ?? Infinity) + generatedColumn;
    if (mask[offset] !== 1) continue;
    const file = sources[source];
    if (!file || !isProjectSource(file)) continue;
    let lines = into.get(file);
    if (!lines) into.set(file, (lines = new Set()));
    lines.add(originalLine);
  }
}

function isProjectSource(file: string): boolean {
  const relative = path.relative(ROOT_DIR, file);
  // Not the bundler's own modules (webpack/bootstrap) nor its generated entry point under dist/.
  const parts = relative.split(path.sep);
  return !relative.startsWith('..') && !parts.includes('node_modules') && parts[0] !== 'bench' && parts[0] !== 'dist' && existsSync(file);
}

// The worker's workflows run from a webpack bundle in a worker thread; it is
// built again here with the worker's inputs (workers/main.ts) and must carry
// the same hash as the bundle the coverage names.
let bundle: { code: string; map: RawSourceMap } | undefined;
async function workflowBundle(url: string): Promise<{ code: string; map: RawSourceMap }> {
  if (!bundle) {
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(ROOT_DIR, 'dist', 'workflows', 'index.js'),
      workflowInterceptorModules: [path.join(ROOT_DIR, 'dist', 'workflows', 'tracing-interceptors.js')],
      logger: quiet,
    });
    const inline = /\/\/# sourceMappingURL=data:application\/json;[^,]*base64,(\S+)\s*$/.exec(code);
    if (!inline?.[1]) throw new Error('the workflow bundle has no inline source map');
    bundle = { code, map: JSON.parse(Buffer.from(inline[1], 'base64').toString('utf8')) as RawSourceMap };
  }
  if (path.basename(url) !== path.basename(bundle.map.file ?? '')) throw new Error(`workflow bundle ${bundle.map.file} built here, ${url} ran`);
  return bundle;
}

/** The executed .ts lines of one process in one window (its main thread and worker threads). */
async function executedOf(files: string[]): Promise<Map<string, Set<number>>> {
  const into = new Map<string, Set<number>>();
  for (const file of files) {
    const { result } = JSON.parse(readFileSync(file, 'utf8')) as { result: ScriptCoverage[] };
    for (const script of result) {
      if (/workflow-bundle-[0-9a-f]+\.js$/.test(script.url)) {
        const { code, map } = await workflowBundle(script.url);
        executedSourceLines(script, code, map, ROOT_DIR, into);
        continue;
      }
      if (!script.url.startsWith('file://')) continue;
      const js = new URL(script.url).pathname;
      const parts = path.relative(ROOT_DIR, js).split(path.sep);
      if (parts[0] === '..' || parts.includes('node_modules') || parts[0] === 'bench') continue;
      const mapFile = `${js}.map`;
      if (!js.endsWith('.js') || !existsSync(mapFile)) throw new Error(`${js}: no source map`);
      executedSourceLines(script, readFileSync(js, 'utf8'), JSON.parse(readFileSync(mapFile, 'utf8')) as RawSourceMap, path.dirname(mapFile), into);
    }
  }
  return into;
}

// ------------------------------------------------------------------ report

const lineCounts = new Map<string, number>();
function linesOfFile(file: string): number {
  let count = lineCounts.get(file);
  if (count === undefined) {
    const text = readFileSync(file, 'utf8');
    count = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    lineCounts.set(file, count);
  }
  return count;
}

interface Figures {
  files: number;
  executedLines: number;
  wholeFileLines: number;
}

function figuresOf(executed: Map<string, Set<number>>): Figures {
  let executedLines = 0;
  let wholeFileLines = 0;
  for (const [file, lines] of executed) {
    executedLines += lines.size;
    wholeFileLines += linesOfFile(file);
  }
  return { files: executed.size, executedLines, wholeFileLines };
}

/** Files only the transfer window ran (with their transfer-window lines), and lines only it ran in any file. */
function netOf(transfer: Map<string, Set<number>>, idle: Map<string, Set<number>>): { files: Map<string, Set<number>>; lines: number } {
  const files = new Map([...transfer].filter(([file]) => !idle.has(file)));
  let lines = 0;
  for (const [file, executed] of transfer) for (const line of executed) if (!idle.get(file)?.has(line)) lines += 1;
  return { files, lines };
}

function union(maps: Map<string, Set<number>>[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const map of maps) for (const [file, lines] of map) out.set(file, new Set([...(out.get(file) ?? []), ...lines]));
  return out;
}

const relative = (file: string): string => path.relative(ROOT_DIR, file);

/** 1-based line numbers as "3-5,9": where to look in the file. */
function rangesOf(lines: Set<number>): string {
  const sorted = [...lines].sort((a, b) => a - b).map((line) => line + 1);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

interface Row {
  label: string;
  raw: Figures;
  net1: Figures;
  netAll: Figures;
  netLines: number;
}

function rowOf(label: string, transfer: Map<string, Set<number>>, idleFirst: Map<string, Set<number>>, idleAll: Map<string, Set<number>>): Row {
  const net1 = netOf(transfer, idleFirst);
  const netAll = netOf(transfer, idleAll);
  return { label, raw: figuresOf(transfer), net1: figuresOf(net1.files), netAll: figuresOf(netAll.files), netLines: netAll.lines };
}

const cells = (row: Row): string[] => [
  row.label,
  ...[row.raw, row.net1, row.netAll].flatMap((figures) => [`${figures.files}`, `${figures.executedLines}`, `${figures.wholeFileLines}`]),
  `${row.netLines}`,
];

async function main(): Promise<void> {
  if (!existsSync(TRIGGER)) throw new Error(`${TRIGGER} is missing: start the stack as bench/README.md, "Transfer footprint", says`);
  const warmup = Number(process.env.FOOTPRINT_WARMUP ?? 5);
  const idleWindows = Number(process.env.FOOTPRINT_IDLE_WINDOWS ?? 5);
  const settleMs = Number(process.env.FOOTPRINT_SETTLE_MS ?? 5000);
  const db = new Client({ connectionString: databaseUrl(config, 'readmodel'), application_name: 'transfer-footprint' });
  await db.connect();
  try {
    const suffix = Date.now().toString(36);
    const bank = await post('/v1/accounts', { code: `fp-bank-${suffix}`, name: 'Funding', currency: 'USD', creditLimit: 'unlimited' });
    const alice = await post('/v1/accounts', { code: `fp-alice-${suffix}`, name: 'Alice', currency: 'USD' });
    for (let i = 0; i < warmup; i++) await transfer(db, bank.id, alice.id);
    // The warm-up's tails (workflow completion, relay, offset commits) end before the window opens.
    await sleep(settleMs);

    await cut();
    const transferStart = signalledAt;
    const timing = await transfer(db, bank.id, alice.id);
    const transferFiles = await cut();
    const windowMs = signalledAt - transferStart;
    // The idle windows come after the transfer's tail has settled: the same length each, no request.
    await sleep(settleMs);
    await cut();
    const idleFiles: Map<number, string[]>[] = [];
    for (let i = 0; i < idleWindows; i++) {
      const idleStart = signalledAt;
      await sleep(Math.max(0, idleStart + windowMs - Date.now()));
      idleFiles.push(await cut());
    }

    const rows: Row[] = [];
    const perProcess: Record<string, unknown> = {};
    const transfers: Map<string, Set<number>>[] = [];
    const firstIdles: Map<string, Set<number>>[] = [];
    const allIdles: Map<string, Set<number>>[] = [];
    for (const app of APPS) {
      const pid = pidOf(app);
      const transfer = await executedOf(transferFiles.get(pid) ?? []);
      const idles: Map<string, Set<number>>[] = [];
      for (const window of idleFiles) idles.push(await executedOf(window.get(pid) ?? []));
      const idleFirst = idles[0] ?? new Map<string, Set<number>>();
      const idleAll = union(idles);
      transfers.push(transfer);
      firstIdles.push(idleFirst);
      allIdles.push(idleAll);
      const row = rowOf(app, transfer, idleFirst, idleAll);
      rows.push(row);
      perProcess[app] = {
        ...row,
        idleFilesPerWindow: idles.map((idle) => idle.size),
        files: [...transfer]
          .map(([file, lines]) => ({
            file: relative(file),
            executedLines: lines.size,
            lines: linesOfFile(file),
            executed: rangesOf(lines),
            inFirstIdleWindow: idleFirst.has(file),
            inAnyIdleWindow: idleAll.has(file),
          }))
          .sort((a, b) => a.file.localeCompare(b.file)),
      };
    }
    const sumOf = (pick: (row: Row) => Figures): Figures => ({
      files: rows.reduce((total, row) => total + pick(row).files, 0),
      executedLines: rows.reduce((total, row) => total + pick(row).executedLines, 0),
      wholeFileLines: rows.reduce((total, row) => total + pick(row).wholeFileLines, 0),
    });
    const sum: Row = { label: 'sum of processes', raw: sumOf((row) => row.raw), net1: sumOf((row) => row.net1), netAll: sumOf((row) => row.netAll), netLines: rows.reduce((total, row) => total + row.netLines, 0) };
    // A file counts once here however many processes ran it; net: no process ran it while idle.
    const distinctTransfer = union(transfers);
    const distinct = rowOf('distinct files', distinctTransfer, union(firstIdles), union(allIdles));

    console.log(`transfer: posted (HTTP answer) after ${timing.postedMs} ms, in the read model after ${timing.projectedMs} ms`);
    console.log(`transfer window ${windowMs} ms (signal to signal); ${idleWindows} idle windows of the same length`);
    console.log('files | executed .ts lines | whole .ts files\' lines: raw (transfer window), net of the first idle window, net of all idle windows');
    const head = ['process', 'files', 'exec', 'lines', 'net1 files', 'exec', 'lines', `net${idleWindows} files`, 'exec', 'lines', 'lines only in transfer'];
    console.log(table(head, [...rows, sum, distinct].map(cells)));
    mkdirSync(path.dirname(RESULTS), { recursive: true });
    const commit = execFileSync('git', ['-C', ROOT_DIR, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const netFiles = [...netOf(distinctTransfer, union(allIdles)).files.keys()].map(relative).sort();
    const report = { commit, date: new Date().toISOString(), amountMinor: AMOUNT.toString(), timing, transferWindowMs: windowMs, idleWindows, perProcess, sum, distinct, distinctNetFiles: netFiles };
    writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`files: ${relative(RESULTS)}`);
  } finally {
    await db.end();
    agent.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
