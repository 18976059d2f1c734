/**
 * Failure drill: the read model (whose process is the projections' Kafka
 * consumer) is killed with SIGKILL in the middle of a batch, with events
 * applied to PostgreSQL whose offsets are not committed to Kafka yet, and
 * restarted 3 s later by `deploy/stack up`. The restarted consumer is given
 * those events again; its processed-events table must turn each into a
 * no-op, so that the read model's balances and statement lines equal the
 * ledger's exactly (no double count) and the contract's invariants hold once
 * the system is idle.
 * How: to land the kill mid-batch for sure, the drill holds a lock on the
 * read model's processed_events table until events pile up in Kafka, releases
 * it, and kills the process as soon as its applied positions
 * (applied_positions, written with each event) run ahead of the group's
 * committed offsets (should a small batch be applied and committed between
 * two looks, it piles events up again, up to 5 times; should the batch commit
 * between the last look and the kill, it restarts the read model and tries
 * again, up to 3 kills). It reports how many
 * applied events were uncommitted at the kill and how many redeliveries the
 * restarted consumer dropped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from '../../services/read-model/consumer';
import { runDrill, violationsOf, type DrillContext } from './support/drill';
import { signalComponent, stack } from './support/stack';

// Enough for batches of several events per partition: the window between apply and commit must outlast a look (two queries).
const PILE_UP_EVENTS_MIN = 60n;
// Below the consumer's 30 s session timeout: held longer, the blocked consumer would be rebalanced out of its group.
const PILE_UP_WAIT_MS_MAX = 25_000;
const MID_BATCH_WAIT_MS_MAX = 10_000;
const MID_BATCH_ATTEMPTS_MAX = 5;
/** Kills that may land at a batch boundary before the drill gives up (and fails its own check). */
const KILLS_MAX = 3;

/** Applied (in PostgreSQL) minus committed (in Kafka), summed over partitions: events a crash now would redeliver. */
async function appliedNotCommitted(ctx: DrillContext): Promise<number> {
  const [{ rows }, committed] = await Promise.all([
    ctx.pools.readModel.query(`SELECT topic, partition, next_offset::text AS next_offset FROM read_model.applied_positions`),
    ctx.kafkaAdmin.fetchOffsets({ groupId: READ_MODEL_GROUP_ID, topics: [...CONSUMED_TOPICS] }),
  ]);
  const committedAt = new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, BigInt(p.offset)] as const)));
  let ahead = 0n;
  for (const row of rows) {
    const delta = BigInt(row.next_offset) - (committedAt.get(`${row.topic}/${row.partition}`) ?? 0n);
    if (delta > 0n) ahead += delta;
  }
  return Number(ahead);
}

/** Blocks every apply until events pile up in Kafka, then lets the consumer go and returns the lag it faced. */
async function pileUpEvents(ctx: DrillContext): Promise<bigint> {
  const client = await ctx.pools.readModel.connect();
  let lag = 0n;
  try {
    await client.query('BEGIN');
    await client.query('LOCK TABLE read_model.processed_events IN EXCLUSIVE MODE');
    const until = Date.now() + PILE_UP_WAIT_MS_MAX;
    while (lag < PILE_UP_EVENTS_MIN && Date.now() < until) {
      await sleep(200);
      lag = await ctx.consumerLag().catch(() => lag);
    }
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    client.release();
  }
  return lag;
}

let uncommittedAtKill = -1;

/** Piles events up, lets the consumer go, and waits for it to be mid-batch; false if the window was missed. */
async function reachMidBatch(ctx: DrillContext): Promise<{ lag: bigint; midBatch: boolean }> {
  const lag = await pileUpEvents(ctx);
  const until = Date.now() + MID_BATCH_WAIT_MS_MAX;
  while (Date.now() < until) {
    if ((await appliedNotCommitted(ctx).catch(() => 0)) > 0) return { lag, midBatch: true };
    await sleep(10);
  }
  return { lag, midBatch: false };
}

/** Waits (piling events up again, if need be) until the consumer is mid-batch; how many events the last pile-up held. */
async function untilMidBatch(ctx: DrillContext): Promise<bigint> {
  // A small batch can be applied and committed between two looks: pile up again rather than kill at a batch boundary.
  let reached = { lag: 0n, midBatch: false };
  for (let looks = 0; !reached.midBatch && looks < MID_BATCH_ATTEMPTS_MAX; looks++) reached = await reachMidBatch(ctx);
  return reached.lag;
}

async function killMidBatch(ctx: DrillContext): Promise<string> {
  let kills = 0;
  let lag = 0n;
  let pid = 0;
  for (;;) {
    kills += 1;
    lag = await untilMidBatch(ctx);
    pid = signalComponent('read-model', 'SIGKILL');
    // Measured once the process is gone: exactly what the restarted consumer will be given again.
    await sleep(200);
    uncommittedAtKill = await appliedNotCommitted(ctx);
    if (uncommittedAtKill > 0 || kills >= KILLS_MAX) break;
    // The batch committed between the last look and the kill (a fast machine): nothing to redeliver. Restart, try again.
    ctx.notes.push(`kill ${kills} landed at a batch boundary (nothing uncommitted); read model restarted for another try`);
    await stack('up');
  }
  return (
    `SIGKILL to the read model (pid ${pid}, kill ${kills}) after ${lag} events piled up behind a lock, ` +
    `with ${uncommittedAtKill} applied events not yet committed to Kafka`
  );
}

it('when the read-model consumer is killed mid-batch and restarted, then redelivered events are not counted twice and the invariants hold', async () => {
  const result = await runDrill({
    name: 'consumer',
    fault: 'read-model consumer SIGKILL mid-batch, restarted after 3 s',
    faulted: ['read-model'],
    holdMs: 3_000,
    inject: killMidBatch,
    extraChecks: async () => [
      {
        name: 'the kill landed mid-batch',
        violations: uncommittedAtKill > 0 ? [] : ['no applied event was uncommitted at the kill: it did not land mid-batch, nothing was redelivered'],
      },
    ],
    afterRecovery: async (ctx) => {
      const metrics = await (await fetch(`http://127.0.0.1:${ctx.config.READ_MODEL_PORT}/metrics`)).text();
      const duplicates = metrics
        .split('\n')
        .filter((line) => line.startsWith('events_skipped_total{') && line.includes('reason="duplicate"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
      ctx.notes.push(`the restarted consumer dropped ${duplicates} redelivered events as already applied`);
    },
  });
  expect(violationsOf(result)).toEqual([]);
});
