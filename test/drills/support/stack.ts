/**
 * The drills' hands on the native stack: run `deploy/stack` (with the very
 * environment the tests run in, so an isolated stack on shifted ports stays
 * isolated), signal a component by the pid file the stack wrote, and tell
 * which components answer on their ports.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR, type Config } from '../../../lib/config';
import { portOpen } from '../../support/ports';

const execFileAsync = promisify(execFile);
const STACK = path.join(ROOT_DIR, 'deploy', 'stack');
const STACK_TIMEOUT_MS = 5 * 60_000;

export const DATA_DIR = process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data');
const RUN_DIR = path.join(DATA_DIR, 'run');

export interface StackRun {
  output: string;
  /** Components `up` found down and started (from its "starting NAME:" lines). */
  started: string[];
}

/** Runs `deploy/stack ARGS...`; a non-zero exit throws with the tail of its output. */
export async function stack(...args: string[]): Promise<StackRun> {
  try {
    // The environment passed explicitly: Jest gives each test file a copy of
    // process.env, and a child spawned without `env` inherits the real one, so
    // a variable a drill sets (READ_MODEL_INSTANCES=2) would never reach the stack.
    const { stdout, stderr } = await execFileAsync(STACK, args, { env: process.env, timeout: STACK_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 });
    const output = stdout + stderr;
    const started = [...output.matchAll(/^\[stack\] starting ([\w-]+)[: ]/gm)].flatMap(([, name]) => (name === undefined ? [] : [name]));
    return { output, started };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`deploy/stack ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.slice(0, 4000));
  }
}

/** The pid the stack recorded for a component it spawned. */
function pidOf(component: string): number {
  const text = readFileSync(path.join(RUN_DIR, `${component}.pid`), 'utf8').trim();
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${component}.pid holds ${JSON.stringify(text)}, not a pid`);
  return pid;
}

/** Sends `signal` to the component's own process (not its group); returns the pid. */
export function signalComponent(component: string, signal: NodeJS.Signals): number {
  const pid = pidOf(component);
  process.kill(pid, signal);
  return pid;
}

/** Every component of the stack and the port that says it is up. */
function componentPorts(config: Config): Record<string, number> {
  return {
    postgres: config.PGPORT,
    kafka: config.KAFKA_PORT,
    temporal: config.TEMPORAL_PORT,
    accounts: config.ACCOUNTS_PORT,
    ledger: config.LEDGER_PORT,
    'read-model': config.READ_MODEL_PORT,
    worker: config.WORKER_METRICS_PORT,
    gateway: config.GATEWAY_PORT,
  };
}

/** The components whose port does not answer. */
export async function downComponents(config: Config): Promise<string[]> {
  const entries = Object.entries(componentPorts(config));
  const open = await Promise.all(entries.map(([, port]) => portOpen(port)));
  return entries.filter((_, i) => !open[i]).map(([name]) => name);
}
