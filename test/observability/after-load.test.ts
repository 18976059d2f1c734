/**
 * After a load of 100 transfers through the gateway (test/observability/support/load.ts:
 * posted, refused for funds, refused for a frozen account, approved after a
 * wait; plus idempotent replays, a refused account creation, read-model
 * queries and one independent transfer batch), against the running native stack and its real Prometheus:
 *
 * - metrics: every metric the design names is scraped by Prometheus from the
 *   process that owns it, with the labels the design names, and every counter
 *   the load drives grew by at least what the load did (readings before and
 *   after, so other traffic on the shared stack only adds);
 * - dashboards: every query of grafana/*.json, its variables expanded as
 *   Grafana would ($__rate_interval, $namespace: grafana/variables.ts), is
 *   accepted by Prometheus's own parser and returns at least one series; every
 *   panel uses the $datasource variable (default: the provisioned datasource)
 *   and only variables its dashboard defines; the JSON is what
 *   grafana/build-dashboards.ts generates;
 * - dropped spans: the trace of each of the 100 transfers reached the trace
 *   sink whole (every hop its outcome makes, no span whose parent is missing),
 *   and no process counted a span dropped (otel_spans_dropped_total).
 *
 * These tests need the stack to themselves in one respect: another outbox
 * relay on the stack's databases (a benchmark's ledger, say) publishes some of
 * the stack's rows, with producer spans that never reach this sink. That shows
 * here as missing producer spans and a ledger outbox_events_published_total
 * short of the load's rows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DASHBOARDS, DATASOURCE, isRow, type Dashboard, type Panel } from '../../grafana/build-dashboards';
import { expandVariables, variablesIn } from '../../grafana/variables';
import { TRANSFER_WORKFLOW_TYPE } from '../../lib/workflow-contract';
import { ensureSystem, eventually } from '../support/system';
import { BATCH, EXPECTED_END, PLAN, REPLAYS, runLoad, type LoadResult, type Outcome } from './support/load';
import { growth, labelKey, parseError, query, readUntil, scrapedSince, valuesOf } from './support/prometheus';
import { SpanCollector, Trace, label } from './support/spans';
import { FAILED_AT_RESERVE, POSTED, POSTED_AFTER_APPROVAL, REFUSED_AT_ACCOUNT_CHECK, minimumSpans, unmet, type SpanExpectation } from './support/transfer-shape';

const TRANSFERS = Object.values(PLAN).reduce((a, b) => a + b, 0);
const POSTED_COUNT = PLAN.posted + PLAN.approved;
/** Hold events of the posted transfers: below the threshold only `captured` (one-step post), approved ones `reserved` and `captured`. */
const HOLD_EVENTS = PLAN.posted + PLAN.approved * 2;
/** The transfers below the threshold, posted or refused: each one reserve-and-capture step. */
const ONE_STEP_COUNT = PLAN.posted + PLAN.insufficient_funds + PLAN.account_frozen;
const NOT_INFRA = 'route!~"/metrics|/healthz|/readyz"';
const PG_SERVICES = ['gateway', 'accounts', 'ledger', 'read-model', 'worker'];
const TOPICS = ['accounts.account.v1', 'ledger.entry.v1', 'ledger.hold.v1'];
const PROMETHEUS_TIMEOUT_MS = 120_000;
const SPANS_TIMEOUT_MS = 120_000;

/**
 * Counters (and histogram counts) the load drives, each read as a sum by the
 * labels that matter, with the least growth the load alone makes per series.
 */
const GROWTH: Array<{ expr: string; atLeast: Record<string, number> }> = [
  // HTTP, every service that serves requests in a transfer.
  { expr: `sum by (service) (http_requests_total{${NOT_INFRA}})`, atLeast: { '{service="gateway"}': TRANSFERS, '{service="accounts"}': TRANSFERS, '{service="ledger"}': POSTED_COUNT, '{service="read-model"}': 5 } },
  { expr: `sum by (service) (http_request_duration_seconds_count{${NOT_INFRA}})`, atLeast: { '{service="gateway"}': TRANSFERS, '{service="accounts"}': TRANSFERS, '{service="ledger"}': POSTED_COUNT, '{service="read-model"}': 5 } },
  // An error response keeps its route's full pattern (the refused account creation answers 409 through the error handler).
  { expr: 'sum by (route, status) (http_requests_total{service="gateway", status="409"})', atLeast: { '{route="/v1/accounts",status="409"}': 1 } },
  // Ledger.
  { expr: 'sum(ledger_entries_created_total)', atLeast: { '{}': POSTED_COUNT } },
  { expr: 'sum by (error_type) (ledger_entry_validation_errors_total)', atLeast: { '{error_type="INSUFFICIENT_FUNDS"}': PLAN.insufficient_funds } },
  // Outbox, both services: the hold events and at least one entry event per posted transfer.
  { expr: 'sum by (service) (outbox_events_published_total)', atLeast: { '{service="accounts"}': 7, '{service="ledger"}': HOLD_EVENTS + POSTED_COUNT } },
  { expr: 'sum by (service) (outbox_relay_latency_seconds_count)', atLeast: { '{service="accounts"}': 7, '{service="ledger"}': HOLD_EVENTS + POSTED_COUNT } },
  // Accounts.
  { expr: 'sum(accounts_created_total)', atLeast: { '{}': 8 } },
  { expr: 'sum by (reason) (account_creation_errors_total)', atLeast: { '{reason="code_taken"}': 1 } },
  // Orchestration: gateway and worker.
  { expr: 'sum(transfers_initiated_total)', atLeast: { '{}': TRANSFERS } },
  { expr: 'sum(transfers_completed_total)', atLeast: { '{}': POSTED_COUNT } },
  { expr: 'sum by (reason) (transfers_failed_total)', atLeast: { '{reason="INSUFFICIENT_FUNDS"}': PLAN.insufficient_funds, '{reason="ACCOUNT_FROZEN"}': PLAN.account_frozen } },
  // The saga released the hold of every transfer the ledger refused (funds or a frozen account).
  { expr: 'sum(transfers_compensated_total)', atLeast: { '{}': PLAN.insufficient_funds + PLAN.account_frozen } },
  { expr: 'sum by (status) (transfer_latency_seconds_count)', atLeast: { '{status="posted"}': POSTED_COUNT, '{status="failed"}': PLAN.insufficient_funds + PLAN.account_frozen } },
  { expr: 'sum by (route) (idempotency_hits_total)', atLeast: { '{route="POST /v1/transfers"}': REPLAYS } },
  // The batch: its items counted by outcome when recorded (worker), its posted items as ledger entries of kind batch, its latency once final.
  { expr: 'sum by (outcome) (batch_items_total)', atLeast: { '{outcome="posted"}': BATCH.posted, '{outcome="failed"}': BATCH.failed } },
  { expr: 'sum by (kind) (ledger_entries_created_total)', atLeast: { '{kind="batch"}': BATCH.posted } },
  { expr: 'sum by (status) (batch_latency_seconds_count)', atLeast: { '{status="completed"}': 1 } },
  // Read model.
  { expr: 'sum by (topic) (events_processed_total)', atLeast: { '{topic="accounts.account.v1"}': 7, '{topic="ledger.entry.v1"}': POSTED_COUNT, '{topic="ledger.hold.v1"}': HOLD_EVENTS } },
  { expr: 'sum by (topic) (projection_latency_seconds_count)', atLeast: { '{topic="accounts.account.v1"}': 7, '{topic="ledger.entry.v1"}': POSTED_COUNT, '{topic="ledger.hold.v1"}': HOLD_EVENTS } },
  { expr: 'sum(balance_queries_total)', atLeast: { '{}': 4 } },
  { expr: 'sum(statement_queries_total)', atLeast: { '{}': 1 } },
  // Temporal's own worker metrics (Runtime telemetry, its own port).
  { expr: 'sum by (workflow_type) (temporal_workflow_completed)', atLeast: { [`{workflow_type="${TRANSFER_WORKFLOW_TYPE}"}`]: TRANSFERS } },
  { expr: 'sum(temporal_workflow_task_execution_latency_count)', atLeast: { '{}': TRANSFERS } },
  { expr: 'sum(temporal_workflow_task_schedule_to_start_latency_count)', atLeast: { '{}': 1 } },
  { expr: 'sum(temporal_workflow_endtoend_latency_count)', atLeast: { '{}': TRANSFERS } },
  // The transfer steps run as local activities: below the threshold one reserve-and-capture
  // (the ledger checks the accounts there), approved ones a reserve and a capture.
  {
    expr: 'sum by (activity_type) (temporal_local_activity_execution_latency_count)',
    atLeast: {
      '{activity_type="reserveAndCaptureHold"}': ONE_STEP_COUNT,
      '{activity_type="reserveHold"}': PLAN.approved,
      '{activity_type="captureHold"}': PLAN.approved,
      '{activity_type="recordTransferStatus"}': TRANSFERS,
    },
  },
  // A refused reserve is a BENIGN failure (activities/index.ts): Temporal leaves it out of
  // temporal_local_activity_execution_failed, which counts faults only; refusals are in transfers_failed_total above.
  { expr: 'sum(temporal_local_activity_total)', atLeast: { '{}': TRANSFERS * 2 } },
];

/** Gauges and histogram buckets: present, from the processes that own them, with their labels. */
const PRESENT: Array<{ expr: string; series: string[] }> = [
  ...['pg_pool_connections_total', 'pg_pool_connections_idle', 'pg_pool_requests_waiting'].map((metric) => ({
    expr: `count by (service) (${metric})`,
    series: PG_SERVICES.map((service) => `{service="${service}"}`),
  })),
  { expr: 'count by (service) (outbox_oldest_unpublished_age_seconds)', series: ['{service="accounts"}', '{service="ledger"}'] },
  { expr: 'count by (topic) (consumer_lag{partition=~"[0-9]+"})', series: TOPICS.map((topic) => `{topic="${topic}"}`) },
  { expr: 'count by (worker_type) (temporal_worker_task_slots_available)', series: ['{worker_type="ActivityWorker"}', '{worker_type="WorkflowWorker"}'] },
  { expr: 'count by (worker_type) (temporal_worker_task_slots_used)', series: ['{worker_type="ActivityWorker"}', '{worker_type="WorkflowWorker"}'] },
  { expr: 'count by (service) (http_request_duration_seconds_bucket)', series: ['{service="gateway"}', '{service="accounts"}', '{service="ledger"}', '{service="read-model"}', '{service="worker"}'] },
  { expr: 'count by (service) (outbox_relay_latency_seconds_bucket)', series: ['{service="accounts"}', '{service="ledger"}'] },
  { expr: 'count by (service) (transfer_latency_seconds_bucket)', series: ['{service="worker"}'] },
  { expr: 'count by (service) (batch_latency_seconds_bucket)', series: ['{service="worker"}'] },
  { expr: 'count by (service) (projection_latency_seconds_bucket)', series: ['{service="read-model"}'] },
];

const DROPPED = 'sum by (service, reason) (otel_spans_dropped_total)';

/** Where each growth expectation falls short, as "expr series: grew n, expected ≥ m". */
function shortfalls(before: Map<string, Map<string, number>>, after: Map<string, Map<string, number>>): string[] {
  return GROWTH.flatMap(({ expr, atLeast }) => {
    const grew = growth(before.get(expr)!, after.get(expr)!);
    return Object.entries(atLeast)
      .filter(([series, least]) => (grew.get(series) ?? 0) < least)
      .map(([series, least]) => `${expr} ${series}: grew ${grew.get(series) ?? 'absent'}, expected ≥ ${least}`);
  });
}

async function readAll(exprs: string[]): Promise<Map<string, Map<string, number>>> {
  return new Map(await Promise.all(exprs.map(async (expr) => [expr, await valuesOf(expr)] as const)));
}

const SHAPES: Record<Outcome, SpanExpectation[]> = {
  posted: POSTED,
  approved: POSTED_AFTER_APPROVAL,
  insufficient_funds: FAILED_AT_RESERVE,
  account_frozen: REFUSED_AT_ACCOUNT_CHECK,
};

let load: LoadResult;
let before: Map<string, Map<string, number>>;
let after: Map<string, Map<string, number>>;
let droppedBefore: Map<string, number>;
const spans = new SpanCollector();

beforeAll(async () => {
  ensureSystem();
  const exprs = GROWTH.map((g) => g.expr);
  before = await readAll(exprs);
  droppedBefore = await valuesOf(DROPPED);
  load = await runLoad();
  spans.watch(load.transfers.map((t) => t.traceId));
  // Wait for scrapes that saw the whole load (the read model applies its events last).
  after = await readUntil(() => readAll(exprs), (read) => shortfalls(before, read).length === 0, PROMETHEUS_TIMEOUT_MS);
  await readUntil(() => scrapedSince(load.finishedAtMs), Boolean, 15_000);
}, 10 * 60_000);

describe('the load', () => {
  it('when 100 transfers of every kind have run, then each ended as planned, the replays were answered from the first request and the batch completed with its counts', () => {
    expect(load.transfers).toHaveLength(TRANSFERS);
    expect(load.transfers.filter((t) => t.ended !== EXPECTED_END[t.outcome])).toEqual([]);
    expect(load.replayStatuses).toEqual(Array(REPLAYS).fill(200));
    expect(load.duplicateCodeStatus).toBe(409);
    expect(load.batchEnded).toBe(`completed:${BATCH.posted}:${BATCH.failed}`);
  });
});

describe('metrics, scraped by the real Prometheus', () => {
  it('when the load has been scraped, then every counter it drives grew by at least what it did', () => {
    expect(shortfalls(before, after)).toEqual([]);
  });

  it('when the gauges and histograms are read, then each is present from every process that owns it, with its labels', async () => {
    const missing: string[] = [];
    for (const { expr, series } of PRESENT) {
      const found = new Set((await query(expr)).map((s) => labelKey(s.metric)));
      missing.push(...series.filter((s) => !found.has(s)).map((s) => `${expr} ${s}`));
    }
    expect(missing).toEqual([]);
  });
});

describe('dashboards', () => {
  const files = Object.keys(DASHBOARDS);
  const dashboards = files.map((file) => [file, JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'grafana', file), 'utf8')) as Dashboard] as const);
  const panelsOf = (json: Dashboard): Panel[] => json.panels.filter((p): p is Panel => !isRow(p));

  it('when the JSON is compared with its builder, then it is what grafana/build-dashboards.ts writes (run it after changing a panel)', () => {
    for (const [file, json] of dashboards) expect(json).toEqual(JSON.parse(JSON.stringify(DASHBOARDS[file])));
  });

  it('when the panels are listed, then every panel and every query uses the $datasource variable, whose default is the provisioned Prometheus', () => {
    for (const [, json] of dashboards) {
      const datasource = json.templating.list.find((v) => v.name === 'datasource');
      expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus', current: { value: 'prometheus' } });
      expect(panelsOf(json).length).toBeGreaterThan(0);
      for (const panel of panelsOf(json)) {
        expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: DATASOURCE });
        expect(panel.targets.length).toBeGreaterThan(0);
        for (const target of panel.targets) expect({ panel: panel.title, datasource: target.datasource }).toEqual({ panel: panel.title, datasource: DATASOURCE });
      }
    }
  });

  it('when the queries are read, then each uses only variables its dashboard defines', () => {
    const undefinedVariables = dashboards.flatMap(([file, json]) => {
      const defined = new Set(json.templating.list.map((v) => v.name));
      return panelsOf(json).flatMap((panel) => panel.targets.flatMap((t) => variablesIn(t.expr).filter((name) => !defined.has(name)).map((name) => `${file} / ${panel.title}: $${name}`)));
    });
    expect(undefinedVariables).toEqual([]);
  });

  it('when every query is sent to Prometheus, then it parses as PromQL and returns at least one series after the load', async () => {
    // A 1-minute rate window (Grafana's $__rate_interval at a 55 s step), every Temporal namespace.
    const expand = (expr: string) => expandVariables(expr, { stepSeconds: 55, namespace: '.*' });
    const queries = dashboards.flatMap(([file, json]) => panelsOf(json).flatMap((panel) => panel.targets.map((t) => ({ where: `${file} / ${panel.title} / ${t.refId}`, expr: expand(t.expr) }))));
    const problems: string[] = [];
    const empty: typeof queries = [];
    for (const { where, expr } of queries) {
      const error = await parseError(expr);
      if (error) problems.push(`${where}: does not parse: ${error}`);
      else if ((await query(expr)).length === 0) empty.push({ where, expr });
    }
    // Temporal's matching service emits the task-queue backlog gauges about a
    // minute after a task queue is loaded, and then once a minute: a query may
    // have no series yet right after a fresh start. Asked again until it has.
    const stillEmpty = await eventually(
      async () => (await Promise.all(empty.map(async (q) => ((await query(q.expr)).length === 0 ? [q] : [])))).flat(),
      (left) => left.length === 0,
      PROMETHEUS_TIMEOUT_MS,
    );
    problems.push(...stillEmpty.map(({ where, expr }) => `${where}: no series: ${expr}`));
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(50);
  }, PROMETHEUS_TIMEOUT_MS + 60_000);
});

describe('no span dropped under the load', () => {
  it('when the 100 transfers have settled, then each trace reached the sink whole: every hop of its outcome, no span without its parent', async () => {
    const gaps = (t: LoadResult['transfers'][number]): string[] => {
      const trace = new Trace(spans.spansOf(t.traceId));
      return [
        ...unmet(trace.spans, SHAPES[t.outcome]),
        ...trace.orphans().map((s) => `orphan ${label(s)}`),
        ...(trace.roots().length === 1 ? [] : [`${trace.roots().length} roots`]),
      ].map((gap) => `${t.outcome} ${t.id}: ${gap}`);
    };
    const incomplete = await eventually(async () => {
      spans.poll();
      return load.transfers.flatMap(gaps);
    }, (list) => list.length === 0, SPANS_TIMEOUT_MS);
    expect(incomplete).toEqual([]);

    const received = load.transfers.reduce((sum, t) => sum + spans.spansOf(t.traceId).length, 0);
    const expectedAtLeast = load.transfers.reduce((sum, t) => sum + minimumSpans(SHAPES[t.outcome]), 0);
    expect(received).toBeGreaterThanOrEqual(expectedAtLeast);
  }, 3 * 60_000);

  it('when the span processors are asked, then no process dropped a span, for a full queue or a failed export, during the load', async () => {
    const askedAtMs = Date.now();
    await readUntil(() => scrapedSince(askedAtMs), Boolean, 15_000);
    const droppedAfter = await valuesOf(DROPPED);
    const services = new Set([...droppedAfter.keys()].map((key) => /service="([^"]+)"/.exec(key)?.[1]));
    expect([...services].sort()).toEqual([...PG_SERVICES].sort());
    expect([...growth(droppedBefore, droppedAfter)].filter(([, n]) => n > 0)).toEqual([]);
  });
});
