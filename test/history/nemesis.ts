/**
 * The nemesis: faults injected one after another while the clients run, each
 * recorded as a fault-start line when injected and a fault-stop line when
 * healed, so the history shows which ops overlapped which fault.
 *
 * - sigkill: SIGKILL to a component (for the ledger, run with two copies, to
 *   one copy, which its primary starts again), healed by `deploy/stack up`;
 * - sigstop: SIGSTOP to a component (a ledger copy likewise), healed by SIGCONT;
 * - restart: `deploy/stack stop` of PostgreSQL, Kafka or Temporal, healed by `deploy/stack up`;
 * - terminate: an operator terminates the workflow of a transfer awaiting
 *   approval (as from the Temporal UI), recorded as an op of process
 *   "nemesis" (its outcome is resolved after the run), and the transfer is put
 *   back for a client to reject or cancel.
 *
 * Every fault is healed before the nemesis returns; `healAll` heals anything
 * left after an error (a stopped process continued, the stack brought up).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../lib/config';
import { transferWorkflowId } from '../../lib/workflow-contract';
import { DATA_DIR, stack } from '../drills/support/stack';
import type { Recorder } from './recorder';
import type { ClientRun } from './workload';

export type Fault =
  | { kind: 'sigkill' | 'sigstop'; target: 'worker' | 'ledger' | 'accounts' | 'read-model' | 'gateway'; holdMs: number }
  | { kind: 'restart'; target: 'postgres' | 'kafka' | 'temporal'; holdMs: number }
  | { kind: 'terminate' };

/** The CI run's faults: one worker SIGKILL, one ledger SIGSTOP/SIGCONT, one termination. */
export const SHORT_SCHEDULE: Fault[] = [
  { kind: 'terminate' },
  { kind: 'sigstop', target: 'ledger', holdMs: 5_000 },
  // Last: its heal (`deploy/stack up` rebuilds before it starts the worker) is the slowest.
  { kind: 'sigkill', target: 'worker', holdMs: 4_000 },
];

/** Every fault, for the long drill. */
export const FULL_SCHEDULE: Fault[] = [
  { kind: 'sigkill', target: 'worker', holdMs: 4_000 },
  { kind: 'sigstop', target: 'ledger', holdMs: 4_000 },
  { kind: 'terminate' },
  { kind: 'sigkill', target: 'ledger', holdMs: 3_000 },
  { kind: 'sigstop', target: 'read-model', holdMs: 4_000 },
  { kind: 'sigkill', target: 'accounts', holdMs: 3_000 },
  { kind: 'restart', target: 'postgres', holdMs: 4_000 },
  { kind: 'terminate' },
  { kind: 'sigstop', target: 'worker', holdMs: 4_000 },
  { kind: 'sigkill', target: 'gateway', holdMs: 3_000 },
  { kind: 'restart', target: 'kafka', holdMs: 4_000 },
  { kind: 'sigkill', target: 'read-model', holdMs: 3_000 },
  { kind: 'sigstop', target: 'accounts', holdMs: 4_000 },
  { kind: 'restart', target: 'temporal', holdMs: 4_000 },
  { kind: 'sigstop', target: 'gateway', holdMs: 3_000 },
  { kind: 'terminate' },
];

const RUN_DIR = path.join(DATA_DIR, 'run');
/** How long the nemesis looks for a transfer awaiting approval to terminate. */
const TERMINATE_SEARCH_MS = 10_000;

/** The pid a fault hits: one copy of a clustered service when it runs copies, else the component's own process. */
export function targetPid(component: string): number {
  const copies = path.join(RUN_DIR, `${component}.instances`);
  const pids = existsSync(copies) ? readFileSync(copies, 'utf8').split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1) : [];
  const pid = pids.at(-1) ?? Number(readFileSync(path.join(RUN_DIR, `${component}.pid`), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid recorded for ${component}`);
  return pid;
}

export interface NemesisOptions {
  config: Config;
  clients: ClientRun;
  /** Before the first fault. */
  startDelayMs: number;
  /** Between a heal and the next fault. */
  gapMs: number;
  /** False once the load is over: no new fault starts. */
  more(): boolean;
  /** Called once the last fault of the schedule is healed (the load may end then). */
  finished(): void;
}

export interface Nemesis {
  done: Promise<void>;
  /** What was injected, one line each, for the report. */
  injected: string[];
  errors: string[];
  /** Continues anything still stopped and brings the stack up. */
  healAll(): Promise<void>;
}

export function startNemesis(recorder: Recorder, schedule: Fault[], options: NemesisOptions): Nemesis {
  const injected: string[] = [];
  const errors: string[] = [];
  const stopped = new Map<number, string>();
  const fault = (f: 'fault-start' | 'fault-stop', value: object) => recorder.record('info', 'nemesis', f, value);

  const signal = async (kind: 'sigkill' | 'sigstop', target: string, holdMs: number) => {
    const pid = targetPid(target);
    fault('fault-start', { fault: kind, target, pid });
    process.kill(pid, kind === 'sigkill' ? 'SIGKILL' : 'SIGSTOP');
    if (kind === 'sigstop') stopped.set(pid, target);
    await sleep(holdMs);
    if (kind === 'sigstop') {
      process.kill(pid, 'SIGCONT');
      stopped.delete(pid);
      fault('fault-stop', { fault: 'sigcont', target, pid });
    } else {
      await stack('up');
      fault('fault-stop', { fault: 'restart', target });
    }
    injected.push(`${kind} ${target} (pid ${pid}, ${holdMs / 1000} s)`);
  };

  const restart = async (target: string, holdMs: number) => {
    fault('fault-start', { fault: 'restart', target });
    await stack('stop', target);
    await sleep(holdMs);
    await stack('up');
    fault('fault-stop', { fault: 'restart', target });
    injected.push(`restart ${target} (down ${holdMs / 1000} s)`);
  };

  const terminate = async () => {
    const searchUntil = Date.now() + TERMINATE_SEARCH_MS;
    let taken = options.clients.takeAwaiting();
    while (!taken && Date.now() < searchUntil && options.more()) {
      await sleep(500);
      taken = options.clients.takeAwaiting();
    }
    if (!taken) {
      errors.push('terminate: no transfer awaiting approval to terminate');
      return;
    }
    const { group, id } = taken;
    recorder.record('invoke', 'nemesis', 'terminate', { group: group.name, transferId: id });
    const connection = await Connection.connect({ address: options.config.temporalAddress });
    try {
      const client = new Client({ connection, namespace: options.config.TEMPORAL_NAMESPACE });
      await client.workflow.getHandle(transferWorkflowId(id)).terminate('history nemesis: an operator terminates the workflow');
      recorder.record('info', 'nemesis', 'terminate', { terminated: true });
      injected.push(`terminate transfer ${id} (${group.name})`);
    } catch (error) {
      recorder.record('info', 'nemesis', 'terminate', { error: (error as Error).message });
      errors.push(`terminate ${id}: ${(error as Error).message}`);
    } finally {
      await connection.close();
    }
    options.clients.putAwaiting(group, id);
  };

  const healAll = async () => {
    for (const [pid, target] of stopped) {
      try {
        process.kill(pid, 'SIGCONT');
        fault('fault-stop', { fault: 'sigcont', target, pid });
      } catch {
        // The process is gone; `up` below starts its component again.
      }
      stopped.delete(pid);
    }
    await stack('up');
  };

  const done = (async () => {
    await sleep(options.startDelayMs);
    for (const f of schedule) {
      if (!options.more()) break;
      try {
        if (f.kind === 'terminate') await terminate();
        else if (f.kind === 'restart') await restart(f.target, f.holdMs);
        else await signal(f.kind, f.target, f.holdMs);
      } catch (error) {
        errors.push(`${f.kind}${'target' in f ? ` ${f.target}` : ''}: ${(error as Error).message.slice(0, 500)}`);
        await healAll().catch((e: Error) => errors.push(`heal: ${e.message.slice(0, 500)}`));
      }
      await sleep(options.gapMs);
    }
    options.finished();
  })();
  return { done, injected, errors, healAll };
}
