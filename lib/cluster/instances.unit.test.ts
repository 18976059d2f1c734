/**
 * Copies of a service behind one port (lib/cluster): a real primary with two
 * copies (test/fixture-service.ts, run through tsx as its own process) must
 * hand connections to both, answer /metrics with their counters summed and
 * its own instance series, start a copy killed with SIGKILL again, and stop
 * every copy on SIGTERM. The count comes from an environment variable,
 * validated with its name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { instancesFromEnv } from './instances';

const FIXTURE = path.join(__dirname, 'test', 'fixture-service.ts');
const WAIT_MS_MAX = 45_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/** A fresh connection per request (no keep-alive), so the primary hands each to a copy of its choosing. */
async function get(port: number, urlPath: string): Promise<string> {
  const answer = await fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { connection: 'close' } });
  if (!answer.ok) throw new Error(`GET ${urlPath}: ${answer.status}`);
  return answer.text();
}

function sample(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(' ').pop());
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS_MAX;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('instancesFromEnv', () => {
  it('when the variable is unset or empty, then one instance', () => {
    expect(instancesFromEnv('X_INSTANCES', {})).toBe(1);
    expect(instancesFromEnv('X_INSTANCES', { X_INSTANCES: ' ' })).toBe(1);
  });

  it('when it is 1 to 16, then that many; otherwise an error naming the variable', () => {
    expect(instancesFromEnv('X_INSTANCES', { X_INSTANCES: '16' })).toBe(16);
    for (const bad of ['0', '17', '2.5', 'two', '-1']) expect(() => instancesFromEnv('X_INSTANCES', { X_INSTANCES: bad })).toThrow(/X_INSTANCES must be an integer from 1 to 16/);
  });
});

describe('two copies behind one port', () => {
  let dir: string;
  let primary: ChildProcess;
  let port: number;
  const pidsFile = () => path.join(dir, 'fixture.instances');
  const listedPids = () => (existsSync(pidsFile()) ? readFileSync(pidsFile(), 'utf8').split('\n').filter(Boolean).map(Number) : []);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'instances-test-'));
    port = await freePort();
    primary = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, FIXTURE_INSTANCES: '2', FIXTURE_PORT: String(port), INSTANCES_FILE: pidsFile(), OTEL_SDK_DISABLED: 'true' },
      stdio: 'inherit',
    });
    await until('two copies listening', () => (listedPids().length === 2 ? true : undefined));
  }, 60_000);

  afterAll(() => {
    if (primary.exitCode === null) primary.kill('SIGKILL');
    for (const pid of listedPids()) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('when requests arrive on the port, then both copies answer and /metrics sums their counters', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) seen.add((JSON.parse(await get(port, '/pid')) as { pid: number }).pid);
    expect([...seen].sort()).toEqual([...listedPids()].sort());

    const metrics = await get(port, '/metrics');
    expect(sample(metrics, 'fixture_answers_total')).toBe(20);
    expect(sample(metrics, 'service_instances')).toBe(2);
    expect(sample(metrics, 'service_instances_desired')).toBe(2);
  });

  it('when a copy is killed with SIGKILL, then the primary starts another and counts the restart', async () => {
    const [victim, survivor] = listedPids();
    if (victim === undefined || survivor === undefined) throw new Error('two copies were listed before the kill');
    process.kill(victim, 'SIGKILL');
    const pids = await until('a new copy', () => {
      const now = listedPids();
      return now.length === 2 && !now.includes(victim) ? now : undefined;
    });
    expect(pids).toContain(survivor);
    expect(sample(await get(port, '/metrics'), 'service_instance_restarts_total')).toBe(1);
  }, 60_000);

  it('when the primary gets SIGTERM, then every copy stops and the primary exits 0', async () => {
    const copies = listedPids();
    const exit = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    primary.kill('SIGTERM');
    expect(await exit).toBe(0);
    await until('the copies gone', () => (copies.every((pid) => !isAlive(pid)) ? true : undefined));
  }, 60_000);
});
