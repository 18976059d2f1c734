/**
 * Soak: a steady open loop of transfers against the running stack, watching
 * that its logs and traces stay under their caps ("after 10 minutes
 * of 10 transfers/s, .data/traces and .data/logs stay under their caps").
 * A script, not a test; it prints figures.
 *
 *   npm start && npx tsx bench/soak.ts            # 10 transfers/s for 600 s
 *   SOAK_RATE=10 SOAK_DURATION_S=600 npx tsx bench/soak.ts
 *
 * Every minute it prints transfers sent and answered, and for the logs and the
 * traces folders of DATA_DIR: the total, the largest file and the number of
 * files, against the caps of deploy/defaults.env ((1 + KEPT) x MAX_MB per
 * process log, (1 + TRACE_FILES_KEPT) x TRACE_FILE_MAX_MB for the traces).
 * Bounded: the duration, a request deadline, at most SOAK_RATE x 10 requests
 * in flight; loopback only.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, parseEnvFile, ROOT_DIR } from '../lib/config';
import { intFromEnv } from './support';

const config = loadConfig();
const RATE = intFromEnv('SOAK_RATE', 10, 1, 100);
const DURATION_S = intFromEnv('SOAK_DURATION_S', 600, 10, 3600);
const IN_FLIGHT_MAX = RATE * 10;
const REQUEST_TIMEOUT_MS = 15_000;
const DATA_DIR = process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data');
const MB = 1024 * 1024;
// deploy/stack reads these two (lib/config does not): the environment, else deploy/defaults.env.
const stackDefaults = parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8'));
const LOG_FILE_MAX_MB = Number(process.env.LOG_FILE_MAX_MB ?? stackDefaults.LOG_FILE_MAX_MB);
const LOG_FILES_KEPT = Number(process.env.LOG_FILES_KEPT ?? stackDefaults.LOG_FILES_KEPT);

const baseUrl = `http://127.0.0.1:${config.GATEWAY_PORT}`;

async function post(urlPath: string, body: unknown): Promise<{ status: number; body: { id?: string } | null }> {
  const response = await fetch(baseUrl + urlPath, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as { id?: string } | null };
}

async function openAccount(role: string, creditLimit: string): Promise<string> {
  const answer = await post('/v1/accounts', { code: `soak-${role}-${randomUUID()}`, name: `soak ${role}`, currency: 'USD', creditLimit });
  if (answer.status !== 201) throw new Error(`opening the ${role} account: ${answer.status} ${JSON.stringify(answer.body)}`);
  if (!answer.body?.id) throw new Error(`opening the ${role} account: no id in ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

interface Folder {
  totalMb: number;
  largestMb: number;
  largestFile: string;
  files: number;
}

function folder(dir: string): Folder {
  const sizes = readdirSync(dir).map((name) => ({ name, bytes: statSync(path.join(dir, name)).size }));
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a), { name: '-', bytes: 0 });
  return { totalMb: sizes.reduce((sum, f) => sum + f.bytes, 0) / MB, largestMb: largest.bytes / MB, largestFile: largest.name, files: sizes.length };
}

/** The largest total any one process's log reaches: NAME.log plus its rotated NAME.log.N. */
function largestLogSetMb(dir: string): { name: string; mb: number } {
  const perProcess = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const base = name.replace(/\.log(\.\d+)?$/, '');
    perProcess.set(base, (perProcess.get(base) ?? 0) + statSync(path.join(dir, name)).size / MB);
  }
  let largest = { name: '-', mb: 0 };
  for (const [name, mb] of perProcess) if (mb > largest.mb) largest = { name, mb };
  return largest;
}

function report(elapsedS: number, sent: number, answered: number, failed: number): void {
  const logs = folder(path.join(DATA_DIR, 'logs'));
  const traces = folder(path.join(DATA_DIR, 'traces'));
  const logSet = largestLogSetMb(path.join(DATA_DIR, 'logs'));
  const logCapMb = (1 + LOG_FILES_KEPT) * LOG_FILE_MAX_MB;
  const traceCapMb = (1 + config.TRACE_FILES_KEPT) * config.TRACE_FILE_MAX_MB;
  console.log(
    `${String(elapsedS).padStart(4)} s | sent ${sent}, answered ${answered}, not 201 ${failed} | ` +
      `logs ${logs.totalMb.toFixed(1)} MB in ${logs.files} files, largest process ${logSet.name} ${logSet.mb.toFixed(1)} MB (cap ${logCapMb} MB each) | ` +
      `traces ${traces.totalMb.toFixed(1)} MB in ${traces.files} files, largest ${traces.largestMb.toFixed(1)} MB (cap ${traceCapMb} MB)`,
  );
}

async function main(): Promise<void> {
  const [from, to] = [await openAccount('source', 'unlimited'), await openAccount('sink', '0')];
  let sent = 0;
  let answered = 0;
  let failed = 0;
  let inFlight = 0;
  const startedAt = Date.now();
  const send = async () => {
    inFlight += 1;
    try {
      const answer = await post('/v1/transfers', { fromAccountId: from, toAccountId: to, amount: '1', currency: 'USD', description: 'soak' });
      if (answer.status !== 201) failed += 1;
    } catch {
      failed += 1;
    } finally {
      answered += 1;
      inFlight -= 1;
    }
  };
  report(0, sent, answered, failed);
  let nextReportS = 60;
  for (let i = 0; (Date.now() - startedAt) / 1000 < DURATION_S; i++) {
    const due = startedAt + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    if (inFlight < IN_FLIGHT_MAX) {
      sent += 1;
      void send();
    }
    const elapsedS = Math.floor((Date.now() - startedAt) / 1000);
    if (elapsedS >= nextReportS) {
      report(elapsedS, sent, answered, failed);
      nextReportS += 60;
    }
  }
  while (inFlight > 0) await sleep(100);
  report(Math.round((Date.now() - startedAt) / 1000), sent, answered, failed);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
