/**
 * Proves the stack's logs stay under their cap (deploy/rotate-log, through
 * which deploy/stack writes every process's output): a writer that goes far
 * past the cap leaves at most 1 + KEPT files, none over the cap, the newest
 * lines in NAME.log and the ones before them in NAME.log.1, .2, whole and in
 * order; a line shows in the file while its writer runs (`deploy/stack logs`
 * follows it live). And that the running stack writes through it: every
 * process deploy/stack started has a rotate-log on its log file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../../lib/config';
import { eventually } from '../support/system';

const ROTATE_LOG = path.join(ROOT_DIR, 'deploy', 'rotate-log');
const DATA_DIR = path.resolve(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'));
const MAX_MB = 0.01;
const MAX_BYTES = Math.floor(MAX_MB * 1024 * 1024);
const KEPT = 2;

const dir = mkdtempSync(path.join(os.tmpdir(), 'rotate-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startWriter(file: string) {
  const child = spawn('python3', [ROTATE_LOG, file, String(MAX_MB), String(KEPT)], { stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited };
}

const lineOf = (n: number) => `{"level":"info","n":${n},"msg":"line ${n} ${'x'.repeat(n % 50)}"}\n`;

describe('deploy/rotate-log', () => {
  it('when a writer goes ten times past the cap, then 1 + KEPT files stay under it, holding the newest lines whole and in order', async () => {
    // Arrange
    const file = path.join(dir, 'app.log');
    const { child, exited } = startWriter(file);
    const total = 2_000; // about 150 KB against a 10 KB cap

    // Act: in chunks of many lines, as a busy process writes.
    for (let n = 0; n < total; n += 100) child.stdin.write(Array.from({ length: 100 }, (_, i) => lineOf(n + i)).join(''));
    child.stdin.end();
    expect(await exited).toBe(0);

    // Assert
    expect(readdirSync(dir).filter((name) => name.startsWith('app.log')).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    const files = [`${file}.2`, `${file}.1`, file];
    for (const name of files) expect(statSync(name).size).toBeLessThanOrEqual(MAX_BYTES);
    const kept = files.flatMap((name) => readFileSync(name, 'utf8').split('\n').filter(Boolean)).map((line) => JSON.parse(line).n as number);
    expect(kept[kept.length - 1]).toBe(total - 1);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => total - kept.length + i));
    expect(kept.length).toBeGreaterThan((2 * MAX_BYTES) / lineOf(49).length); // the rotated files are full (49: the longest line)
  });

  it('when a line is written, then it is in the file while the writer still runs', async () => {
    const file = path.join(dir, 'live.log');
    const { child, exited } = startWriter(file);

    child.stdin.write(lineOf(1));
    const seen = await eventually(async () => (existsSync(file) ? readFileSync(file, 'utf8') : ''), (text) => text.includes('"n":1'), 5_000);

    child.stdin.end();
    await exited;
    expect(seen).toBe(lineOf(1));
  });
});

/** The rotate-log processes running, by the log file they write. */
function rotatorsByFile(): Set<string> {
  const files = new Set<string>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    const at = argv.findIndex((arg) => arg.endsWith('/rotate-log'));
    const file = at >= 0 ? argv[at + 1] : undefined;
    if (file) files.add(path.resolve(file));
  }
  return files;
}

describe('the running stack', () => {
  it('when deploy/stack has started processes, then each one\'s log is written through rotate-log', () => {
    const runDir = path.join(DATA_DIR, 'run');
    const logDir = path.join(DATA_DIR, 'logs');
    const started = readdirSync(runDir).flatMap((name) => {
      if (name.endsWith('.pid')) return [name.slice(0, -'.pid'.length)];
      return name === 'postgres.pid.kind' ? ['postgres'] : [];
    });
    const logOf = (name: string) => {
      const file = path.join(logDir, `${name}.log`);
      // Where PostgreSQL's cluster lives outside DATA_DIR, its log is there too, linked from logs/.
      const target = readlinkOrNull(file);
      return target ? path.resolve(logDir, target) : file;
    };
    const rotators = rotatorsByFile();

    const unrotated = started.filter((name) => !rotators.has(logOf(name)));

    expect(started).toEqual(expect.arrayContaining(['postgres', 'kafka', 'temporal', 'prometheus', 'trace-sink']));
    expect(unrotated).toEqual([]);
  });
});

function readlinkOrNull(file: string): string | null {
  try {
    return readlinkSync(file);
  } catch {
    return null;
  }
}
