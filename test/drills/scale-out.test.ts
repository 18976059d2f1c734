/**
 * Failure drill, scale-out: the stack runs two workers (worker, worker-2)
 * and two read-model instances behind the read model's one port (one Kafka
 * consumer group: deploy/stack.d/apps.sh, lib/cluster/instances.ts). Mid-load,
 * worker-2 and one read-model copy are killed with SIGKILL. The survivors must
 * carry the load (transfers keep being posted while the two are dead); the
 * read model's primary starts its copy again by itself, `deploy/stack up`
 * restarts worker-2 (the heal); then every invariant must hold, and both of
 * each must run again.
 *
 * The stack need not have been started with the instances: the drill scales
 * it to two workers and two read models first (`deploy/stack up` with
 * WORKER_INSTANCES=2 READ_MODEL_INSTANCES=2 on the running stack) and scales
 * it back to the counts it had afterwards the same way. Alone: `npx jest -c jest.drills.config.js --runInBand
 * test/drills/scale-out` (about 2 minutes on a quiet machine).
 * How: runDrill (support/drill.ts) runs the load and the checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORKER_PORT_STEP } from '../../lib/cluster/instance';
import { loadConfig } from '../../lib/config';
import { firstOf } from '../../lib/assert';
import { portOpen } from '../support/ports';
import { runDrill, violationsOf, type Check, type DrillContext } from './support/drill';
import { DATA_DIR, signalComponent, stack } from './support/stack';

const RUN_DIR = path.join(DATA_DIR, 'run');
const INSTANCES = { WORKER_INSTANCES: '2', READ_MODEL_INSTANCES: '2' };
/** Long enough for the survivors to be seen carrying the load, short of the read model's 30 s consumer session timeout. */
const HOLD_MS = 10_000;
const SAMPLE_MS = 1_000;

/** The counts the stack was started with (deploy/stack.d/apps.sh remembers them in run/instances.env). */
function recordedInstances(): Record<string, string> {
  const file = path.join(RUN_DIR, 'instances.env');
  if (!existsSync(file)) return {};
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split('=') as [string, string]));
}

/** Live pids of the read model's copies, as its primary lists them. */
function readModelCopies(): number[] {
  const file = path.join(RUN_DIR, 'read-model.instances');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).filter(isAlive);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs deploy/stack with the instance variables set (they are remembered for the heals that follow). */
async function stackWith(variables: Record<string, string>, ...args: string[]): Promise<void> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    await stack(...args);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

const before = recordedInstances();

beforeAll(async () => {
  await stackWith(INSTANCES, 'up');
  const copies = readModelCopies();
  if (copies.length !== 2) throw new Error(`deploy/stack up with READ_MODEL_INSTANCES=2 left ${copies.length} read-model copies listening, not 2`);
}, 10 * 60_000);

afterAll(async () => {
  await stackWith({ WORKER_INSTANCES: before.WORKER_INSTANCES ?? '1', READ_MODEL_INSTANCES: before.READ_MODEL_INSTANCES ?? '1' }, 'up');
}, 10 * 60_000);

/** While the two are dead: transfers posted (by the surviving worker) and the read model's consumer lag, sampled. */
function watchSurvivors(since: Date, observed: { posted: number; lagMax: bigint }) {
  return async (ctx: DrillContext): Promise<void> => {
    while (!ctx.healing()) {
      const { rows } = await ctx.pools.transfers.query<{ n: string }>(`SELECT count(*) AS n FROM transfers WHERE status = 'posted' AND updated_at >= $1`, [since]);
      observed.posted = Number(firstOf(rows, 'the count').n);
      const lag = await ctx.consumerLag().catch(() => -1n);
      if (lag > observed.lagMax) observed.lagMax = lag;
      await sleep(SAMPLE_MS);
    }
    ctx.notes.push(`while worker-2 and a read-model copy were dead: ${observed.posted} transfers posted, read-model consumer lag up to ${observed.lagMax} events`);
  };
}

async function bothOfEachRun(killedCopy: number): Promise<Check> {
  const config = loadConfig();
  const violations: string[] = [];
  const copies = readModelCopies();
  if (copies.length !== 2) violations.push(`${copies.length} read-model copies listen, not 2`);
  if (copies.includes(killedCopy)) violations.push(`the killed read-model copy ${killedCopy} is still listed`);
  if (!(await portOpen(config.WORKER_METRICS_PORT + WORKER_PORT_STEP))) violations.push('worker-2 does not answer on its metrics port');
  if (!(await portOpen(config.WORKER_METRICS_PORT))) violations.push('worker does not answer on its metrics port');
  return { name: 'two workers and two read-model copies run again', violations };
}

it('when one of two workers and one of two read-model copies are killed with SIGKILL mid-load, then the survivors carry on, both come back and the invariants hold', async () => {
  const observed = { posted: 0, lagMax: 0n };
  let killedCopy = 0;
  let injectedAt = new Date();
  const result = await runDrill({
    name: 'scale-out',
    fault: 'worker-2 and 1 of 2 read-model copies SIGKILL; held 10 s',
    // The survivors keep every port open: nothing the drill watches goes down.
    faulted: [],
    holdMs: HOLD_MS,
    inject: async () => {
      const copies = readModelCopies();
      const [, second] = copies;
      if (copies.length !== 2 || second === undefined) throw new Error(`the read model runs ${copies.length} copies, not 2 (read-model.instances in ${RUN_DIR})`);
      injectedAt = new Date();
      killedCopy = second;
      const worker = signalComponent('worker-2', 'SIGKILL');
      process.kill(killedCopy, 'SIGKILL');
      return `SIGKILL to worker-2 (pid ${worker}) and to read-model copy pid ${killedCopy} (of ${copies.join(', ')})`;
    },
    whileFaulted: (ctx) => watchSurvivors(injectedAt, observed)(ctx),
    extraChecks: async () => [
      await bothOfEachRun(killedCopy),
      { name: 'the surviving worker posted transfers while worker-2 was dead', violations: observed.posted > 0 ? [] : ['no transfer was posted during the hold'] },
    ],
  });
  expect(violationsOf(result)).toEqual([]);
});
