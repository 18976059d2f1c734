/**
 * Pushed status changes of transfers: one dedicated PostgreSQL connection
 * LISTENs on the channel the transfers table's trigger notifies
 * (migrations/003_transfer_status_notify.sql), and wakes the watches opened on
 * the transfer named in each notification. The gateway answers `?wait=true`
 * (and the decisions) this way instead of polling the row.
 *
 * A notification tells that a row may have moved, not what it now holds: a
 * woken watcher reads the row. Besides status moves, the trigger announces a
 * refused reversal (migrations/007_reversal_refusals.sql), which moves no
 * status: a request waiting for a reversal's outcome wakes on it too. When the connection drops (a PostgreSQL
 * restart), notifications sent meanwhile are lost, so the listener reconnects
 * with backoff and, once it listens again, wakes every open watch to read its
 * row once more. A watcher never depends on the listener being up: it also
 * reads its row at its own deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { TRANSFER_STATUSES, type TransferStatus } from './status';
import type { TransferRecord } from './store';

/** The channel of migrations/003_transfer_status_notify.sql. */
export const TRANSFER_STATUS_CHANNEL = 'transfer_status';
/**
 * The channel of a batch's status moves (migrations/013_transfer_batches.sql).
 * Its notification wakes every watch on the batch's id unconditionally: the
 * waiter reads the batch's row and decides (batch statuses are not transfer
 * statuses, so a transfer condition cannot judge them).
 */
export const BATCH_STATUS_CHANNEL = 'transfer_batch_status';

export interface StatusNotification {
  id: string;
  status: TransferStatus;
  /** The transfer's reversal was refused by the ledger (the transfer stays `posted`). */
  reversalRefused: boolean;
}

/**
 * What a waiter waits for, asked of a notification and of the row it then
 * reads: the transfer's status, and whether its reversal was refused. (A
 * condition on the status alone, `(status) => …`, fits as it is.)
 */
export type TransferCondition = (status: TransferStatus, reversalRefused: boolean) => boolean;

/** The condition's arguments as a stored row gives them. */
export function meetsCondition(transfer: TransferRecord, condition: TransferCondition): boolean {
  return condition(transfer.status, transfer.reversal?.refusal != null);
}

/** The trigger's payload `{"id": …, "status": …, "reversal": "refused" | null}`; null for anything else (logged by the caller). */
export function parseStatusNotification(payload: string | undefined): StatusNotification | null {
  try {
    const parsed = JSON.parse(payload ?? '') as { id?: unknown; status?: unknown; reversal?: unknown };
    if (typeof parsed.id === 'string' && TRANSFER_STATUSES.includes(parsed.status as TransferStatus)) {
      return { id: parsed.id, status: parsed.status as TransferStatus, reversalRefused: parsed.reversal === 'refused' };
    }
  } catch {
    // falls through
  }
  return null;
}

/** The batch id of the batch trigger's payload `{"id": …, "status": …}`; null for anything else. */
export function batchIdOf(payload: string | undefined): string | null {
  try {
    const parsed = JSON.parse(payload ?? '') as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : null;
  } catch {
    return null;
  }
}

/** One waiting request's view of one transfer. */
export interface StatusWatch {
  /**
   * Resolves true as soon as the row may hold a wanted status (a notification
   * of one, or the listener listening again after a gap), false when
   * `timeoutMs` passes first. A wake-up that came before the call is kept for
   * it, so nothing heard between opening the watch and waiting is lost.
   */
  next(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface TransferStatusListener {
  /** Opens a watch on a transfer; only notifications `wanted` accepts wake it. Close it when done. */
  watch(transferId: string, wanted: TransferCondition): StatusWatch;
  /** Whether LISTEN is in effect right now. */
  isListening(): boolean;
  /** Open watches (bounded by the requests in flight). */
  watchCount(): number;
  /** Stops listening for good; open watches are woken so their waiters answer. */
  close(): Promise<void>;
}

export interface TransferStatusListenerOptions {
  /** The `transfers` database (lib/config.ts databaseUrl). */
  connectionString: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  backoffMsMin?: number;
  backoffMsMax?: number;
}

class Watch implements StatusWatch {
  private woken = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly wanted: TransferCondition,
    private readonly onClose: (watch: Watch) => void,
  ) {}

  /** `null`: the listener cannot say what happened meanwhile (it was not listening); the waiter must look. */
  hear(notification: StatusNotification | null): void {
    if (notification !== null && !this.wanted(notification.status, notification.reversalRefused)) return;
    this.woken = true;
    this.wake?.();
  }

  async next(timeoutMs: number): Promise<boolean> {
    if (!this.woken && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    const woken = this.woken;
    this.woken = false;
    return woken;
  }

  close(): void {
    this.onClose(this);
  }
}

/** Starts listening in the background (the first connection is attempted at once); never throws for a database that is down. */
export function startTransferStatusListener(options: TransferStatusListenerOptions): TransferStatusListener {
  const backoffMsMin = options.backoffMsMin ?? 100;
  const backoffMsMax = options.backoffMsMax ?? 5_000;
  const watches = new Map<string, Set<Watch>>();
  const stopping = new AbortController();
  let client: Client | null = null;
  let listening = false;

  const wakeAll = () => {
    for (const set of watches.values()) for (const watch of set) watch.hear(null);
  };

  const dispatch = (payload: string | undefined) => {
    const notification = parseStatusNotification(payload);
    if (!notification) {
      options.logger.warn({ payload }, 'unreadable transfer status notification ignored');
      return;
    }
    for (const watch of watches.get(notification.id) ?? []) watch.hear(notification);
  };

  const dispatchBatch = (payload: string | undefined) => {
    const id = batchIdOf(payload);
    if (id === null) {
      options.logger.warn({ payload }, 'unreadable batch status notification ignored');
      return;
    }
    for (const watch of watches.get(id) ?? []) watch.hear(null);
  };

  const countWatches = () => {
    let count = 0;
    for (const set of watches.values()) count += set.size;
    return count;
  };

  /** One connection's life: returns when it ends (or could not be made), true if it listened. */
  const listenOnce = async (): Promise<boolean> => {
    const connection = new Client({ connectionString: options.connectionString, application_name: options.applicationName, keepAlive: true });
    client = connection;
    const ended = new Promise<Error | null>((resolve) => {
      // Heard before connect(): an 'error' event nobody hears would crash the process.
      connection.on('error', (error) => resolve(error));
      connection.on('end', () => resolve(null));
    });
    connection.on('notification', (message) => {
      if (message.channel === TRANSFER_STATUS_CHANNEL) dispatch(message.payload);
      if (message.channel === BATCH_STATUS_CHANNEL) dispatchBatch(message.payload);
    });
    try {
      await connection.connect();
      await connection.query(`LISTEN ${TRANSFER_STATUS_CHANNEL}; LISTEN ${BATCH_STATUS_CHANNEL}`);
      if (stopping.signal.aborted) return true;
      listening = true;
      options.logger.info({ watches: countWatches() }, 'listening for transfer status changes');
      // Whatever moved while nobody listened was not heard: every waiter looks again.
      wakeAll();
      const error = await ended;
      if (!stopping.signal.aborted) options.logger.warn({ err: error ?? undefined }, 'transfer status listener lost its connection; reconnecting');
      return true;
    } catch (error) {
      if (!stopping.signal.aborted) options.logger.warn({ err: error }, 'transfer status listener could not connect; retrying');
      return false;
    } finally {
      listening = false;
      client = null;
      // Not awaited: a connection the server already dropped may never say 'end' again.
      connection.end().catch(() => undefined);
    }
  };

  const loop = (async () => {
    let backoffMs = backoffMsMin;
    while (!stopping.signal.aborted) {
      if (await listenOnce()) backoffMs = backoffMsMin;
      // Jitter, so that the gateways of a cluster do not reconnect in step.
      await sleep(backoffMs / 2 + Math.random() * (backoffMs / 2), undefined, { signal: stopping.signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, backoffMsMax);
    }
  })();

  const remove = (id: string) => (watch: Watch) => {
    const set = watches.get(id);
    set?.delete(watch);
    if (set?.size === 0) watches.delete(id);
  };

  return {
    watch(transferId, wanted) {
      // A batch id is watched the same way (BATCH_STATUS_CHANNEL): ids are UUIDs, never shared by a transfer and a batch.
      const watch = new Watch(wanted, remove(transferId));
      const set = watches.get(transferId) ?? new Set<Watch>();
      set.add(watch);
      watches.set(transferId, set);
      return watch;
    },
    isListening: () => listening,
    watchCount: countWatches,
    async close() {
      stopping.abort();
      client?.end().catch(() => undefined);
      await loop;
      wakeAll();
    },
  };
}

export interface WaitForStatusInput {
  /** Opened before `seen` was read, so any later move wakes it. */
  watch: StatusWatch;
  seen: TransferRecord;
  /** Reads the row (one query). */
  read: () => Promise<TransferRecord | null>;
  done: TransferCondition;
  /** Epoch ms. */
  deadline: number;
}

/**
 * Waits until the transfer is `done` or the deadline passes, and
 * returns the row as it then stands. The row is read only when the watch is
 * woken, and once at the deadline: the listener may have been down all along,
 * and the answer must still be the row as it is. A read that fails (the
 * database restarting) keeps the last row seen: the transfer exists, and its
 * client follows its Location.
 */
export async function waitForStatus(input: WaitForStatusInput): Promise<TransferRecord> {
  let current = input.seen;
  while (!meetsCondition(current, input.done)) {
    const woken = await input.watch.next(input.deadline - Date.now());
    current = (await input.read().catch(() => null)) ?? current;
    if (!woken) break;
  }
  return current;
}
