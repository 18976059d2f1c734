/**
 * Failure drill: the read model (whose process is the projections' Kafka
 * consumer) is killed with SIGKILL in the middle of a batch, with events
 * applied to PostgreSQL whose offsets are not committed to Kafka yet, and
 * restarted 3 s later by `deploy/stack up`. The restarted consumer is given
 * those events again; its processed-events table must turn each into a
 * no-op, so that the read model's balances and statement lines equal the
 * ledger's exactly (no double count) and the contract's invariants hold once
 * the system is idle.
 * How: between a batch's PostgreSQL commit and its offset commit lie a few
 * milliseconds. The drill keeps events coming (transfers of its own, at a
 * trickle, so it does not depend on the load still running), piles a batch
 * up behind a lock on processed_events, releases it, and watches the applied
 * positions (applied_positions, written in each batch's transaction) from a
 * tight loop. The moment they move it freezes the read model (SIGSTOP),
 * gives an offset commit already on its way time to land, and compares them
 * with the group's committed offsets: ahead, the kill (SIGKILL) lands
 * mid-batch for sure and those events will be redelivered; not ahead, it
 * thaws the process (SIGCONT) and watches for the next batch. It reports how
 * many applied events were uncommitted at the kill and how many redeliveries
 * the restarted consumer dropped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PoolClient } from 'pg';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from '../../services/read-model/consumer';
import { runDrill, violationsOf, type DrillContext } from './support/drill';
import { signalComponent } from './support/stack';

// Enough for a batch of several events per partition.
const PILE_UP_EVENTS_MIN = 60n;
// Well below the consumer's 30 s session timeout: held longer, the blocked consumer would be rebalanced out of its group.
const PILE_UP_WAIT_MS_MAX = 10_000;
// How long the released batch, and the small ones after it, are watched before the next pile-up.
const WATCH_MS = 5_000;
// Ample for an offset commit already written to the broker's socket to be committed.
const IN_FLIGHT_COMMIT_MS = 300;
// Pile-ups before the drill gives up (and fails its own check).
const ATTEMPTS_MAX = 6;
// The drill's own events: transfers between two accounts of its own, a few per second.
const TRICKLE_INTERVAL_MS = 200;

type Offsets = Map<string, bigint>;

async function committedOffsets(ctx: DrillContext): Promise<Offsets> {
  const committed = await ctx.kafkaAdmin.fetchOffsets({ groupId: READ_MODEL_GROUP_ID, topics: [...CONSUMED_TOPICS] });
  return new Map(committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, BigInt(p.offset)] as const)));
}

/** Applied (in PostgreSQL) minus committed (in Kafka), summed over partitions: events a crash now would redeliver. */
async function appliedNotCommitted(ctx: DrillContext, watcher: PoolClient): Promise<number> {
  const [{ rows }, committed] = await Promise.all([
    watcher.query(`SELECT topic, partition, next_offset::text AS next_offset FROM read_model.applied_positions`),
    committedOffsets(ctx),
  ]);
  let ahead = 0n;
  for (const row of rows) {
    const delta = BigInt(row.next_offset) - (committed.get(`${row.topic}/${row.partition}`) ?? 0n);
    if (delta > 0n) ahead += delta;
  }
  return Number(ahead);
}

/** One number that moves whenever a batch commits in PostgreSQL. */
async function appliedTotal(watcher: PoolClient): Promise<string> {
  const { rows } = await watcher.query(`SELECT coalesce(sum(next_offset), 0)::text AS total FROM read_model.applied_positions`);
  return rows[0].total;
}

/** True while some transaction (the consumer's, with a batch in hand) waits for the drill's lock. */
async function applyWaiting(watcher: PoolClient): Promise<boolean> {
  const { rows } = await watcher.query(
    `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'read_model.processed_events'::regclass AND NOT granted`,
  );
  return rows[0].n > 0;
}

/** Holds every apply until the consumer waits with a batch in hand and events have piled up behind it; returns the lag. */
async function pileUp(ctx: DrillContext, lock: PoolClient, watcher: PoolClient): Promise<bigint> {
  let lag = 0n;
  await lock.query('BEGIN');
  try {
    await lock.query('LOCK TABLE read_model.processed_events IN EXCLUSIVE MODE');
    const until = Date.now() + PILE_UP_WAIT_MS_MAX;
    let waiting = false;
    while (Date.now() < until && !(waiting && lag >= PILE_UP_EVENTS_MIN)) {
      await sleep(200);
      lag = await ctx.consumerLag().catch(() => lag);
      waiting = await applyWaiting(watcher);
    }
  } finally {
    await lock.query('COMMIT');
  }
  return lag;
}

/**
 * Watches for a batch to commit in PostgreSQL and freezes the read model the
 * moment it does; kills it if its offsets are still uncommitted, else thaws it.
 * Returns the events left to redeliver (0: no kill).
 */
async function killWhenAhead(ctx: DrillContext, watcher: PoolClient): Promise<{ uncommitted: number; pid: number }> {
  const until = Date.now() + WATCH_MS;
  let seen = await appliedTotal(watcher);
  while (Date.now() < until) {
    const now = await appliedTotal(watcher);
    if (now === seen) continue;
    seen = now;
    const pid = signalComponent('read-model', 'SIGSTOP');
    let killed = false;
    try {
      await sleep(IN_FLIGHT_COMMIT_MS);
      const uncommitted = await appliedNotCommitted(ctx, watcher);
      if (uncommitted > 0) {
        signalComponent('read-model', 'SIGKILL');
        killed = true;
        return { uncommitted, pid };
      }
    } finally {
      if (!killed) signalComponent('read-model', 'SIGCONT');
    }
    seen = await appliedTotal(watcher);
  }
  return { uncommitted: 0, pid: 0 };
}

/** Transfers of the drill's own, so events keep coming however far the load has got; stop() ends them. */
function startTrickle(ctx: DrillContext): { stop(): Promise<number> } {
  let running = true;
  const done = (async () => {
    const tag = `drill-consumer-${Date.now().toString(36)}`;
    const account = async (role: string, creditLimit: string): Promise<string> => {
      const code = `${tag}-${role}`;
      const res = await ctx.client('POST', '/v1/accounts', { code, name: `consumer drill ${role}`, currency: 'USD', creditLimit }, { 'Idempotency-Key': code });
      if (res.status !== 201 && res.status !== 200) throw new Error(`trickle account ${role}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id;
    };
    const [from, to] = await Promise.all([account('source', 'unlimited'), account('sink', '0')]);
    let sent = 0;
    while (running) {
      const key = `${tag}-${sent}`;
      const body = { fromAccountId: from, toAccountId: to, amount: '100', currency: 'USD', description: 'consumer drill trickle', metadata: {} };
      const res = await ctx.client('POST', '/v1/transfers', body, { 'Idempotency-Key': key });
      if (res.status !== 201 && res.status !== 200) throw new Error(`trickle transfer ${key}: ${res.status} ${JSON.stringify(res.body)}`);
      sent += 1;
      await sleep(TRICKLE_INTERVAL_MS);
    }
    return sent;
  })();
  return {
    stop: async () => {
      running = false;
      return done;
    },
  };
}

let uncommittedAtKill = -1;

async function killMidBatch(ctx: DrillContext): Promise<string> {
  const trickle = startTrickle(ctx);
  // The invariants' pool holds two connections: both are the drill's until the kill is done.
  const [lock, watcher] = await Promise.all([ctx.pools.readModel.connect(), ctx.pools.readModel.connect()]);
  try {
    for (let attempt = 1; attempt <= ATTEMPTS_MAX; attempt++) {
      const lag = await pileUp(ctx, lock, watcher);
      const { uncommitted, pid } = await killWhenAhead(ctx, watcher);
      if (uncommitted === 0) {
        ctx.notes.push(`attempt ${attempt}: every batch watched was committed to Kafka before the read model froze; piling up again`);
        continue;
      }
      uncommittedAtKill = uncommitted;
      return (
        `SIGKILL to the read model (pid ${pid}, attempt ${attempt}) frozen right after a batch committed in PostgreSQL, ` +
        `with ${uncommitted} applied events not committed to Kafka (${lag} events had piled up behind a lock)`
      );
    }
    uncommittedAtKill = 0;
    return `no kill: in ${ATTEMPTS_MAX} attempts no batch was caught between its PostgreSQL and its Kafka commit`;
  } finally {
    lock.release();
    watcher.release();
    const sent = await trickle.stop().catch((error: Error) => `failed (${error.message})`);
    ctx.notes.push(`the drill's own trickle transfers while it aimed the kill: ${sent}`);
  }
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
