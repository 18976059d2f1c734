/**
 * One failure drill: accounts and a load of transfers through the gateway,
 * ONE fault injected once a third of the load is answered, held, healed;
 * then the wait for the system to go idle (load answered, decisions taken, no
 * transfer pending, outboxes empty, read-model consumer caught up) and the
 * contract's invariants checked. Recovery time runs from the moment the heal
 * returned to the moment the system is idle and every invariant holds.
 * A drill prints what it injected, the recovery time and each invariant's
 * result, records a row for the end-of-run table, and returns the results so
 * the test can fail on a violated invariant, naming its transfers and accounts.
 * A drill may ask for transfer batches beside the load (support/batches.ts):
 * their items join the transfer checks, the batch invariants are checked too,
 * and `strikeMidBatch` times the fault on a batch in flight.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import pino from 'pino';
import { loadConfig, type Config } from '../../../lib/config';
import { createKafka } from '../../../lib/kafka';
import { CONSUMED_TOPICS, READ_MODEL_GROUP_ID } from '../../../services/read-model/consumer';
import { readConsumerLag } from '../../../services/read-model/consumer-lag';
import {
  availableWithinLimits,
  invariantPools,
  ledgerBalancesMatchEntries,
  noTransferPending,
  noTransferPostedTwice,
  outboxesEmpty,
  postedSumsAreZero,
  postedTransfersHaveOneEntry,
  readModelEqualsLedger,
  type InvariantPools,
} from '../../support/invariants';
import { batchChecks, batchItemIds, batchesPendingSince, createBatchAccounts, startBatches, type BatchRun } from './batches';
import { RetryCounter, retryingClient, type RetryingClient } from './client';
import { createDrillAccounts, planLoad, startDecider, startLoad, type Kind, type LoadRun, type PlannedTransfer } from './load';
import { recordResult } from './report';
import { downComponents, stack, type StackRun } from './stack';

export interface DrillContext {
  config: Config;
  pools: InvariantPools;
  load: LoadRun;
  /** The gateway, with the contract's retries. */
  client: RetryingClient;
  /** How many events the read-model consumer group is behind, over its topics. */
  consumerLag(): Promise<bigint>;
  /** A Kafka admin client of the drill's own. */
  kafkaAdmin: Admin;
  /** Transfers of the load still `pending`. */
  pending(): Promise<number>;
  /** Lines printed with the drill's report (what was observed while the fault held). */
  notes: string[];
  /** True once the hold is over; a `whileFaulted` sampler stops on it. */
  healing(): boolean;
  /** The transfer batches run beside the load, when the drill asked for them. */
  batches?: BatchRun;
  /** What `strikeMidBatch` found pending right after the fault: empty if the fault missed every batch. */
  caughtMidBatch?: string[];
}

export interface Check {
  name: string;
  violations: string[];
}

export interface DrillSpec {
  /** Test-name friendly: "worker", "consumer", "kafka", ... */
  name: string;
  /** One short phrase for the table. */
  fault: string;
  /** Injects the fault; returns what it did, for the report. */
  inject(ctx: DrillContext): Promise<string>;
  /** How long the fault is left in place before the heal. */
  holdMs: number;
  /** Runs while the fault holds (it may outlive the hold by one sample). */
  whileFaulted?(ctx: DrillContext): Promise<void>;
  /** The components the fault takes down; any other found down before the heal is reported. */
  faulted: string[];
  /** Heals the fault; default `deploy/stack up`. Returns what it did. */
  heal?(ctx: DrillContext): Promise<string>;
  /** Checks of this drill's own, run with the invariants once the system is idle. */
  extraChecks?(ctx: DrillContext): Promise<Check[]>;
  /** Runs once the system has recovered (or the deadline passed), e.g. to add notes. */
  afterRecovery?(ctx: DrillContext): Promise<void>;
  transfers?: number;
  ratePerSecond?: number;
  /** Runs transfer batches (support/batches.ts) beside the load and checks them too. */
  batches?: boolean;
}

export interface DrillResult {
  checks: Check[];
  recovered: boolean;
  report: string;
}

const TRANSFERS_DEFAULT = Number(process.env.DRILL_TRANSFERS ?? 300);
const RATE_PER_SECOND_DEFAULT = Number(process.env.DRILL_RATE ?? 10);
const CONCURRENCY = 8;
const PENDING_MAX = Number(process.env.DRILL_PENDING_MAX ?? 50);
/** After the heal, the system has this long to go idle with every invariant holding. */
const RECOVERY_DEADLINE_MS = Number(process.env.DRILL_RECOVERY_DEADLINE_MS ?? 300_000);
/** The decider gives up on decisions it could not deliver by then (the recovery check reports them). */
const DECIDER_DEADLINE_MS = 10 * 60_000;
const IDLE_POLL_MS = 500;

/** `deploy/stack up`, reported with the components it had to start. */
async function stackUp(): Promise<string> {
  const run: StackRun = await stack('up');
  return `deploy/stack up (started: ${run.started.join(', ') || 'nothing'})`;
}

export async function runDrill(spec: DrillSpec): Promise<DrillResult> {
  const config = loadConfig();
  const pools = invariantPools();
  const kafkaAdmin = createKafka(config, 'drills', pino({ level: 'silent' })).admin();
  try {
    return await drill(spec, config, pools, kafkaAdmin);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
    await pools.close();
  }
}

async function drill(spec: DrillSpec, config: Config, pools: InvariantPools, kafkaAdmin: Admin): Promise<DrillResult> {
  const retries = new RetryCounter();
  const client = retryingClient({ baseUrl: `http://127.0.0.1:${config.GATEWAY_PORT}`, retries });
  const tag = `${spec.name}-${Date.now().toString(36)}`;
  const seed = Number(process.env.DRILL_SEED ?? Date.now() % 2 ** 31);
  const transfers = spec.transfers ?? TRANSFERS_DEFAULT;
  // Transfers created from here on are the drill's, answered or not (a margin for the two clocks).
  const since = new Date(Date.now() - 1_000);

  const accounts = await createDrillAccounts(client, tag, config.approvalThresholdMinor);
  const batchAccounts = spec.batches ? await createBatchAccounts(client, tag, accounts) : undefined;
  const plan = planLoad(accounts, { count: transfers, seed, tag, thresholdMinor: config.approvalThresholdMinor });
  const startedAt = Date.now();
  const load = startLoad(plan, {
    client,
    ratePerSecond: spec.ratePerSecond ?? RATE_PER_SECOND_DEFAULT,
    concurrency: CONCURRENCY,
    pendingMax: PENDING_MAX,
    countPending: (transferIds) => countPending(pools, transferIds),
  });
  const decider = startDecider(plan, load, pools.transfers, client, DECIDER_DEADLINE_MS);
  const batches = batchAccounts
    ? startBatches({ client, pools, accounts: batchAccounts, seed, tag, transfers, whenSubmitted: (n) => load.whenSubmitted(n) })
    : undefined;
  let batchesSent = batches === undefined;
  void batches?.done.then(() => (batchesSent = true));
  let loadAnsweredAt = 0;
  void load.done.then(() => (loadAnsweredAt = Date.now()));
  let healing = false;
  const ctx: DrillContext = {
    config,
    pools,
    load,
    client,
    consumerLag: () => consumerLag(kafkaAdmin),
    kafkaAdmin,
    pending: () => countPending(pools, [...load.ids.values()]),
    notes: [],
    healing: () => healing,
    batches,
  };
  const lines = [`drill ${spec.name}: ${spec.fault} (seed ${seed})`];
  try {
    await load.whenSubmitted(Math.floor(transfers / 3));
    const fault = await injectHoldHeal(spec, ctx, startedAt, () => (healing = true));
    lines.push(...fault.lines);

    // The batches' items are transfers too: every transfer check covers them.
    const ids = async () => [
      ...load.ids.values(),
      ...accounts.fundingTransferIds,
      ...(batchAccounts?.fundingTransferIds ?? []),
      ...(batches ? await batchItemIds(pools, batches.planned) : []),
    ];
    const recovery = await waitForRecovery(async () => {
      const idle = await idleState(pools, kafkaAdmin, load, decider.outstanding().length, plan, since);
      if (!batchesSent) idle.push('batches still being sent');
      if (batches) idle.push(...(await batchesPendingSince(pools, since)).map((id) => `batch ${id} pending`));
      if (idle.length > 0) return { idle };
      const collateral = { name: 'only the faulted component went down', violations: fault.collateral };
      const batchOnes = batches ? [...(await batchChecks(pools, batches, since)), midBatchCheck(ctx)] : [];
      return { idle, checks: [...(await runChecks(ctx, plan, await ids(), since)), ...batchOnes, collateral, ...((await spec.extraChecks?.(ctx)) ?? [])] };
    }, fault.healedAt + RECOVERY_DEADLINE_MS);
    const idleAt = Date.now();
    const recoveryText = recovery.recovered ? seconds(idleAt - fault.healedAt) : `not within ${seconds(RECOVERY_DEADLINE_MS)}`;
    // The load goes on after the heal: how long the backlog took to drain once its last request was answered.
    const drainText = recovery.recovered && loadAnsweredAt > 0 ? seconds(idleAt - Math.max(loadAnsweredAt, fault.healedAt)) : '-';
    await spec.afterRecovery?.(ctx).catch((error: Error) => ctx.notes.push(`afterRecovery failed: ${error.message}`));

    lines.push(
      ...ctx.notes.map((n) => `  observed:  ${n}`),
      `  load:      ${transfers} transfers, ${load.progress.requests} requests (${load.progress.duplicatesSent} duplicates), client retries ${retries.summary()}` +
        `${retries.gaveUp > 0 ? `, ${retries.gaveUp} gave up` : ''}; decisions accepted: approve ${decider.accepted.approve}, reject ${decider.accepted.reject}`,
      `  timeline:  ${loadTimeline(startedAt, fault.healedAt, loadAnsweredAt)}`,
      `  outcomes:  ${await ids().then((all) => outcomeSummary(pools, all)).catch((e: Error) => e.message)}`,
      ...(batches ? [`  batches:   ${await batchSummary(pools, batches).catch((e: Error) => e.message)}`] : []),
      `  recovery:  ${recoveryText} (healed → idle with every invariant holding); ${drainText} of it after the load's last answer` +
        (recovery.recovered ? '' : `; still not idle: ${recovery.idle.join('; ')}`),
      `  invariants:`,
      ...recovery.checks.map(checkLines),
    );
    recordResult({
      drill: spec.name,
      fault: spec.fault,
      submitted: `${transfers} (+${load.progress.duplicatesSent} dup, ${retries.total} retries)${batches ? ` + ${batchesNamed(batches)}` : ''}`,
      recovery: recoveryText,
      drain: drainText,
      invariants: checksSummary(recovery.checks),
    });
    return { checks: recovery.checks, recovered: recovery.recovered, report: lines.join('\n') };
  } finally {
    // console.log, not process.stdout: Jest buffers direct writes and prints them out of order.
    console.log(lines.join('\n'));
    load.stop();
    decider.stop();
    batches?.stop();
    await Promise.all([load.done, decider.done, batches?.done]);
  }
}

interface FaultOutcome {
  lines: string[];
  healedAt: number;
  /** Components found down before the heal that the drill did not take down. */
  collateral: string[];
}

/** Injects the fault, holds it (running the drill's sampler), and heals it; says what happened. */
async function injectHoldHeal(spec: DrillSpec, ctx: DrillContext, startedAt: number, markHealing: () => void): Promise<FaultOutcome> {
  const injectedAt = Date.now();
  const injected = await spec.inject(ctx);
  const answered = ctx.load.progress.submitted;
  const sampler = spec.whileFaulted?.(ctx);
  await sleep(spec.holdMs);
  markHealing();
  await sampler;
  const down = await downComponents(ctx.config);
  const collateral = down.filter((c) => !spec.faulted.includes(c));
  const pendingAtHeal = await ctx.pending().catch(() => 'unknown (database unreachable)');
  const heldMs = Date.now() - injectedAt;
  const healStartedAt = Date.now();
  const healed = await (spec.heal ?? stackUp)(ctx);
  const healedAt = Date.now();
  return {
    healedAt,
    collateral: collateral.map((c) => `${c} was down before the heal, though the drill took down only ${spec.faulted.join(', ')}`),
    lines: [
      `  injected:  ${injected}, ${seconds(injectedAt - startedAt)} into the load (${answered} transfers answered)`,
      `  held:      ${seconds(heldMs)}; down before the heal: ${down.join(', ') || 'nothing'}; transfers pending then: ${pendingAtHeal}`,
      `  healed:    ${healed} in ${seconds(healedAt - healStartedAt)}`,
    ],
  };
}

/**
 * For a drill with batches: sends the in-flight batches, waits until one is
 * caught mid-way (support/batches.ts), strikes, and notes which batches were
 * still pending right after the strike (a batch only moves from pending to
 * final, so pending after it means pending at it). Returns what it did.
 */
export async function strikeMidBatch(ctx: DrillContext, strike: () => string): Promise<string> {
  const batches = ctx.batches;
  if (!batches) throw new Error('strikeMidBatch needs a drill with batches');
  const caught = await batches.awaitStrike();
  const struck = strike();
  const pending = await batches.pendingNow();
  ctx.caughtMidBatch = pending.map(({ batch, recorded }) => `${batch.name} ${batch.id} (${batch.mode}, ${recorded}/${batch.items.length} items recorded)`);
  ctx.notes.push(`the fault landed mid-batch: ${ctx.caughtMidBatch.join('; ') || 'NO batch was pending right after it'} (${caught})`);
  return struck;
}

function midBatchCheck(ctx: DrillContext): Check {
  const caught = ctx.caughtMidBatch;
  const violations = caught === undefined ? [] : caught.length === 0 ? ['no batch was pending right after the fault: it missed every batch'] : [];
  return { name: 'the fault landed mid-batch', violations };
}

function batchesNamed(batches: BatchRun): string {
  const named = batches.planned.filter((b) => b.id !== undefined);
  return `${named.length} batches (${named.reduce((sum, b) => sum + b.items.length, 0)} items)`;
}

async function batchSummary(pools: InvariantPools, batches: BatchRun): Promise<string> {
  const ids = batches.planned.flatMap((b) => (b.id ? [b.id] : []));
  const { rows } = await pools.transfers.query(
    `SELECT mode, status, count(*)::int AS n, sum(item_count)::int AS items, sum(posted_count)::int AS posted, sum(failed_count)::int AS failed
       FROM transfer_batches WHERE id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 1, 2`,
    [ids],
  );
  return rows.map((r) => `${r.mode} ${r.status} ${r.n} (${r.items} items: ${r.posted} posted, ${r.failed} failed)`).join('; ');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function loadTimeline(startedAt: number, healedAt: number, answeredAt: number): string {
  if (answeredAt === 0) return 'the load was still running at the end';
  const relative = answeredAt >= healedAt ? `${seconds(answeredAt - healedAt)} after` : `${seconds(healedAt - answeredAt)} before`;
  return `the load took ${seconds(answeredAt - startedAt)}, its last answer came ${relative} the heal`;
}

const VIOLATIONS_SHOWN_MAX = 20;

function checkLines(check: Check): string {
  if (check.violations.length === 0) return `    ✓ ${check.name}`;
  const shown = check.violations.slice(0, VIOLATIONS_SHOWN_MAX).map((v) => `        - ${v}`);
  const more = check.violations.length > VIOLATIONS_SHOWN_MAX ? [`        … and ${check.violations.length - VIOLATIONS_SHOWN_MAX} more`] : [];
  return [`    ✗ ${check.name}: ${check.violations.length} violation(s)`, ...shown, ...more].join('\n');
}

function checksSummary(checks: Check[]): string {
  const failed = checks.filter((c) => c.violations.length > 0);
  const held = `${checks.length - failed.length}/${checks.length} hold`;
  return failed.length === 0 ? held : `${held}; broken: ${failed.map((c) => c.name).join(', ')}`;
}

// ---------------------------------------------------------------- idle

/** What still keeps the system from being idle; empty when it is. */
async function idleState(
  pools: InvariantPools,
  admin: Admin,
  load: LoadRun,
  undecided: number,
  plan: PlannedTransfer[],
  since: Date,
): Promise<string[]> {
  const busy: string[] = [];
  if (!load.finished()) busy.push(`load still running (${load.progress.submitted}/${plan.length} answered)`);
  if (undecided > 0) busy.push(`${undecided} decisions not yet accepted`);
  const pending = (await pendingSince(pools, since)).length;
  if (pending > 0) busy.push(`${pending} transfers pending`);
  const decided = plan.filter((p) => p.kind === 'approve' || p.kind === 'reject').map((p) => load.ids.get(p.seq)).filter(Boolean);
  const { rows } = await pools.transfers.query(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'awaiting_approval'`, [decided]);
  if (rows[0].n > 0) busy.push(`${rows[0].n} decided transfers still awaiting_approval`);
  const outbox = await outboxesEmpty(pools);
  busy.push(...outbox);
  const lag = await consumerLag(admin);
  if (lag > 0n) busy.push(`read-model consumer ${lag} events behind`);
  return busy;
}

async function consumerLag(admin: Admin): Promise<bigint> {
  return (await readConsumerLag(admin, READ_MODEL_GROUP_ID, CONSUMED_TOPICS, 5_000)).reduce((sum, p) => sum + p.lag, 0n);
}

/** Every transfer created since `since` and still pending: the load's, and any whose request never got an answer. */
async function pendingSince(pools: InvariantPools, since: Date): Promise<string[]> {
  const { rows } = await pools.transfers.query(`SELECT id::text FROM transfers WHERE created_at >= $1 AND status = 'pending'`, [since]);
  return rows.map((r) => r.id as string);
}

async function countPending(pools: InvariantPools, ids: string[]): Promise<number> {
  const { rows } = await pools.transfers.query(`SELECT count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) AND status = 'pending'`, [ids]);
  return rows[0].n;
}

interface Probe {
  idle: string[];
  checks?: Check[];
}

/** Polls until idle with every check passing, or the deadline; returns the last checks either way. */
async function waitForRecovery(probe: () => Promise<Probe>, deadline: number): Promise<{ recovered: boolean; idle: string[]; checks: Check[] }> {
  let last: Probe = { idle: ['not probed yet'] };
  let lastChecks: Check[] = [];
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    last = await probe().catch((error: Error) => ({ idle: [`probe failed: ${error.message}`] }));
    if (last.checks) {
      lastChecks = last.checks;
      if (last.checks.every((c) => c.violations.length === 0)) return { recovered: true, idle: [], checks: last.checks };
    }
    await sleep(IDLE_POLL_MS);
  }
  return { recovered: false, idle: last.idle, checks: lastChecks.length > 0 ? lastChecks : [{ name: 'system went idle', violations: last.idle }] };
}

// ---------------------------------------------------------------- checks

/** The contract's invariants, ledger-wide where they can be, and what the load itself saw. */
async function runChecks(ctx: DrillContext, plan: PlannedTransfer[], ids: string[], since: Date): Promise<Check[]> {
  const { pools, load } = ctx;
  const check = async (name: string, ...parts: Array<Promise<string[]> | string[]>): Promise<Check> => ({ name, violations: (await Promise.all(parts)).flat() });
  const known = new Set(ids);
  const orphans = (await pendingSince(pools, since)).filter((id) => !known.has(id)).map((id) => `transfer ${id} (its request never got an answer) is still pending`);
  return [
    await check('every transfer terminal or awaiting approval', noTransferPending(pools, ids), orphans),
    await check('none posted twice (one entry per posted transfer)', postedTransfersHaveOneEntry(pools, ids), noTransferPostedTwice(pools)),
    await check('posted sum zero per currency', postedSumsAreZero(pools)),
    await check('posted balances equal their entries', ledgerBalancesMatchEntries(pools)),
    await check('no available beyond its limit', availableWithinLimits(pools)),
    await check('read model equals ledger', readModelEqualsLedger(pools)),
    await check('outboxes empty', outboxesEmpty(pools)),
    await check('every request answered, one transfer per key', [...load.violations]),
    await check('each transfer ended as its kind must', outcomesAsPlanned(pools, plan, load)),
  ];
}

const EXPECTED: Record<Kind, string[]> = {
  normal: ['posted', 'failed:INSUFFICIENT_FUNDS'],
  overdraw: ['failed:INSUFFICIENT_FUNDS'],
  frozen: ['failed:ACCOUNT_FROZEN'],
  approve: ['posted'],
  // A rejected transfer ends cancelled with failure code REJECTED (the transfer-rejected-code patch).
  reject: ['cancelled:REJECTED'],
  undecided: ['awaiting_approval'],
};

/** A fault may delay a transfer, never change how it ends. */
async function outcomesAsPlanned(pools: InvariantPools, plan: PlannedTransfer[], load: LoadRun): Promise<string[]> {
  const { rows } = await pools.transfers.query(`SELECT id::text, status, failure_code FROM transfers WHERE id = ANY($1::uuid[])`, [[...load.ids.values()]]);
  const byId = new Map(rows.map((r) => [r.id as string, r.failure_code ? `${r.status}:${r.failure_code}` : (r.status as string)]));
  return plan.flatMap((p) => {
    const id = load.ids.get(p.seq);
    if (!id) return [];
    const actual = byId.get(id) ?? 'missing';
    return EXPECTED[p.kind].includes(actual) ? [] : [`transfer ${id} (#${p.seq}, ${p.kind}) ended ${actual}, expected ${EXPECTED[p.kind].join(' or ')}`];
  });
}

async function outcomeSummary(pools: InvariantPools, ids: string[]): Promise<string> {
  const { rows } = await pools.transfers.query(
    `SELECT status, failure_code, count(*)::int AS n FROM transfers WHERE id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 3 DESC`,
    [ids],
  );
  return rows.map((r) => `${r.status}${r.failure_code ? `:${r.failure_code}` : ''} ${r.n}`).join(', ');
}

/** For a test's failure message: every violation of every check that failed. */
export function violationsOf(result: DrillResult): string[] {
  return result.checks.flatMap((c) => c.violations.map((v) => `${c.name}: ${v}`));
}
