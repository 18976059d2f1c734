/**
 * One transfer, followed end to end against the running native stack: its
 * trace, as the development trace sink received it from every process, and its
 * log lines, as each process wrote them to .data/logs/<name>.log.
 *
 * Trace: one id (the X-Trace-Id header and the transfer's traceId) shared by
 * the gateway's HTTP server span, the Temporal StartWorkflow / RunWorkflow /
 * RunActivity spans, the worker's HTTP client spans and the accounts' and
 * ledger's server spans, SQL spans in every service, the ledger outbox relay's
 * Kafka producer spans and the read model's apply spans; and every one of them
 * hangs from the gateway's span by the parent links each hop is meant to make.
 *
 * Logs: every process that logs the transfer at the stack's level writes its
 * trace id (and the service's name) on the line.
 */
import path from 'node:path';
import { ROOT_DIR } from '../../lib/config';
import { firstOf } from '../../lib/assert';
import { TRANSFER_WORKFLOW_TYPE } from '../../lib/workflow-contract';
import { api, config, createAccount, ensureSystem, eventually, newKey, transfer } from '../support/system';
import { FileTail } from './support/file-tail';
import { Kind, SpanCollector, Trace, label, named, type FlatSpan } from './support/spans';
import { POSTED, unmet } from './support/transfer-shape';

const LOG_DIR = path.join(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'), 'logs');
const PROCESSES = ['gateway', 'worker', 'accounts', 'ledger', 'read-model'] as const;
// At INFO two processes write no line of their own for one transfer: the accounts service only reads accounts for
// it, and logs reads at DEBUG (every balance query reads too); the read model logs each event at DEBUG, and at INFO
// one line per batch transaction, which carries that transaction's trace, not a transfer's (services/read-model/report.ts).
const QUIET_AT_INFO = ['accounts', 'read-model'];
const LOGGING_PROCESSES: readonly string[] = ['debug', 'trace'].includes(config.LOG_LEVEL) ? PROCESSES : PROCESSES.filter((p) => !QUIET_AT_INFO.includes(p));

const SETTLE_TIMEOUT_MS = 120_000;
const SPANS_TIMEOUT_MS = 60_000;
const SPANS_PER_POSTED_TRANSFER_MAX = 40;
const LOGS_TIMEOUT_MS = 15_000;

let transferId: string;
let traceId: string;
let headerTraceId: string | null;
let trace: Trace;
const logTails = new Map(PROCESSES.map((name) => [name, new FileTail(path.join(LOG_DIR, `${name}.log`))]));

beforeAll(async () => {
  ensureSystem();
  const from = await createAccount('USD', 'unlimited');
  const to = await createAccount('USD');
  const spans = new SpanCollector();
  for (const tail of logTails.values()) tail.readNewLines(() => undefined); // skip the account creations' lines

  const created = await api.post('/v1/transfers?wait=true', transfer(from, to, '250'), { 'Idempotency-Key': newKey() });
  if (created.status !== 201) throw new Error(`transfer not created: ${created.status} ${JSON.stringify(created.body)}`);
  // ?wait=true answers within its ceiling; on a busy stack the saga may still be running then.
  const ended = await eventually(() => api.get(`/v1/transfers/${created.body.id}`), (r) => r.body?.status !== 'pending', SETTLE_TIMEOUT_MS);
  if (ended.body?.status !== 'posted') throw new Error(`transfer did not post: ${JSON.stringify(ended.body)}`);
  transferId = created.body.id;
  traceId = created.body.traceId;
  headerTraceId = created.headers.get('x-trace-id');

  spans.watch([traceId]);
  trace = new Trace(await spans.waitFor(traceId, (found) => unmet(found, POSTED).length === 0, SPANS_TIMEOUT_MS));
}, 10 * 60_000);

describe('the trace of one transfer', () => {
  it('when a transfer is created, then X-Trace-Id and the transfer resource carry the same 32-hex trace id', () => {
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(headerTraceId).toBe(traceId);
  });

  it('when it has posted, then the sink holds one trace of at least 10 spans from all five processes, with every hop', () => {
    expect(unmet(trace.spans, POSTED)).toEqual([]);
    expect(trace.spans.length).toBeGreaterThanOrEqual(10);
    // The span budget of a posted transfer: every hop, not every statement.
    expect(trace.spans.length).toBeLessThanOrEqual(SPANS_PER_POSTED_TRANSFER_MAX);
    expect(trace.spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(new Set(trace.spans.map((s) => s.service))).toEqual(new Set(PROCESSES));
  });

  it('when the spans are linked by parent, then all of them hang from the gateway HTTP server span', () => {
    const roots = trace.roots();
    expect(roots.map(label)).toEqual(['gateway SERVER POST /v1/transfers']);
    expect(trace.orphans().map(label)).toEqual([]);
    for (const span of trace.spans) expect(trace.ancestry(span)[0]).toBe(roots[0]);
  });

  it('when the Temporal hops are followed, then client → workflow → activity each parent the next', () => {
    const [root] = trace.roots();
    const start = firstOf(trace.find((s) => s.name === `StartWorkflow:${TRANSFER_WORKFLOW_TYPE}`), 'the StartWorkflow spans');
    const run = firstOf(trace.find((s) => s.name === `RunWorkflow:${TRANSFER_WORKFLOW_TYPE}`), 'the RunWorkflow spans');
    expect(trace.ancestry(start)).toContain(root);
    expect(trace.parentOf(run)).toBe(start);
    for (const activity of trace.find((s) => s.name.startsWith('RunActivity:'))) {
      const scheduled = trace.parentOf(activity)!;
      expect(scheduled.name).toBe(activity.name.replace('RunActivity:', 'StartActivity:'));
      expect(trace.parentOf(scheduled)).toBe(run);
    }
  });

  it('when the HTTP hops are followed, then each server span in accounts and ledger is the child of a client span of its caller', () => {
    const servers = trace.find((s) => (s.service === 'accounts' || s.service === 'ledger') && s.kind === Kind.SERVER);
    // The ledger's one-step post and the accounts lookup it makes.
    expect(servers.length).toBeGreaterThanOrEqual(2);
    for (const server of servers) {
      const client = trace.parentOf(server)!;
      expect({ server: label(server), parentKind: client.kind }).toEqual({ server: label(server), parentKind: Kind.CLIENT });
      // Accounts is called by the ledger (its one lookup at reserve); the ledger only by the worker's activities.
      expect(client.service).toBe(server.service === 'ledger' ? 'worker' : 'ledger');
    }
    for (const ledgerCall of servers.filter((s) => s.service === 'ledger')) {
      const activity = trace.parentOf(trace.parentOf(ledgerCall)!)!;
      expect(activity.name).toMatch(/^RunActivity:(reserveAndCaptureHold|reserveHold|captureHold)$/);
    }
  });

  it('when the Kafka hop is followed, then the producer span is the child of the ledger request that wrote the outbox row, and the read model applies under it', () => {
    const producers = trace.find((s) => s.kind === Kind.PRODUCER);
    expect(producers.length).toBeGreaterThanOrEqual(3);
    for (const producer of producers) {
      expect(producer.service).toBe('ledger');
      // The outbox row is written inside the request's transaction: its pg.transaction span stands between.
      const above = trace.ancestry(producer).reverse().slice(1);
      const requestAt = above.findIndex((s) => s.kind === Kind.SERVER);
      expect(above.map(label)[requestAt]).toMatch(/^ledger SERVER POST \/holds/);
      expect(above.slice(0, requestAt).map(label)).toEqual(above.slice(0, requestAt).map(() => 'ledger INTERNAL pg.transaction ledger'));
    }
    const applies = trace.find(named('read-model', Kind.INTERNAL, /^read-model apply /));
    expect(applies.length).toBeGreaterThanOrEqual(3);
    for (const apply of applies) {
      // A kafkajs CONSUMER span between the producer and the apply is allowed; nothing else is.
      const between = trace.ancestry(apply).reverse().slice(1);
      const producerAt = between.findIndex((s) => s.kind === Kind.PRODUCER);
      expect(producerAt).toBeGreaterThanOrEqual(0);
      expect(between.slice(0, producerAt).every((s) => s.service === 'read-model' && s.kind === Kind.CONSUMER)).toBe(true);
    }
  });

  it('when SQL runs, then each pg span sits under a server, activity or apply span of the same service', () => {
    const owner = (span: FlatSpan) =>
      span.kind === Kind.SERVER || span.name.startsWith('RunActivity:') || span.name.startsWith('read-model apply ');
    const pgSpans = trace.find((s) => s.name.startsWith('pg.'));
    // The read model's SQL runs in the transaction of a whole Kafka batch: a `read-model batch` trace of its own, linked to the events.
    expect(new Set(pgSpans.map((s) => s.service))).toEqual(new Set(PROCESSES.filter((p) => p !== 'read-model')));
    for (const span of pgSpans) {
      const parent = trace.ancestry(span).reverse().slice(1).find(owner);
      expect({ span: label(span), owner: parent?.service }).toEqual({ span: label(span), owner: span.service });
    }
  });
});

describe('the log lines of one transfer', () => {
  it('when every process has logged the transfer, then each of its lines carries the trace id and the service name', async () => {
    const lines = new Map<string, Array<Record<string, unknown>>>(PROCESSES.map((name) => [name, []]));
    const read = async () => {
      for (const [name, tail] of logTails) {
        tail.readNewLines((line) => {
          if (line.includes(traceId)) lines.get(name)!.push(JSON.parse(line));
        });
      }
      return lines;
    };
    await eventually(read, () => LOGGING_PROCESSES.every((name) => lines.get(name)!.length > 0), LOGS_TIMEOUT_MS);

    const counts = Object.fromEntries(LOGGING_PROCESSES.map((name) => [name, lines.get(name)!.length]));
    expect(Object.entries(counts).filter(([, n]) => n === 0)).toEqual([]);
    for (const [name, entries] of lines) {
      for (const entry of entries) expect({ trace_id: entry.trace_id, service: entry.service }).toEqual({ trace_id: traceId, service: name });
    }
    // The domain id travels with the trace id where the process knows it (and logs the transfer at the stack's level).
    for (const name of ['gateway', 'worker', 'ledger', 'read-model'].filter((p) => LOGGING_PROCESSES.includes(p))) {
      expect({ name, transferIdLogged: lines.get(name)!.some((entry) => entry.transfer_id === transferId) }).toEqual({ name, transferIdLogged: true });
    }
  });
});
