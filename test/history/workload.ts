/**
 * The workload: groups of accounts (credit limit 0, so refusals happen), each
 * funded once from an unlimited funding account, and client processes that
 * run one op at a time on their group's accounts: small transfers mostly,
 * transfers at or above the approval threshold that another client of the
 * group approves, rejects or cancels, reversals of posted transfers, balance
 * and statement reads, and now and then a transfer batch (atomic or
 * independent, a few items, some of which may or must fail: one just below
 * the approval threshold, refused when its source is short; one to an account
 * that does not exist). Every op is recorded as an invoke and its completion:
 * ok when its outcome is known (a business refusal included), fail when it
 * certainly had no effect (a 4xx), info when it is unknown (no answer, a 5xx,
 * or still undecided past the op's deadline); after an info the client goes on
 * under a new process id. Choices come from a seeded generator per client.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { required } from '../../lib/assert';
import {
  batchBody,
  decided,
  decisionOutcome,
  finalBatch,
  notPending,
  pollTransfer,
  readStatement,
  reversalOutcome,
  reversalSettled,
  transferBody,
  transferOutcome,
  type BatchItemInput,
} from './api';
import type { ClientFn, Decision, SetupValue } from './history';
import { describe, indeterminate, type Http, type Reply } from './http';
import type { Recorder } from './recorder';
import { seededRandom } from '../support/seeded-random';

export interface Group {
  name: string;
  accounts: string[];
  /** Transfers awaiting approval, with the client that created them (another one decides). */
  awaiting: Array<{ id: string; creator: number }>;
  /** Posted transfers nobody has asked to reverse yet. */
  posted: string[];
  /** Transfers already decided: a second decision must be refused (or answer the final state). */
  decided: string[];
}

export interface WorkloadOptions {
  http: Http;
  seed: number;
  /** Tells this run's keys and account codes apart from any other's. */
  tag: string;
  groups: number;
  accountsPerGroup: number;
  clientsPerGroup: number;
  thresholdMinor: bigint;
  opsMax: number;
  durationMs: number;
  /** The load goes on past its duration while this holds (the nemesis has faults left), up to 3 durations. */
  extend?(): boolean;
}

/** How long one op may take before it is indeterminate. */
const OP_DEADLINE_MS = 30_000;
const SETUP_DEADLINE_MS = 60_000;
const BACKOFF_AFTER_FAILURE_MS = 1_000;
/** Batch items per batch op: few, since each item is an op of its own for the Go checker, all of them concurrent. */
const BATCH_ITEMS_MIN = 2;
const BATCH_ITEMS_MAX = 5;
/** An account no setup creates: an item to it must fail ACCOUNT_NOT_FOUND. */
export const MISSING_ACCOUNT = '00000000-0000-4000-8000-00000000dead';


const between = (random: () => number, low: bigint, high: bigint): bigint => low + BigInt(Math.floor(random() * Number(high - low)));

/** The opening balance of each account: room for a couple of approvals and many small transfers. */
export const openingMinor = (thresholdMinor: bigint): bigint => (thresholdMinor * 5n) / 2n;

async function expectOk(reply: Reply, what: string): Promise<any> {
  if (reply.kind !== 'answer' || reply.status >= 300) throw new Error(`setup: ${what}: ${describe(reply)} ${reply.kind === 'answer' ? JSON.stringify(reply.body).slice(0, 300) : ''}`);
  return reply.body;
}

/** Creates and funds the groups' accounts, reads the opening balances back and records the setup line. */
export async function setUp(recorder: Recorder, options: WorkloadOptions): Promise<Group[]> {
  const { http, tag, thresholdMinor } = options;
  const account = async (code: string, creditLimit: string) =>
    (await expectOk(await http('POST', '/v1/accounts', { code, name: code, currency: 'USD', creditLimit }, { 'Idempotency-Key': code }), `account ${code}`)).id as string;
  const funding = await account(`${tag}-funding`, 'unlimited');
  const opening = openingMinor(thresholdMinor);
  const deadline = Date.now() + SETUP_DEADLINE_MS;
  const setup: SetupValue = { approvalThresholdMinor: thresholdMinor.toString(), groups: {} };
  const groups: Group[] = [];
  for (let g = 1; g <= options.groups; g++) {
    const name = `g${g}`;
    const accounts: string[] = [];
    setup.groups[name] = { accounts: {} };
    for (let a = 1; a <= options.accountsPerGroup; a++) {
      const id = await account(`${tag}-${name}-a${a}`, '0');
      const body = { fromAccountId: funding, toAccountId: id, amount: opening.toString(), currency: 'USD', description: 'history opening' };
      const created = await expectOk(await http('POST', '/v1/transfers?wait=true', body, { 'Idempotency-Key': `${tag}-fund-${id}` }), `funding ${id}`);
      // The opening is above the approval threshold.
      const awaiting = await pollTransfer(http, created.id, deadline, notPending);
      if (awaiting?.status === 'awaiting_approval') await expectOk(await http('POST', `/v1/transfers/${created.id}/approve`), `approving funding ${created.id}`);
      const posted = await pollTransfer(http, created.id, deadline, decided);
      if (posted?.status !== 'posted') throw new Error(`setup: funding ${created.id} ended ${posted?.status ?? 'undecided'}`);
      const postedMinor = await readOpening(http, id, opening, deadline);
      setup.groups[name].accounts[id] = { creditLimitMinor: '0', openingPostedMinor: postedMinor, fundingTransferId: created.id };
      accounts.push(id);
    }
    groups.push({ name, accounts, awaiting: [], posted: [], decided: [] });
  }
  recorder.record('setup', 'setup', undefined, setup);
  return groups;
}

/** The account's posted balance as the read model serves it, once the funding shows. */
async function readOpening(http: Http, account: string, opening: bigint, deadline: number): Promise<string> {
  for (;;) {
    const reply = await http('GET', `/v1/accounts/${account}/balance`);
    if (reply.kind === 'answer' && reply.status === 200 && BigInt(reply.body.posted) === opening) return reply.body.posted;
    if (Date.now() > deadline) throw new Error(`setup: account ${account}'s opening never showed in its balance (${describe(reply)})`);
    await sleep(200);
  }
}

type Completion = { type: 'ok' | 'fail' | 'info'; value: unknown };

const lost = (reply: Reply): Completion => ({ type: 'info', value: { error: describe(reply) } });
const refused = (reply: Reply): Completion => ({ type: 'fail', value: { error: describe(reply) } });

export interface ClientRun {
  done: Promise<void>;
  stop(): void;
  /** An awaiting transfer for the nemesis to terminate (taken from the queue), if any. */
  takeAwaiting(): { group: Group; id: string } | undefined;
  /** Puts a transfer back for a client to decide. */
  putAwaiting(group: Group, id: string): void;
}

/** Starts the clients; they stop at the ops budget, the duration, or stop(). */
export function runClients(recorder: Recorder, groups: Group[], options: WorkloadOptions): ClientRun {
  const { http, tag, thresholdMinor } = options;
  let processes = 0;
  let ops = 0;
  let stopped = false;
  const deadline = Date.now() + options.durationMs;
  const hardDeadline = Date.now() + 3 * options.durationMs;
  const more = () => !stopped && ops < options.opsMax && (Date.now() < deadline || (Date.now() < hardDeadline && (options.extend?.() ?? false)));

  const client = async (group: Group, clientNo: number) => {
    const random = seededRandom(options.seed * 1009 + clientNo);
    let process_ = processes++;
    let seq = 0;
    const pick = <T>(list: T[]): T => required(list[Math.floor(random() * list.length)], 'a pick from an empty list');

    const perform = async (f: ClientFn, value: object, key: string | undefined, run: () => Promise<Completion>) => {
      ops += 1;
      recorder.record('invoke', process_, f, { group: group.name, ...value }, key);
      const result = await run().catch((error: Error): Completion => ({ type: 'info', value: { error: error.message } }));
      recorder.record(result.type, process_, f, result.value, key);
      // Jepsen's rule: a process whose op is indeterminate never invokes again.
      if (result.type === 'info') process_ = processes++;
      // A component down answers at once: without a pause the client would spin, and every spin is an op to resolve.
      if (result.type !== 'ok') await sleep(BACKOFF_AFTER_FAILURE_MS);
    };

    const transfer = async (large: boolean) => {
      const [from, to] = twoOf(group.accounts, random);
      const amount = large ? between(random, thresholdMinor, (thresholdMinor * 3n) / 2n) : between(random, 1n, thresholdMinor / 3n);
      const key = `${tag}-c${clientNo}-t${++seq}`;
      await perform('transfer', { from, to, amountMinor: amount.toString() }, key, async () => {
        const reply = await http('POST', '/v1/transfers?wait=true', transferBody(from, to, amount.toString()), { 'Idempotency-Key': key });
        if (indeterminate(reply)) return lost(reply);
        if (reply.kind === 'answer' && reply.status >= 400) return refused(reply);
        const t = notPending((reply as { body: any }).body) ? (reply as { body: any }).body : await pollTransfer(http, (reply as { body: any }).body.id, Date.now() + OP_DEADLINE_MS, notPending);
        if (!t) return { type: 'info', value: { error: 'still pending at the op deadline' } };
        if (t.status === 'awaiting_approval') group.awaiting.push({ id: t.id, creator: clientNo });
        if (t.status === 'posted') group.posted.push(t.id);
        return { type: 'ok', value: transferOutcome(t) };
      });
    };

    const batch = async () => {
      const mode = random() < 0.5 ? 'atomic' : 'independent';
      const size = BATCH_ITEMS_MIN + Math.floor(random() * (BATCH_ITEMS_MAX - BATCH_ITEMS_MIN + 1));
      const items: BatchItemInput[] = Array.from({ length: size }, () => {
        const [from, to] = twoOf(group.accounts, random);
        return { from, to, amountMinor: between(random, 1n, thresholdMinor / 10n).toString() };
      });
      const at = () => required(items[Math.floor(random() * items.length)], 'a batch item');
      if (random() < 0.4) at().amountMinor = (thresholdMinor - 1n).toString();
      if (random() < 0.2) at().to = MISSING_ACCOUNT;
      const key = `${tag}-c${clientNo}-b${++seq}`;
      await perform('batch', { mode, items }, key, async () => {
        const reply = await http('POST', '/v1/transfer-batches?wait=true', batchBody(mode, items), { 'Idempotency-Key': key });
        if (indeterminate(reply)) return lost(reply);
        if (reply.kind === 'answer' && reply.status >= 400) return refused(reply);
        const b = await finalBatch(http, (reply as { body: any }).body.id, Date.now() + OP_DEADLINE_MS);
        if (!b) return { type: 'info', value: { error: 'batch still pending at the op deadline, or its items unreadable' } };
        for (const item of b.items) if (item.status === 'posted') group.posted.push(item.transferId);
        return { type: 'ok', value: b };
      });
    };

    const decide = async (id: string, decision: Decision) => {
      await perform(decision, { transferId: id }, undefined, async () => {
        const reply = await http('POST', `/v1/transfers/${id}/${decision}`);
        if (indeterminate(reply)) return lost(reply);
        if (reply.kind === 'answer' && reply.status >= 400) return refused(reply);
        const answered = (reply as { body: any }).body;
        const t = decided(answered) ? answered : await pollTransfer(http, id, Date.now() + OP_DEADLINE_MS, decided);
        if (!t) return { type: 'info', value: { error: 'still undecided at the op deadline' } };
        // A second decision answers the state of the first: the transfer is already up for reversal.
        if (t.status === 'posted' && !group.decided.includes(id)) group.posted.push(id);
        return { type: 'ok', value: decisionOutcome(t) };
      });
      if (!group.decided.includes(id)) group.decided.push(id);
    };

    const reverse = async (id: string) => {
      const key = `${tag}-c${clientNo}-r${++seq}`;
      await perform('reverse', { transferId: id }, key, async () => {
        const reply = await http('POST', `/v1/transfers/${id}/reverse`, undefined, { 'Idempotency-Key': key });
        if (indeterminate(reply)) return lost(reply);
        if (reply.kind === 'answer' && reply.status >= 400) return refused(reply);
        const answered = (reply as { body: any }).body;
        const t = reversalSettled(answered) ? answered : await pollTransfer(http, id, Date.now() + OP_DEADLINE_MS, reversalSettled);
        if (!t) return { type: 'info', value: { error: 'reversal still pending at the op deadline' } };
        return { type: 'ok', value: reversalOutcome(t) };
      });
    };

    const balance = async (account: string) => {
      await perform('balance', { account }, undefined, async () => {
        const reply = await http('GET', `/v1/accounts/${account}/balance`);
        // A read changes nothing: whatever happened to it, it certainly had no effect.
        if (reply.kind !== 'answer' || reply.status !== 200) return refused(reply);
        return { type: 'ok', value: { postedMinor: reply.body.posted, pendingMinor: reply.body.pending, availableMinor: reply.body.available } };
      });
    };

    const statement = async (account: string) => {
      await perform('statement', { account }, undefined, async () => {
        const items = await readStatement(http, account);
        return items ? { type: 'ok', value: { items } } : { type: 'fail', value: { error: 'a statement page could not be read' } };
      });
    };

    while (more()) {
      const r = random();
      const decidable = group.awaiting.findIndex((a) => a.creator !== clientNo);
      // Each share falls back to a small transfer or a balance read when it has nothing to act on.
      if (r < 0.45) await transfer(false);
      else if (r < 0.55) await transfer(true);
      else if (r < 0.7) {
        if (decidable === -1) await transfer(false);
        else await decide(required(group.awaiting.splice(decidable, 1)[0], 'the decidable transfer').id, pick<Decision>(['approve', 'approve', 'reject', 'cancel']));
      } else if (r < 0.77) {
        if (group.posted.length === 0) await balance(pick(group.accounts));
        else await reverse(required(group.posted.splice(Math.floor(random() * group.posted.length), 1)[0], 'a posted transfer'));
      } else if (r < 0.79) {
        if (group.decided.length === 0) await balance(pick(group.accounts));
        else await decide(pick(group.decided), pick<Decision>(['approve', 'reject', 'cancel']));
      } else if (r < 0.82) await batch();
      else if (r < 0.92) await balance(pick(group.accounts));
      else await statement(pick(group.accounts));
    }
  };

  const clients = groups.flatMap((group, g) => Array.from({ length: options.clientsPerGroup }, (_, c) => client(group, g * options.clientsPerGroup + c)));
  const takeAwaiting = () => {
    for (const group of groups) {
      const taken = group.awaiting.shift();
      if (taken) return { group, id: taken.id };
    }
    return undefined;
  };
  return {
    done: Promise.all(clients).then(() => undefined),
    stop: () => void (stopped = true),
    takeAwaiting,
    // The nemesis is creator -1: any client may decide it.
    putAwaiting: (group, id) => void group.awaiting.push({ id, creator: -1 }),
  };
}

function twoOf(accounts: string[], random: () => number): [string, string] {
  const i = Math.floor(random() * accounts.length);
  const j = (i + 1 + Math.floor(random() * (accounts.length - 1))) % accounts.length;
  return [required(accounts[i], `account ${i}`), required(accounts[j], `account ${j}`)];
}
