/**
 * The transfer status listener (status-notifications.ts) against the real
 * PostgreSQL of the stack, with the trigger of migration 003: a status that
 * another pool records (as the worker does) wakes the watch on that transfer;
 * so does a reversal recorded refused (migration 007), which moves no status;
 * a wake-up that comes before the waiter waits is kept; when the listener's
 * backend is terminated (what a PostgreSQL restart does) it reconnects and
 * wakes every waiter to look again, so a move made while nobody listened is
 * not lost; and a listener that never connects still lets a waiter answer
 * with the row as it stands at its deadline.
 *
 * The transfers written here name accounts that do not exist and all end
 * `failed`, or `posted` with their reversal refused, so nothing (the
 * gateway's resumer included) acts on them.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseUrl, loadConfig } from '../config';
import { createLogger } from '../logger';
import { createPool, type Pool } from '../pg';
import { migrateTransfers, TRANSFERS_DATABASE, createTransferStore, type TransferRecord, type TransferStore } from './store';
import { parseStatusNotification, startTransferStatusListener, waitForStatus, type TransferCondition, type TransferStatusListener } from './status-notifications';
import type { TransferStatus } from './status';

const config = loadConfig();
const APPLICATION_NAME = `status-listener-test-${process.pid}`;
const logger = createLogger('status-listener-test', 'silent');
const hasLeftPending = (status: TransferStatus) => status !== 'pending';
const FAILED = { status: 'failed', failureCode: 'INSUFFICIENT_FUNDS' } as const;

let gatewayPool: Pool;
let workerPool: Pool;
let gatewayStore: TransferStore;
let workerStore: TransferStore;
let listener: TransferStatusListener;

beforeAll(async () => {
  gatewayPool = createPool(config, TRANSFERS_DATABASE, { applicationName: 'status-listener-test-gateway', maxConnections: 2 });
  workerPool = createPool(config, TRANSFERS_DATABASE, { applicationName: 'status-listener-test-worker', maxConnections: 2 });
  await migrateTransfers(gatewayPool);
  gatewayStore = createTransferStore(gatewayPool);
  workerStore = createTransferStore(workerPool);
  // A slow first retry, so that a terminated listener stays down long enough for a move to happen unheard.
  listener = startTransferStatusListener({ connectionString: databaseUrl(config, TRANSFERS_DATABASE), applicationName: APPLICATION_NAME, logger, backoffMsMin: 1_000 });
  await until(() => listener.isListening());
});

afterAll(async () => {
  await listener.close();
  await gatewayPool.end();
  await workerPool.end();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function pendingTransfer(): Promise<TransferRecord> {
  const created = await gatewayStore.createTransfer({
    principal: 'test',
    idempotencyKey: `status-listener-test-${randomUUID()}`,
    requestHash: 'test',
    transfer: { fromAccountId: randomUUID(), toAccountId: randomUUID(), amountMinor: 1n, currency: 'USD' },
  });
  return created.transfer;
}

/** A posted transfer whose reversal the gateway claimed (the resumer leaves claims alone for 10 s). */
async function claimedReversal(): Promise<TransferRecord> {
  const transfer = await pendingTransfer();
  await workerStore.recordStatus(transfer.id, { status: 'posted', entryId: randomUUID() });
  const claim = await gatewayStore.claimReversal(transfer.id, { reversalId: randomUUID(), principal: 'test', idempotencyKey: `status-listener-test-${randomUUID()}`, traceId: null });
  if (claim.outcome !== 'claimed') throw new Error(`reversal not claimed: ${claim.outcome}`);
  return claim.transfer;
}

/** Reads through the gateway's store, counting the reads. */
function countingRead(id: string) {
  const counter = { reads: 0, read: () => ((counter.reads += 1), gatewayStore.getTransfer(id)) };
  return counter;
}

async function listenerBackendPids(): Promise<number[]> {
  const { rows } = await workerPool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APPLICATION_NAME]);
  return rows.map((r) => r.pid);
}

it('when another pool records a status, then the watch on that transfer wakes and one read finds the new status', async () => {
  const transfer = await pendingTransfer();
  const watch = listener.watch(transfer.id, hasLeftPending);
  const reader = countingRead(transfer.id);
  try {
    const waiting = waitForStatus({ watch, seen: transfer, read: reader.read, done: hasLeftPending, deadline: Date.now() + 60_000 });
    await workerStore.recordStatus(transfer.id, FAILED);

    // Woken well before the 60 s deadline (a lost wake-up would run past the test's timeout).
    const settled = await waiting;
    expect(settled.status).toBe('failed');
    expect(reader.reads).toBe(1);
  } finally {
    watch.close();
  }
  expect(listener.watchCount()).toBe(0);
}, 30_000);

it('when the status moves after the watch opened but before the waiter waits, then the wake-up is kept for it', async () => {
  const transfer = await pendingTransfer();
  const watch = listener.watch(transfer.id, hasLeftPending);
  const witness = listener.watch(transfer.id, hasLeftPending);
  try {
    await workerStore.recordStatus(transfer.id, FAILED);
    // The witness wakes when the notification arrives; the dispatch reached `watch` in the same turn.
    expect(await witness.next(20_000)).toBe(true);

    // `seen` is what a first read made just before the move returned: pending. The wake-up heard since then
    // answers the waiter at once (a lost one would leave it to the 60 s deadline, past the test's timeout).
    const reader = countingRead(transfer.id);
    const settled = await waitForStatus({ watch, seen: transfer, read: reader.read, done: hasLeftPending, deadline: Date.now() + 60_000 });
    expect(settled.status).toBe('failed');
    expect(reader.reads).toBe(1);
  } finally {
    watch.close();
    witness.close();
  }
}, 30_000);

it('when a notification names another transfer or a status the watch does not want, then it does not wake', async () => {
  const transfer = await pendingTransfer();
  const other = await pendingTransfer();
  const terminal = listener.watch(transfer.id, (status) => status === 'failed');
  const witness = listener.watch(transfer.id, hasLeftPending);
  const otherWitness = listener.watch(other.id, hasLeftPending);
  try {
    await workerStore.recordStatus(other.id, FAILED);
    await workerStore.recordStatus(transfer.id, { status: 'awaiting_approval' });
    expect(await otherWitness.next(20_000)).toBe(true);
    expect(await witness.next(20_000)).toBe(true);

    expect(await terminal.next(0)).toBe(false);
    await workerStore.recordStatus(transfer.id, FAILED);
    expect(await terminal.next(20_000)).toBe(true);
  } finally {
    terminal.close();
    witness.close();
    otherWitness.close();
  }
}, 60_000);

it('when a transfer\'s reversal is recorded refused, then a watch on the reversal\'s outcome wakes (no status moved) and one read finds it refused; a watch on `reversed` alone does not', async () => {
  const transfer = await claimedReversal();
  const reversalSettled: TransferCondition = (status, reversalRefused) => status === 'reversed' || reversalRefused;
  const watch = listener.watch(transfer.id, reversalSettled);
  const reversedOnly = listener.watch(transfer.id, (status) => status === 'reversed');
  const reader = countingRead(transfer.id);
  try {
    const waiting = waitForStatus({ watch, seen: transfer, read: reader.read, done: reversalSettled, deadline: Date.now() + 60_000 });
    await workerStore.recordReversalRefused(transfer.id, { failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'no funds' });

    // Woken well before the 60 s deadline: a refusal that did not notify would run past the test's timeout.
    const settled = await waiting;
    expect(settled).toMatchObject({ status: 'posted', reversal: { refusal: { code: 'INSUFFICIENT_FUNDS' } } });
    expect(reader.reads).toBe(1);
    expect(await reversedOnly.next(0)).toBe(false);
  } finally {
    watch.close();
    reversedOnly.close();
  }
}, 30_000);

it('when a notification payload is read, then the reversal refused is told from a status move, and an older payload without it still parses', () => {
  const id = randomUUID();
  expect(parseStatusNotification(JSON.stringify({ id, status: 'posted', reversal: 'refused' }))).toEqual({ id, status: 'posted', reversalRefused: true });
  expect(parseStatusNotification(JSON.stringify({ id, status: 'failed', reversal: null }))).toEqual({ id, status: 'failed', reversalRefused: false });
  expect(parseStatusNotification(JSON.stringify({ id, status: 'failed' }))).toEqual({ id, status: 'failed', reversalRefused: false });
  expect(parseStatusNotification(JSON.stringify({ id, status: 'refused' }))).toBeNull();
});

it('when the listener backend is terminated, then it reconnects and a move made meanwhile still wakes its waiter', async () => {
  const [pidBefore] = await listenerBackendPids();
  const transfer = await pendingTransfer();
  const watch = listener.watch(transfer.id, hasLeftPending);
  const reader = countingRead(transfer.id);
  try {
    const waiting = waitForStatus({ watch, seen: transfer, read: reader.read, done: hasLeftPending, deadline: Date.now() + 60_000 });
    await workerPool.query('SELECT pg_terminate_backend($1)', [pidBefore]);
    await until(() => !listener.isListening());
    // Recorded while nobody listens: its notification goes to no one.
    await workerStore.recordStatus(transfer.id, FAILED);

    const settled = await waiting;
    expect(settled.status).toBe('failed');
    expect(listener.isListening()).toBe(true);
    expect(await listenerBackendPids()).not.toContain(pidBefore);
  } finally {
    watch.close();
  }

  // And it hears notifications again.
  const next = await pendingTransfer();
  const nextWatch = listener.watch(next.id, hasLeftPending);
  try {
    await workerStore.recordStatus(next.id, FAILED);
    expect(await nextWatch.next(20_000)).toBe(true);
  } finally {
    nextWatch.close();
  }
}, 60_000);

it('when the listener cannot connect at all, then a waiter still answers at its deadline with the row as it stands', async () => {
  const down = startTransferStatusListener({
    connectionString: databaseUrl({ ...config, PGPORT: 1 }, TRANSFERS_DATABASE),
    applicationName: `${APPLICATION_NAME}-down`,
    logger,
  });
  const transfer = await pendingTransfer();
  const watch = down.watch(transfer.id, hasLeftPending);
  try {
    await workerStore.recordStatus(transfer.id, FAILED);
    const settled = await waitForStatus({ watch, seen: transfer, read: () => gatewayStore.getTransfer(transfer.id), done: hasLeftPending, deadline: Date.now() + 500 });

    expect(down.isListening()).toBe(false);
    expect(settled.status).toBe('failed');
  } finally {
    watch.close();
    await down.close();
  }
}, 30_000);
