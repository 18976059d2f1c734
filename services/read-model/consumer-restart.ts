/**
 * Restarts the projection consumer after a crash kafkajs gave up on.
 *
 * kafkajs restarts a crashed consumer only when the error is retriable. A
 * broker that stops while the group is busy can crash it with one that is
 * not (KafkaJSNonRetriableError "Failed to find group coordinator", seen when
 * the broker went away mid-rejoin): kafkajs then disconnects the consumer and
 * leaves it stopped for good, and the read model falls behind for ever while
 * its HTTP side still answers. This starts it again, with backoff, until it
 * runs or the service stops.
 */
import type { Logger } from '../../lib/logger';
import { backoffDelayMs, sleep as defaultSleep, type BackoffPolicy } from './retry';

export const RESTART_BACKOFF: BackoffPolicy = { initialDelayMs: 1_000, maxDelayMs: 15_000 };

export interface ConsumerRestartOptions {
  /** Connects, subscribes and runs the consumer; a crash while it starts is reported through `crashed`. */
  start: () => Promise<void>;
  /** Undoes a start that failed half-way. */
  disconnect: () => Promise<void>;
  logger: Logger;
  groupId: string;
  backoff?: BackoffPolicy;
  sleep?: (ms: number) => Promise<void>;
}

export class ConsumerRestarter {
  private stopping = false;
  private restarting = false;
  /** What the last crash during a restart's start said: null when none came. */
  private crashDuringStart: 'kafkajs restarts' | 'stopped' | null = null;
  /** Restarts done so far (a gauge of trouble in tests and logs). */
  restarts = 0;

  constructor(private readonly options: ConsumerRestartOptions) {}

  /** kafkajs's CRASH event: `restart` is whether kafkajs restarts the consumer itself. */
  crashed(restart: boolean): void {
    this.crashDuringStart = restart ? 'kafkajs restarts' : 'stopped';
    if (restart || this.restarting || this.stopping) return;
    void this.restartUntilRunning();
  }

  /** No restart after this (the service is stopping); one under way gives up at its next step. */
  stop(): void {
    this.stopping = true;
  }

  /** Resolves once the consumer runs again, or the service stops. */
  private async restartUntilRunning(): Promise<void> {
    const { start, disconnect, logger, groupId } = this.options;
    const sleep = this.options.sleep ?? defaultSleep;
    this.restarting = true;
    try {
      for (let attempt = 1; !this.stopping; attempt++) {
        await sleep(backoffDelayMs(attempt, this.options.backoff ?? RESTART_BACKOFF));
        if (this.stopping) return;
        this.crashDuringStart = null;
        try {
          await start();
        } catch (error) {
          logger.warn({ err: error, group_id: groupId, attempt }, 'consumer restart failed; trying again');
          await disconnect().catch(() => undefined);
          continue;
        }
        // kafkajs reports a failed start as a crash, not by throwing: a retriable one it restarts itself.
        if (this.crashDuringStart === 'stopped') continue;
        this.restarts += 1;
        logger.warn({ group_id: groupId, attempt }, 'consumer restarted after a crash kafkajs does not recover from');
        return;
      }
    } finally {
      this.restarting = false;
    }
  }
}
