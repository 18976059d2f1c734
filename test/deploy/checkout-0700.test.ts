/**
 * Proves the native stack starts from a checkout that the `postgres` user cannot
 * enter (a clone under a 0700 directory: root's home, any `mktemp -d`), which
 * is where a newcomer on a fresh machine clones first; and that deleting .data
 * there still gives a clean slate.
 *
 * How: this repository is cloned into a fresh mkdtemp directory (mode 0700),
 * with the working tree's deploy/ laid over the clone (deploy/ is what is under
 * test, uncommitted changes included), node_modules symlinked and TOOLS_DIR
 * pointing at this checkout's .tools, so nothing is downloaded twice. The clone
 * runs `deploy/stack up --infra` on every port of deploy/defaults.env shifted
 * by PORT_SHIFT and with its own DATA_DIR; PostgreSQL is then queried as the
 * ledger role over TCP, restarted the way the drills restart it, and started
 * again after .data was deleted. Everything it made (processes, the clone, the
 * PostgreSQL directory outside the clone) is removed afterwards, also on failure.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { parseEnvFile, ROOT_DIR } from '../../lib/config';
import { portOpen, shiftedPorts } from '../support/ports';

const execFileAsync = promisify(execFile);

/** Far from the default ports and the helpers' shifted sets, and below Linux's ephemeral range (32768). */
const PORT_SHIFT = 21_000;
const STACK_TIMEOUT_MS = 5 * 60_000;
const TEST_TIMEOUT_MS = 6 * 60_000;
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const EXTERNAL_ROOT = '/var/lib/postgresql/credit-ledger/';


/** Whether `postgres` can enter `dir` (every directory on the way must let it). */
async function postgresCanEnter(dir: string): Promise<boolean> {
  try {
    await execFileAsync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir], { cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

const defaults = parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8'));
const ports = shiftedPorts(PORT_SHIFT);
const workDir = mkdtempSync(path.join(os.tmpdir(), 'ledger-0700-'));
const clone = path.join(workDir, 'credit-ledger');
const dataDir = path.join(clone, '.data');
const env = { ...process.env, ...ports, DATA_DIR: dataDir, TOOLS_DIR: path.join(ROOT_DIR, '.tools') };
/** External PostgreSQL homes seen in the clone's link or in the stack's output, to remove at the end. */
const externalHomes = new Set<string>();

function noteExternalHome(output: string): void {
  for (const [, home] of output.matchAll(/PostgreSQL's data goes to (\S+)/g)) if (home) externalHomes.add(home);
  try {
    const target = readlinkSync(path.join(dataDir, 'postgres'));
    if (target.startsWith(EXTERNAL_ROOT)) externalHomes.add(path.dirname(target));
  } catch {
    // No link (yet): PostgreSQL's data was not placed outside the clone.
  }
}

/** Runs the clone's `deploy/stack ARGS...`; throws with the tail of its output on a non-zero exit. */
async function stack(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(path.join(clone, 'deploy', 'stack'), args, {
      cwd: clone,
      env,
      timeout: STACK_TIMEOUT_MS,
      maxBuffer: 10 * 1024 * 1024,
    });
    noteExternalHome(stdout);
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    noteExternalHome(e.stdout ?? '');
    throw new Error(`deploy/stack ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.slice(-4000));
  }
}

/** One query on the ledger database as the ledger role, over TCP as the services connect. */
async function queryAsLedger<T extends object>(sql: string): Promise<T[]> {
  const client = new Client({
    host: '127.0.0.1',
    port: Number(ports.PGPORT),
    user: process.env.PGUSER || defaults.PGUSER,
    password: process.env.PGPASSWORD || defaults.PGPASSWORD,
    database: 'ledger',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Stops a cluster `deploy/stack down` did not know about (an `up` that failed half way), then removes its home. */
async function removeExternalHome(home: string): Promise<void> {
  if (existsSync(path.join(home, 'data', 'postmaster.pid'))) {
    await execFileAsync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', path.join(home, 'data'), '-m', 'immediate', 'stop'], {
      cwd: '/',
    }).catch(() => undefined);
  }
  rmSync(home, { recursive: true, force: true });
}

beforeAll(async () => {
  const busy = [];
  for (const [name, port] of Object.entries(ports)) if (await portOpen(Number(port))) busy.push(`${name}=${port}`);
  if (busy.length > 0) throw new Error(`ports of this test's stack are in use (another run of it?): ${busy.join(', ')}`);
  await execFileAsync('git', ['clone', '--quiet', ROOT_DIR, clone]);
  cpSync(path.join(ROOT_DIR, 'deploy'), path.join(clone, 'deploy'), { recursive: true });
  symlinkSync(path.join(ROOT_DIR, 'node_modules'), path.join(clone, 'node_modules'));
}, 60_000);

afterAll(async () => {
  try {
    if (existsSync(clone)) await stack('down').catch((error: Error) => console.error(error.message));
  } finally {
    for (const home of externalHomes) await removeExternalHome(home);
    rmSync(workDir, { recursive: true, force: true });
  }
}, 2 * 60_000);

describe('the native stack in a checkout postgres cannot enter', () => {
  it(
    'when the stack comes up, then PostgreSQL lives outside the checkout, answers the ledger role and survives a restart',
    async () => {
      expect((statSync(workDir).mode & 0o777).toString(8)).toBe('700');
      expect(await postgresCanEnter(clone)).toBe(false);

      const output = await stack('up', '--infra');

      const pgData = readlinkSync(path.join(dataDir, 'postgres'));
      expect(pgData.startsWith(EXTERNAL_ROOT)).toBe(true);
      expect(await postgresCanEnter(pgData)).toBe(true);
      expect(output).toContain(`PostgreSQL data   ${pgData} (outside the checkout`);
      await queryAsLedger('CREATE TABLE kept_across_restarts (id int PRIMARY KEY)');
      expect(await queryAsLedger<{ role: string }>('SELECT current_user AS role')).toEqual([{ role: 'ledger' }]);
      expect(readFileSync(path.join(dataDir, 'logs', 'postgres.log'), 'utf8')).toContain('database system is ready');

      await stack('stop', 'postgres');
      expect(await portOpen(Number(ports.PGPORT))).toBe(false);
      expect(await stack('up', '--infra')).toContain('starting postgres');
      expect(await queryAsLedger<{ t: string | null }>("SELECT to_regclass('kept_across_restarts')::text AS t")).toEqual([
        { t: 'kept_across_restarts' },
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'when .data is deleted, then the next up starts PostgreSQL from an empty cluster',
    async () => {
      const pgData = readlinkSync(path.join(dataDir, 'postgres'));
      await stack('down');
      rmSync(dataDir, { recursive: true, force: true });

      const output = await stack('up', '--infra');

      expect(output).toContain(`removing the stale PostgreSQL cluster in ${path.dirname(pgData)}`);
      expect(readlinkSync(path.join(dataDir, 'postgres'))).toBe(pgData);
      expect(await queryAsLedger<{ t: string | null }>("SELECT to_regclass('kept_across_restarts')::text AS t")).toEqual([{ t: null }]);
    },
    TEST_TIMEOUT_MS,
  );
});
