/**
 * deploy/stack.d/apps.sh writes Prometheus's configuration for the workers
 * the stack runs: with WORKER_INSTANCES=N the jobs `worker` and
 * `temporal-worker` list every worker's port (worker K on the first's + 10 x
 * (K - 1), as the stack starts them and the bench expects), and nothing else
 * changes; with 1 it is deploy/prometheus/prometheus.yml with its ports filled
 * in. The function is run by bash as deploy/stack runs it, on
 * deploy/defaults.env's ports; promtool (Debian's prometheus package, which
 * deploy/stack installs) checks the result when it is on PATH.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseEnvFile, ROOT_DIR } from '../../lib/config';
import { WORKER_PORT_STEP } from '../../lib/cluster/instance';

interface ScrapeJob {
  job_name: string;
  static_configs: { targets: string[] }[];
}

const defaults = parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8'));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'scale-out-config-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** render_prometheus_config with WORKER_INSTANCES=workers; the rendered file's text. */
function render(workers: number): string {
  const out = path.join(dir, `prometheus-${workers}.yml`);
  const script = 'say() { :; }; fail() { echo "$*" >&2; exit 1; }; source "$DEPLOY/stack.d/apps.sh"; render_prometheus_config "$1"';
  execFileSync('bash', ['-c', script, 'render', out], {
    env: { ...process.env, ...defaults, DEPLOY: path.join(ROOT_DIR, 'deploy'), RUN_DIR: dir, WORKER_INSTANCES: String(workers) },
  });
  return readFileSync(out, 'utf8');
}

const targetsOf = (text: string, job: string) =>
  (parse(text) as { scrape_configs: ScrapeJob[] }).scrape_configs.find((j) => j.job_name === job)!.static_configs.flatMap((c) => c.targets);

function promtoolAccepts(text: string): void {
  const file = path.join(dir, 'check.yml');
  execFileSync('bash', ['-c', 'cat > "$1"', 'write', file], { input: text });
  try {
    execFileSync('promtool', ['check', 'config', '--syntax-only', file], { stdio: 'pipe' });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: Buffer; stderr?: Buffer };
    if (e.code === 'ENOENT') return; // no promtool here: the YAML checks above still ran
    throw new Error(`promtool rejects the rendered config: ${e.stdout?.toString()}${e.stderr?.toString()}`);
  }
}

describe('Prometheus targets for the workers the stack runs', () => {
  const metrics = Number(defaults.WORKER_METRICS_PORT);
  const temporalMetrics = Number(defaults.WORKER_TEMPORAL_METRICS_PORT);

  it('when one worker runs, then each worker job scrapes its one port', () => {
    const text = render(1);
    expect(targetsOf(text, 'worker')).toEqual([`127.0.0.1:${metrics}`]);
    expect(targetsOf(text, 'temporal-worker')).toEqual([`127.0.0.1:${temporalMetrics}`]);
    promtoolAccepts(text);
  });

  it('when three workers run, then both worker jobs scrape all three, and every other job is as with one', () => {
    const one = render(1);
    const three = render(3);
    const ports = (first: number) => [0, 1, 2].map((k) => `127.0.0.1:${first + k * WORKER_PORT_STEP}`);
    expect(targetsOf(three, 'worker')).toEqual(ports(metrics));
    expect(targetsOf(three, 'temporal-worker')).toEqual(ports(temporalMetrics));
    const others = (text: string) => (parse(text) as { scrape_configs: ScrapeJob[] }).scrape_configs.filter((j) => !['worker', 'temporal-worker'].includes(j.job_name));
    expect(others(three)).toEqual(others(one));
    promtoolAccepts(three);
  });
});
