/**
 * N instances of a service behind one address: with `<SERVICE>_INSTANCES` above
 * 1 (ACCOUNTS_INSTANCES, LEDGER_INSTANCES, READ_MODEL_INSTANCES), the process
 * becomes a primary that forks that many copies of itself with Node's
 * `cluster` module; each copy runs the service's `main` and listens on the
 * service's port, which the primary shares among them (it accepts and hands
 * each connection to one copy in turn). The primary runs no service code: it
 * starts the copies one after another (so their start-up lines and migrations
 * do not interleave), forks a copy again when one dies (after a delay that
 * grows while copies die young), forwards SIGTERM and waits for the copies to
 * stop, and answers their requests for the instances' summed metrics
 * (./metrics.ts). A copy whose primary is gone stops itself.
 *
 * Everything a copy does with others must be safe with N: the outbox relays
 * claim rows FOR UPDATE SKIP LOCKED, the read models are one Kafka consumer
 * group, migrations take an advisory lock, the ledger's hold expiry locks
 * each hold and skips one already settled.
 */
import cluster, { type Worker } from 'node:cluster';
import { writeFileSync } from 'node:fs';
import type { Logger } from '../logger';
import { INSTANCE_VARIABLE } from './instance';
import { servePrimaryMetrics } from './metrics';

/** A bound on how many copies one variable may ask for (each keeps its own pools and Kafka clients). */
const INSTANCES_MAX = 16;
const RESTART_DELAY_MS_MIN = 1_000;
const RESTART_DELAY_MS_MAX = 30_000;
/** A copy that lived at least this long resets the restart delay. */
const HEALTHY_LIFETIME_MS = 30_000;
/** How long the primary waits for its copies after SIGTERM (each has a stop deadline of its own, shorter). */
const STOP_DEADLINE_MS = 40_000;

export interface InstancesOptions {
  /** The service's name in logs and metrics. */
  service: string;
  /** The environment variable holding the number of copies, e.g. LEDGER_INSTANCES. */
  variable: string;
  logger: Logger;
  /** The service itself: what each copy runs. */
  main: () => Promise<void>;
}

/** The number of copies `variable` asks for: 1 when unset; an integer 1..16, otherwise a start-up error naming it. */
export function instancesFromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[variable]?.trim();
  if (text === undefined || text === '') return 1;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > INSTANCES_MAX) {
    throw new Error(`${variable} must be an integer from 1 to ${INSTANCES_MAX}, got ${JSON.stringify(text)}`);
  }
  return count;
}

/** Runs `main` in this process (one instance, or a copy), or becomes the primary of N copies. */
export function runInstances(options: InstancesOptions): void {
  if (cluster.isWorker) {
    stopWhenOrphaned(options.logger);
    void options.main();
    return;
  }
  const count = instancesFromEnv(options.variable);
  if (count === 1) {
    void options.main();
    return;
  }
  new Primary(options, count).start();
}

/** The IPC channel to the primary closes when it dies: a copy left alone stops as on SIGTERM, so no orphan keeps the port. */
function stopWhenOrphaned(logger: Logger): void {
  process.once('disconnect', () => {
    logger.warn('the primary process is gone; stopping this instance');
    process.kill(process.pid, 'SIGTERM');
  });
}

class Primary {
  private stopping = false;
  private restartDelayMs = RESTART_DELAY_MS_MIN;
  /** Copy number -> the worker running it, while it lives. */
  private readonly copies = new Map<number, Worker>();
  private readonly listening = new Set<number>();
  private restarts = 0;

  constructor(
    private readonly options: InstancesOptions,
    private readonly count: number,
  ) {}

  start(): void {
    const { logger, service } = this.options;
    logger.info({ instances: this.count, pid: process.pid }, `${service}: starting ${this.count} instances on one port`);
    servePrimaryMetrics(service, () => ({ desired: this.count, listening: this.listening.size, restarts: this.restarts }));
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    void this.startInOrder();
  }

  /** One copy after another: each waits until the previous one listens (or died trying). */
  private async startInOrder(): Promise<void> {
    for (let copy = 1; copy <= this.count && !this.stopping; copy++) await this.fork(copy);
  }

  private fork(copy: number): Promise<void> {
    const { logger } = this.options;
    const startedAt = Date.now();
    const worker = cluster.fork({ [INSTANCE_VARIABLE]: String(copy) });
    this.copies.set(copy, worker);
    return new Promise((resolve) => {
      worker.once('listening', () => {
        this.listening.add(copy);
        this.writeInstancesFile();
        logger.info({ instance: copy, pid: worker.process.pid }, 'instance listening');
        resolve();
      });
      worker.once('exit', (code, signal) => {
        this.copies.delete(copy);
        this.listening.delete(copy);
        this.writeInstancesFile();
        resolve();
        this.onExit(copy, worker.process.pid, code, signal, Date.now() - startedAt);
      });
    });
  }

  private onExit(copy: number, pid: number | undefined, code: number | null, signal: string | null, livedMs: number): void {
    const { logger } = this.options;
    if (this.stopping) {
      logger.info({ instance: copy, pid, code, signal }, 'instance stopped');
      if (this.copies.size === 0) process.exit(0);
      return;
    }
    this.restartDelayMs = livedMs >= HEALTHY_LIFETIME_MS ? RESTART_DELAY_MS_MIN : Math.min(this.restartDelayMs * 2, RESTART_DELAY_MS_MAX);
    logger.warn({ instance: copy, pid, code, signal, lived_ms: livedMs, restart_in_ms: this.restartDelayMs }, 'instance exited; starting it again');
    this.restarts++;
    setTimeout(() => {
      if (!this.stopping) void this.fork(copy);
    }, this.restartDelayMs);
  }

  /** The pids of the listening copies, one a line, for deploy/stack's status and readiness (INSTANCES_FILE, when set). */
  private writeInstancesFile(): void {
    const file = process.env.INSTANCES_FILE;
    if (!file) return;
    const pids = [...this.listening].sort((a, b) => a - b).map((copy) => this.copies.get(copy)?.process.pid);
    writeFileSync(file, pids.map((pid) => `${pid}\n`).join(''));
  }

  private stop(signal: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.options.logger.info({ signal, instances: this.copies.size }, 'stopping every instance');
    if (this.copies.size === 0) process.exit(0);
    // deploy/stack signals the whole process group; a lone SIGTERM to the primary (a bench, a test) reaches the copies here.
    for (const worker of this.copies.values()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      this.options.logger.error({ instances: this.copies.size }, 'instances did not stop in time; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
  }
}
