/**
 * Builds the Grafana dashboards of the ledger from code, so every panel has the
 * same datasource, legend and layout, and writes them as the JSON that
 * deploy/grafana/provisioning loads (commit the JSON, not just this script):
 *
 *   npx tsx grafana/build-dashboards.ts
 *
 * Every query is written to return at least one series once the system has
 * carried any load, even when a rare event (a 5xx, a failed transfer) has not
 * happened: `<rare> or <always present> * 0`. test/observability checks each
 * query against the real Prometheus.
 *
 * Units: the services' histograms are in seconds; the Temporal Core SDK's are in
 * milliseconds (its Prometheus exporter's default), hence the `ms` panels.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** The one datasource every panel uses (deploy/grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

/** Rate window: 12 scrapes at the 5 s scrape interval, smooth enough and still recent. */
const W = '5m';
/** Routes that are infrastructure, not traffic. */
const NOT_INFRA = 'route!~"/metrics|/healthz|/readyz"';

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
  range: true;
  editorMode: 'code';
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat';
  title: string;
  description: string;
  datasource: typeof DATASOURCE;
  gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
  targets: Target[];
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  graphTooltip: number;
  refresh: string;
  time: { from: string; to: string };
  timezone: string;
  fiscalYearStartMonth: number;
  liveNow: boolean;
  weekStart: string;
  annotations: { list: unknown[] };
  templating: { list: unknown[] };
  links: unknown[];
  panels: Panel[];
}

type Query = [expr: string, legend: string];

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  type?: Panel['type'];
  /** Width in grid columns (of 24); 8 unless told. */
  w?: number;
  stack?: boolean;
}

/** "Quantile of a histogram" at p50/p95/p99, one query each. */
function quantiles(bucket: string, by: string[], legendPrefix: string): Query[] {
  const groups = ['le', ...by].join(', ');
  const suffix = by.length > 0 ? ` ${by.map((l) => `{{${l}}}`).join(' ')}` : '';
  return [0.5, 0.95, 0.99].map((q) => [
    `histogram_quantile(${q}, sum by (${groups}) (rate(${bucket}[${W}])))`,
    `${legendPrefix}p${Math.round(q * 100)}${suffix}`,
  ]);
}

/**
 * The rates of a local-activity metric and its ordinary-activity twin as one
 * vector, told apart by a `kind` label ("local" / "activity"), so one panel
 * shows both and has data when either ran.
 */
function byKind(local: string, ordinary: string): string {
  const tagged = (metric: string, kind: string) => `label_replace(rate(${metric}[${W}]), "kind", "${kind}", "", "")`;
  return `${tagged(local, 'local')} or ${tagged(ordinary, 'activity')}`;
}

/** A rate of something that may never have happened, backed by a series that always exists after any load. */
function rateOrZero(rare: string, by: string, always: string): string {
  return `sum by (${by}) (rate(${rare}[${W}])) or sum(rate(${always}[${W}])) * 0`;
}

function panel(id: number, spec: PanelSpec, gridPos: Panel['gridPos']): Panel {
  const type = spec.type ?? 'timeseries';
  const custom = type === 'timeseries'
    ? { drawStyle: 'line', lineWidth: 1, fillOpacity: spec.stack ? 30 : 10, showPoints: 'never', spanNulls: true, stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' } }
    : {};
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: spec.unit, min: 0, custom }, overrides: [] },
    options: type === 'timeseries'
      ? { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } }
      : { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto' },
    targets: spec.queries.map(([expr, legendFormat], i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr,
      legendFormat,
      range: true,
      editorMode: 'code',
    })),
  };
}

/** Lays panels out left to right, 24 columns wide, 8 rows high. */
function layout(specs: PanelSpec[]): Panel[] {
  const height = 8;
  let x = 0;
  let y = 0;
  return specs.map((spec, i) => {
    const w = spec.w ?? 8;
    if (x + w > 24) {
      x = 0;
      y += height;
    }
    const built = panel(i + 1, spec, { x, y, w, h: height });
    x += w;
    return built;
  });
}

function dashboard(uid: string, title: string, description: string, specs: PanelSpec[]): Dashboard {
  return {
    uid,
    title,
    description,
    tags: ['credit-ledger'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '10s',
    time: { from: 'now-30m', to: 'now' },
    timezone: 'browser',
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: { list: [] },
    templating: { list: [] },
    links: [],
    panels: layout(specs),
  };
}

const ledgerPanels: PanelSpec[] = [
  // HTTP, every service.
  {
    title: 'Request rate by service',
    description: 'HTTP requests served per second (scrapes and health checks excluded).',
    unit: 'reqps',
    queries: [[`sum by (service) (rate(http_requests_total{${NOT_INFRA}}[${W}]))`, '{{service}}']],
  },
  {
    title: 'Gateway request rate by route',
    description: 'Public API requests per second, by method and route pattern.',
    unit: 'reqps',
    queries: [[`sum by (method, route) (rate(http_requests_total{service="gateway", ${NOT_INFRA}}[${W}]))`, '{{method}} {{route}}']],
  },
  {
    title: 'Error rate (4xx, 5xx)',
    description: 'Share of requests answered 4xx (refused) and 5xx (failed), by service.',
    unit: 'percentunit',
    queries: (['4', '5'] as const).map((digit): Query => [
      `(sum by (service) (rate(http_requests_total{status=~"${digit}.."}[${W}])) or sum by (service) (rate(http_requests_total[${W}])) * 0)` +
        ` / sum by (service) (rate(http_requests_total[${W}]))`,
      `{{service}} ${digit}xx`,
    ]),
  },
  {
    title: 'Latency p50 / p95 / p99 by service',
    description: 'HTTP request latency quantiles, from http_request_duration_seconds.',
    unit: 's',
    w: 12,
    queries: quantiles(`http_request_duration_seconds_bucket{${NOT_INFRA}}`, ['service'], ''),
  },
  {
    title: 'Gateway latency p50 / p95 / p99',
    description: 'Public API latency quantiles (POST /v1/transfers?wait=true waits for the saga).',
    unit: 's',
    w: 12,
    queries: quantiles(`http_request_duration_seconds_bucket{service="gateway", ${NOT_INFRA}}`, [], ''),
  },
  // Transfers (the saga's outcome, counted by the worker).
  {
    title: 'Transfers: initiated, posted, failed, compensated',
    description: 'Transfers per second: created by the gateway, posted, failed (by reason) and compensated (hold released).',
    unit: 'ops',
    w: 12,
    queries: [
      [`sum(rate(transfers_initiated_total[${W}]))`, 'initiated'],
      [`sum(rate(transfers_completed_total[${W}]))`, 'posted'],
      [rateOrZero('transfers_failed_total', 'reason', 'transfers_completed_total'), 'failed {{reason}}'],
      [`sum(rate(transfers_compensated_total[${W}]))`, 'compensated'],
    ],
  },
  {
    title: 'Transfer success ratio (1 h)',
    description: 'Posted transfers over posted plus failed ones, in the last hour.',
    unit: 'percentunit',
    type: 'stat',
    w: 4,
    queries: [[
      'sum(increase(transfers_completed_total[1h])) / (sum(increase(transfers_completed_total[1h])) + (sum(increase(transfers_failed_total[1h])) or vector(0)))',
      'success',
    ]],
  },
  {
    title: 'Transfer latency p50 / p95 / p99',
    description: 'From creation to a terminal status (an approval wait included), from transfer_latency_seconds.',
    unit: 's',
    w: 8,
    queries: quantiles('transfer_latency_seconds_bucket', [], ''),
  },
  {
    title: 'Idempotent replays',
    description: 'Requests answered from an earlier request with the same Idempotency-Key, by route.',
    unit: 'reqps',
    queries: [[rateOrZero('idempotency_hits_total', 'route', 'transfers_initiated_total'), '{{route}}']],
  },
  {
    title: 'Ledger entries and refusals',
    description: 'Journal entries posted (by kind) and requests the ledger refused (by error type).',
    unit: 'ops',
    queries: [
      [`sum by (kind) (rate(ledger_entries_created_total[${W}]))`, 'entries {{kind}}'],
      [rateOrZero('ledger_entry_validation_errors_total', 'error_type', 'http_requests_total{service="ledger"}'), 'refused {{error_type}}'],
    ],
  },
  {
    title: 'Accounts created and refused',
    description: 'Accounts created, and creations refused (by reason).',
    unit: 'ops',
    queries: [
      [`sum(rate(accounts_created_total[${W}]))`, 'created'],
      [rateOrZero('account_creation_errors_total', 'reason', 'accounts_created_total'), 'refused {{reason}}'],
    ],
  },
  // Outbox → Kafka → read model.
  {
    title: 'Outbox: oldest unpublished row',
    description: 'Age of the oldest outbox row not yet published to Kafka (0 when none wait): the relay falling behind shows here first.',
    unit: 's',
    queries: [[`max by (service) (outbox_oldest_unpublished_age_seconds)`, '{{service}}']],
  },
  {
    title: 'Outbox publish rate (Kafka produce)',
    description: 'Outbox events published to Kafka per second, by service and topic.',
    unit: 'ops',
    queries: [[`sum by (service, topic) (rate(outbox_events_published_total[${W}]))`, '{{service}} {{topic}}']],
  },
  {
    title: 'Outbox relay latency p50 / p95 / p99',
    description: 'From an outbox row being written to its publication, by service.',
    unit: 's',
    queries: quantiles('outbox_relay_latency_seconds_bucket', ['service'], ''),
  },
  {
    title: 'Kafka produce vs consume, by topic',
    description: 'Events published by the outbox relays against events applied by the read model, per topic.',
    unit: 'ops',
    w: 12,
    queries: [
      [`sum by (topic) (rate(outbox_events_published_total[${W}]))`, 'produced {{topic}}'],
      [`sum by (topic) (rate(events_processed_total[${W}]))`, 'consumed {{topic}}'],
    ],
  },
  {
    title: 'Consumer lag',
    description: 'Messages not yet processed by the read model consumer group (high watermark minus committed offset), by topic and partition.',
    unit: 'short',
    w: 12,
    queries: [[`max by (topic, partition) (consumer_lag)`, '{{topic}}/{{partition}}']],
  },
  {
    title: 'Projection latency p50 / p95 / p99',
    description: 'From an event occurring to its being applied to the read model projections.',
    unit: 's',
    queries: quantiles('projection_latency_seconds_bucket', [], ''),
  },
  {
    title: 'Read model: events applied and skipped',
    description: 'Events applied per second by type, and messages skipped (duplicate, malformed).',
    unit: 'ops',
    queries: [
      [`sum by (type) (rate(events_processed_total[${W}]))`, 'applied {{type}}'],
      [rateOrZero('events_skipped_total', 'reason', 'events_processed_total'), 'skipped {{reason}}'],
    ],
  },
  {
    title: 'Read model queries',
    description: 'Balance and statement queries served by the read model.',
    unit: 'reqps',
    queries: [
      [`sum(rate(balance_queries_total[${W}]))`, 'balance'],
      [`sum(rate(statement_queries_total[${W}]))`, 'statement'],
    ],
  },
  // PostgreSQL pools.
  {
    title: 'DB connections by service',
    description: 'pg pool connections open and idle, and queries waiting for a connection, by service.',
    unit: 'short',
    w: 24,
    queries: [
      [`sum by (service) (pg_pool_connections_total)`, '{{service}} open'],
      [`sum by (service) (pg_pool_connections_idle)`, '{{service}} idle'],
      [`sum by (service) (pg_pool_requests_waiting)`, '{{service}} waiting'],
    ],
  },
];

const workerPanels: PanelSpec[] = [
  {
    title: 'Workflow task execution latency p50 / p95 / p99',
    description: 'Time the worker spends running one workflow task, by workflow type.',
    unit: 'ms',
    w: 12,
    queries: quantiles('temporal_workflow_task_execution_latency_bucket', ['workflow_type'], ''),
  },
  {
    title: 'Workflow task schedule-to-start latency p50 / p95 / p99',
    description: 'Time a workflow task waits in the task queue for a worker: grows when workers are too few or too busy.',
    unit: 'ms',
    w: 12,
    queries: quantiles('temporal_workflow_task_schedule_to_start_latency_bucket', [], ''),
  },
  {
    title: 'Activity execution latency p95 by activity',
    description:
      'Time one attempt runs (an HTTP call to the ledger, or one SQL update). The transfer steps are local activities (run inside the workflow task); reversal and reconciliation steps are ordinary activities.',
    unit: 'ms',
    w: 12,
    queries: [[
      `histogram_quantile(0.95, sum by (le, kind, activity_type) (${byKind('temporal_local_activity_execution_latency_bucket', 'temporal_activity_execution_latency_bucket')}))`,
      'p95 {{kind}} {{activity_type}}',
    ]],
  },
  {
    title: 'Local activity end-to-end latency p50 / p95 / p99',
    description: 'From a transfer step being asked for to its success, retries and their backoff included: a step that waits on a service that is down shows here.',
    unit: 'ms',
    w: 12,
    queries: quantiles('temporal_local_activity_succeed_endtoend_latency_bucket', [], ''),
  },
  {
    title: 'Activity failures',
    description: 'Attempts that failed, by kind and activity: business refusals (non-retryable) and transient errors (retried).',
    unit: 'ops',
    queries: [[
      `sum by (kind, activity_type) (${byKind('temporal_local_activity_execution_failed', 'temporal_activity_execution_failed')}) or sum(rate(temporal_local_activity_total[${W}])) * 0`,
      '{{kind}} {{activity_type}}',
    ]],
  },
  {
    title: 'Activities run',
    description: 'Local activities run and activity tasks picked up per second, by activity.',
    unit: 'ops',
    queries: [[`sum by (kind, activity_type) (${byKind('temporal_local_activity_total', 'temporal_activity_task_received')})`, '{{kind}} {{activity_type}}']],
  },
  {
    title: 'Workflows completed',
    description: 'Workflow executions completed per second, by workflow type (a failed transfer still completes its workflow).',
    unit: 'ops',
    queries: [
      [`sum by (workflow_type) (rate(temporal_workflow_completed[${W}]))`, 'completed {{workflow_type}}'],
      [rateOrZero('temporal_workflow_failed', 'workflow_type', 'temporal_workflow_completed'), 'failed {{workflow_type}}'],
    ],
  },
  {
    title: 'Task slots available',
    description: 'Free execution slots per worker type: at 0 the worker takes no more tasks.',
    unit: 'short',
    queries: [[`sum by (worker_type) (temporal_worker_task_slots_available)`, '{{worker_type}}']],
  },
  {
    title: 'Task slots used',
    description: 'Execution slots in use per worker type.',
    unit: 'short',
    queries: [[`sum by (worker_type) (temporal_worker_task_slots_used)`, '{{worker_type}}']],
  },
  {
    title: 'Workflow end-to-end latency p50 / p95 / p99',
    description: 'From a workflow starting to its completion (an approval wait included).',
    unit: 'ms',
    queries: quantiles('temporal_workflow_endtoend_latency_bucket', [], ''),
  },
  {
    title: 'Pollers and sticky cache',
    description: 'Long-poll requests open per poller type, and workflows held in the sticky cache.',
    unit: 'short',
    w: 12,
    queries: [
      [`sum by (poller_type) (temporal_num_pollers)`, 'pollers {{poller_type}}'],
      [`sum(temporal_sticky_cache_size)`, 'sticky cache size'],
    ],
  },
  {
    title: 'Transfer outcomes (worker counters)',
    description: "The worker's own transfer counters, scraped beside the SDK's metrics: posted, failed by reason, compensated.",
    unit: 'ops',
    w: 12,
    queries: [
      [`sum(rate(transfers_completed_total[${W}]))`, 'posted'],
      [rateOrZero('transfers_failed_total', 'reason', 'transfers_completed_total'), 'failed {{reason}}'],
      [`sum(rate(transfers_compensated_total[${W}]))`, 'compensated'],
    ],
  },
];

export const DASHBOARDS: Record<string, Dashboard> = {
  'credit-ledger.json': dashboard(
    'credit-ledger',
    'Credit ledger',
    'Requests, transfers, outbox, Kafka, read model and database pools of the credit ledger services.',
    ledgerPanels,
  ),
  'temporal-worker.json': dashboard(
    'credit-ledger-temporal-worker',
    'Credit ledger: Temporal worker',
    "The transfer worker's Temporal SDK metrics: workflow and activity task latencies, failures, slots, completions.",
    workerPanels,
  ),
};

function main(): void {
  for (const [file, built] of Object.entries(DASHBOARDS)) {
    const target = path.join(__dirname, file);
    writeFileSync(target, JSON.stringify(built, null, 2) + '\n');
    console.log(`wrote ${path.relative(process.cwd(), target)}: ${built.panels.length} panels`);
  }
}

if (require.main === module) main();
