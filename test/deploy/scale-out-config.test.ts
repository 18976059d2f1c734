/**
 * deploy/stack.d/apps.sh scales a running stack and writes Prometheus's
 * configuration for the workers it runs.
 *
 * Scaling: `up` with a higher *_INSTANCES on a running stack starts what is
 * missing (a clustered service is started again with the new count, workers
 * K above the old count are added), with a lower one stops what is extra,
 * and with none keeps the counts of the last `up`. up_apps runs in bash as
 * deploy/stack runs it, over a sequence of `up`s sharing one run directory,
 * with the process handling stubbed (spawn, stop_pid, port_open), so the test
 * sees exactly which processes each `up` starts and stops.
 *
 * Prometheus: with WORKER_INSTANCES=N the jobs `worker` and
 * `temporal-worker` list every worker's port (worker K on the first's + 10 x
 * (K - 1), as the stack starts them and the bench expects), and nothing else
 * changes; with 1 it is deploy/prometheus/prometheus.yml with its ports filled
 * in. The function is run by bash as deploy/stack runs it, on
 * deploy/defaults.env's ports; promtool (Debian's prometheus package, which
 * deploy/stack installs) checks the result when it is on PATH.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Stand-ins for deploy/stack's process handling: a spawned app "listens" on
 * the port up_app is starting it on (a file named after the port) until it is
 * stopped; each spawn and stop is printed with the copies asked for.
 */
const STUBS = `
say() { :; }
fail() { echo "fail: $*" >&2; exit 1; }
build_apps() { :; }
wait_for() { :; }
port_open() { [[ -f "$RUN_DIR/listening.$1" ]]; }
spawn() { echo "$port" > "$RUN_DIR/$1.pid"; touch "$RUN_DIR/listening.$port"; echo "start $1 x$count"; }
stop_pid() { [[ -f "$RUN_DIR/$1.pid" ]] || return 0; rm -f "$RUN_DIR/listening.$(cat "$RUN_DIR/$1.pid")" "$RUN_DIR/$1.pid"; echo "stop $1"; }
`;

describe('deploy/stack up scales a running stack', () => {
  let runDir: string;
  beforeEach(() => {
    runDir = mkdtempSync(path.join(dir, 'run-'));
    mkdirSync(path.join(runDir, 'logs'));
  });

  /** One `deploy/stack up` of the apps with these counts in its environment; the starts and stops it made, in order. */
  function up(counts: Record<string, number> = {}): string[] {
    const script = `${STUBS}
source "$DEPLOY/stack.d/apps.sh"
APPS=("read-model:$READ_MODEL_PORT:services/read-model/main.ts" "worker:$WORKER_METRICS_PORT:workers/main.ts")
up_apps`;
    const output = execFileSync('bash', ['-c', script], {
      env: {
        PATH: process.env.PATH,
        ...defaults,
        ...Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, String(n)])),
        ROOT: ROOT_DIR,
        DEPLOY: path.join(ROOT_DIR, 'deploy'),
        DATA_DIR: runDir,
        RUN_DIR: runDir,
        LOG_DIR: path.join(runDir, 'logs'),
      },
      encoding: 'utf8',
    });
    return output.split('\n').filter(Boolean);
  }

  it('when the read model goes from 1 to 2 copies and the workers from 1 to 3, then the read model restarts with 2 and worker-2 and worker-3 start', () => {
    expect(up()).toEqual(['start read-model x1', 'start worker x1']);
    expect(up({ READ_MODEL_INSTANCES: 2, WORKER_INSTANCES: 3 })).toEqual(['stop read-model', 'start read-model x2', 'start worker-2 x1', 'start worker-3 x1']);
  });

  it('when `up` is run again without counts, then the last counts hold and nothing is started or stopped', () => {
    up({ READ_MODEL_INSTANCES: 2, WORKER_INSTANCES: 2 });
    expect(up()).toEqual([]);
  });

  it('when the counts go back down to 1, then the read model restarts with 1 and the extra workers stop', () => {
    up({ READ_MODEL_INSTANCES: 2, WORKER_INSTANCES: 3 });
    expect(up({ READ_MODEL_INSTANCES: 1, WORKER_INSTANCES: 1 })).toEqual(['stop read-model', 'start read-model x1', 'stop worker-2', 'stop worker-3']);
    expect(up()).toEqual([]);
  });

  it('when a scaled copy was killed, then `up` starts it again with the counts remembered (the drills\' heal)', () => {
    up({ READ_MODEL_INSTANCES: 2, WORKER_INSTANCES: 2 });
    rmSync(path.join(runDir, `listening.${Number(defaults.WORKER_METRICS_PORT) + WORKER_PORT_STEP}`));
    expect(up()).toEqual(['start worker-2 x1']);
  });
});
