/**
 * Builds the Grafana dashboards of the ledger from code, so every panel has the
 * same datasource, legend and layout, and writes them as the JSON that
 * deploy/grafana/provisioning loads (commit the JSON, not just this script):
 *
 *   npx tsx grafana/build-dashboards.ts
 *
 * Every query is written to return at least one series once the system has
 * carried any load, even when a rare event (a 5xx, a failed transfer, a failed
 * workflow task) has not happened: `<rare> or <always present> * 0`.
 * test/observability checks each query against the real Prometheus.
 *
 * Panels are grouped in rows; queries use Grafana's `$__rate_interval` and the
 * `$datasource` variable (and `$namespace` on the Temporal dashboard), as
 * Temporal's own SDK dashboard does (temporalio/dashboards,
 * sdk/temporal-core-sdks-otel.json), whose panels the worker dashboard covers.
 * grafana/variables.ts expands them for tools that are not Grafana.
 *
 * Units: the services' and the Temporal server's histograms are in seconds; the
 * Temporal Core SDK's are in milliseconds (its Prometheus exporter's default),
 * hence the `ms` panels.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Every panel's datasource: the `$datasource` variable, whose default is the provisioned Prometheus (uid "prometheus"). */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
/** The provisioned datasource (deploy/grafana/provisioning/datasources/prometheus.yml). */
const PROVISIONED_UID = 'prometheus';

/** Grafana's rate window: four scrapes at least, more when the graph's step is longer. */
const W = '$__rate_interval';
/** Routes that are infrastructure, not traffic. */
const NOT_INFRA = 'route!~"/metrics|/healthz|/readyz"';
/** The scrape jobs of the application's Node processes (Prometheus and Temporal export process metrics too). */
const APP_JOBS = 'gateway|accounts|ledger|read-model|worker';
/** The Temporal dev server's own metrics: scraped every 15 s, so rate windows of four scrapes. */
const SERVER_JOB = 'job="temporal-server"';
const SERVER_W = '1m';
/** The Temporal namespaces chosen with the `$namespace` variable. */
const NS = 'namespace=~"$namespace"';

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

/** A row header: the panels after it, up to the next row, are its panels (an expanded row keeps `panels` empty). */
export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: false;
  gridPos: { x: number; y: number; w: number; h: number };
  panels: [];
}

export interface Variable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  [setting: string]: unknown;
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
  templating: { list: Variable[] };
  links: unknown[];
  panels: Array<Panel | RowPanel>;
}

export function isRow(panel: Panel | RowPanel): panel is RowPanel {
  return panel.type === 'row';
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

interface RowSpec {
  row: string;
  panels: PanelSpec[];
}

// ---------------------------------------------------------------- variables

const DATASOURCE_VARIABLE: Variable = {
  name: 'datasource',
  label: 'Data source',
  type: 'datasource',
  query: 'prometheus',
  current: { text: 'Prometheus', value: PROVISIONED_UID },
  includeAll: false,
  multi: false,
  options: [],
  refresh: 1,
  regex: '',
  hide: 0,
};

const NAMESPACE_VARIABLE: Variable = {
  name: 'namespace',
  label: 'Namespace',
  type: 'query',
  datasource: DATASOURCE,
  definition: 'label_values(temporal_worker_start, namespace)',
  query: { query: 'label_values(temporal_worker_start, namespace)', refId: 'namespace' },
  current: { text: 'All', value: '$__all' },
  includeAll: true,
  allValue: '.*',
  multi: true,
  options: [],
  refresh: 2,
  regex: '',
  sort: 1,
  hide: 0,
};

// ---------------------------------------------------------------- query helpers

/** "Quantile of a histogram" at p50/p95/p99, one query each. */
function quantiles(bucket: string, by: string[], legendPrefix: string): Query[] {
  const groups = ['le', ...by].join(', ');
  const suffix = by.length > 0 ? ` ${by.map((l) => `{{${l}}}`).join(' ')}` : '';
  return [0.5, 0.95, 0.99].map((q) => [
    `histogram_quantile(${q}, sum by (${groups}) (rate(${bucket}[${W}])))`,
    `${legendPrefix}p${Math.round(q * 100)}${suffix}`,
  ]);
}

/** A quantile of a histogram that may not exist yet (created at its first observation), backed by a zero. */
function quantileOrZero(q: number, bucket: string, by: string[], always: string): string {
  return `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${bucket}[${W}]))) or sum(rate(${always}[${W}])) * 0`;
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

/** A Temporal SDK metric in the chosen namespaces, with more matchers if given. */
function tm(metric: string, ...matchers: string[]): string {
  return `${metric}{${[NS, ...matchers].join(', ')}}`;
}

// ---------------------------------------------------------------- layout

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

/** Lays rows out top to bottom; in each, panels left to right, 24 columns wide, 8 rows high. */
function layout(rows: RowSpec[]): Array<Panel | RowPanel> {
  const height = 8;
  const built: Array<Panel | RowPanel> = [];
  let y = 0;
  for (const row of rows) {
    built.push({ id: built.length + 1, type: 'row', title: row.row, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    for (const spec of row.panels) {
      const w = spec.w ?? 8;
      if (x + w > 24) {
        x = 0;
        y += height;
      }
      built.push(panel(built.length + 1, spec, { x, y, w, h: height }));
      x += w;
    }
    y += height;
  }
  return built;
}

function dashboard(uid: string, title: string, description: string, variables: Variable[], rows: RowSpec[]): Dashboard {
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
    templating: { list: variables },
    links: [],
    panels: layout(rows),
  };
}

// ---------------------------------------------------------------- shared panels

/** Node.js runtime panels (prom-client's default metrics) of the processes matched by `selector`. */
function nodeRuntimePanels(selector: string, who: string): PanelSpec[] {
  const sel = selector ? `{${selector}}` : '';
  return [
    {
      title: 'Event-loop lag p99',
      description: `How late the event loop runs timers (${who}), p99 over prom-client's sampling window: above ~50 ms every request waits.`,
      unit: 's',
      queries: [[`max by (service) (nodejs_eventloop_lag_p99_seconds${sel})`, '{{service}}']],
    },
    {
      title: 'CPU',
      description: `CPU time per second (${who}): 1 is one core.`,
      unit: 'percentunit',
      queries: [[`sum by (service) (rate(process_cpu_seconds_total${sel}[${W}]))`, '{{service}}']],
    },
    {
      title: 'GC time per second',
      description: `Time spent in garbage collection per second (${who}), by kind (minor, major, incremental, weakcb).`,
      unit: 'percentunit',
      queries: [[`sum by (service, kind) (rate(nodejs_gc_duration_seconds_sum${sel}[${W}]))`, '{{service}} {{kind}}']],
    },
    {
      title: 'Heap used / total',
      description: `V8 heap in use and allocated (${who}); used climbing without falling back after GCs is a leak.`,
      unit: 'bytes',
      w: 12,
      queries: [
        [`sum by (service) (nodejs_heap_size_used_bytes${sel})`, '{{service}} used'],
        [`sum by (service) (nodejs_heap_size_total_bytes${sel})`, '{{service}} total'],
      ],
    },
    {
      title: 'Resident memory',
      description: `Resident set size of each process (${who}): heap, code, buffers and native memory (the Temporal Core SDK's, in the worker).`,
      unit: 'bytes',
      w: 12,
      queries: [[`sum by (service) (process_resident_memory_bytes${sel})`, '{{service}}']],
    },
  ];
}

// ---------------------------------------------------------------- the ledger dashboard

const ledgerRows: RowSpec[] = [
  {
    row: 'Requests',
    panels: [
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
    ],
  },
  {
    // The saga's outcome, counted by the worker.
    row: 'Transfers',
    panels: [
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
        description: 'Posted transfers over posted plus failed ones, in the last hour (the TransferFailureRatioHigh alert watches 10 minutes).',
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
        title: 'Oldest pending transfer',
        description: 'How long the oldest transfer still pending has waited (the gateway reads it at each scrape; awaiting_approval not counted). Over 60 s for a minute fires TransfersStuckPending.',
        unit: 's',
        queries: [['max(transfers_oldest_pending_age_seconds)', 'oldest pending']],
      },
      {
        title: 'Idempotent replays',
        description: 'Requests answered from an earlier request with the same Idempotency-Key, by route.',
        unit: 'reqps',
        queries: [[rateOrZero('idempotency_hits_total', 'route', 'transfers_initiated_total'), '{{route}}']],
      },
    ],
  },
  {
    // A batch's items are transfers, but posted chunk by chunk by one workflow: counted by the worker's batch activities.
    row: 'Transfer batches',
    panels: [
      {
        title: 'Batch items by outcome',
        description: 'Items of transfer batches recorded per second, posted or failed (an atomic batch refused fails every item; the ledger counts posted ones as entries of kind batch), from batch_items_total.',
        unit: 'ops',
        w: 12,
        queries: [[rateOrZero('batch_items_total', 'outcome', 'transfers_initiated_total'), '{{outcome}}']],
      },
      {
        title: 'Batch latency p50 / p95',
        description: 'From a transfer batch being created to its final status (completed, failed), by that status, from batch_latency_seconds.',
        unit: 's',
        w: 12,
        queries: [0.5, 0.95].map((q): Query => [
          quantileOrZero(q, 'batch_latency_seconds_bucket', ['status'], 'transfers_initiated_total'),
          `p${Math.round(q * 100)} {{status}}`,
        ]),
      },
    ],
  },
  {
    row: 'Ledger and accounts',
    panels: [
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
        title: 'Holds by new status',
        description: 'Hold state changes per second: reserved by a transfer, then captured (posted) or voided (refused, rejected, cancelled) or expired.',
        unit: 'ops',
        queries: [[`sum by (status) (rate(ledger_holds_total[${W}]))`, '{{status}}']],
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
    ],
  },
  {
    row: 'Outbox, Kafka and read model',
    panels: [
      {
        title: 'Outbox: oldest unpublished row',
        description: 'Age of the oldest outbox row not yet published to Kafka (0 when none wait): the relay falling behind shows here first. Over 5 s for 10 s fires OutboxEventsUnpublished.',
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
    ],
  },
  {
    row: 'Database pools',
    panels: [
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
    ],
  },
  { row: 'Node.js runtime', panels: nodeRuntimePanels(`job=~"${APP_JOBS}"`, 'every service') },
  {
    row: 'Scrape targets and telemetry',
    panels: [
      {
        title: 'Targets up',
        description: 'Each scrape target: 1 when Prometheus reached it at the last scrape, 0 when not (down for 30 s fires TargetDown).',
        unit: 'short',
        w: 12,
        queries: [['max by (job) (up)', '{{job}}']],
      },
      {
        title: 'Spans dropped',
        description: 'Spans a process lost before they reached the trace collector, per second, by reason: queue_full (more spans than the exporter sends) or export_failed (any fires SpansDropped).',
        unit: 'ops',
        w: 12,
        queries: [[`sum by (service, reason) (rate(otel_spans_dropped_total[${W}]))`, '{{service}} {{reason}}']],
      },
    ],
  },
];

// ---------------------------------------------------------------- the Temporal worker dashboard

const workerRows: RowSpec[] = [
  {
    row: 'Workflows',
    panels: [
      {
        title: 'Workflows completed',
        description: 'Workflow executions completed per second, by workflow type (a failed transfer still completes its workflow).',
        unit: 'ops',
        queries: [
          [`sum by (workflow_type) (rate(${tm('temporal_workflow_completed')}[${W}]))`, 'completed {{workflow_type}}'],
          [rateOrZero(tm('temporal_workflow_failed'), 'workflow_type', tm('temporal_workflow_completed')), 'failed {{workflow_type}}'],
        ],
      },
      {
        title: 'Workflow end-to-end latency p50 / p95 / p99',
        description: 'From a workflow starting to its completion (an approval wait included).',
        unit: 'ms',
        queries: quantiles(tm('temporal_workflow_endtoend_latency_bucket'), [], ''),
      },
      {
        title: 'Transfer outcomes (worker counters)',
        description: "The worker's own transfer counters, scraped beside the SDK's metrics: posted, failed by reason, compensated.",
        unit: 'ops',
        queries: [
          [`sum(rate(transfers_completed_total[${W}]))`, 'posted'],
          [rateOrZero('transfers_failed_total', 'reason', 'transfers_completed_total'), 'failed {{reason}}'],
          [`sum(rate(transfers_compensated_total[${W}]))`, 'compensated'],
        ],
      },
    ],
  },
  {
    row: 'Workflow tasks',
    panels: [
      {
        title: 'Workflow task throughput and empty polls',
        description: 'Workflow task polls that brought a task, and long polls that came back empty (an idle worker polls empty; many empty polls under load mean too many pollers).',
        unit: 'ops',
        w: 12,
        queries: [
          [`sum by (task_queue) (rate(${tm('temporal_workflow_task_queue_poll_succeed')}[${W}]))`, 'tasks {{task_queue}}'],
          [rateOrZero(tm('temporal_workflow_task_queue_poll_empty'), 'task_queue', tm('temporal_workflow_task_queue_poll_succeed')), 'empty polls {{task_queue}}'],
        ],
      },
      {
        title: 'Workflow task failures',
        description: 'Workflow tasks that failed, by workflow type: non-determinism (a workflow change that does not replay) and bugs in workflow code show here (any fires WorkflowTaskFailures).',
        unit: 'ops',
        w: 12,
        queries: [[rateOrZero(tm('temporal_workflow_task_execution_failed'), 'workflow_type', tm('temporal_workflow_completed')), '{{workflow_type}}']],
      },
      {
        title: 'Workflow task execution latency p50 / p95 / p99',
        description: 'Time the worker spends running one workflow task, by workflow type (the transfer steps run inside it as local activities).',
        unit: 'ms',
        queries: quantiles(tm('temporal_workflow_task_execution_latency_bucket'), ['workflow_type'], ''),
      },
      {
        title: 'Workflow task schedule-to-start latency p50 / p95 / p99',
        description: 'Time a workflow task waits in the task queue for a worker: grows when workers are too few or too busy (WorkflowTaskScheduleToStartSlow).',
        unit: 'ms',
        queries: quantiles(tm('temporal_workflow_task_schedule_to_start_latency_bucket'), [], ''),
      },
      {
        title: 'Workflow task replay latency p95',
        description: 'Time to replay a workflow history into a worker that does not hold it in its sticky cache (after a restart or an eviction).',
        unit: 'ms',
        queries: [[
          quantileOrZero(0.95, tm('temporal_workflow_task_replay_latency_bucket'), ['workflow_type'], tm('temporal_workflow_completed')),
          'p95 {{workflow_type}}',
        ]],
      },
    ],
  },
  {
    row: 'Activities',
    panels: [
      {
        title: 'Activity execution latency p95 by activity',
        description:
          'Time one attempt runs (an HTTP call to the ledger, or one SQL update). The transfer steps are local activities (run inside the workflow task); reversal and reconciliation steps are ordinary activities.',
        unit: 'ms',
        w: 12,
        queries: [[
          `histogram_quantile(0.95, sum by (le, kind, activity_type) (${byKind(tm('temporal_local_activity_execution_latency_bucket'), tm('temporal_activity_execution_latency_bucket'))}))`,
          'p95 {{kind}} {{activity_type}}',
        ]],
      },
      {
        title: 'Local activity end-to-end latency p50 / p95 / p99',
        description: 'From a transfer step being asked for to its success, retries and their backoff included: a step that waits on a service that is down shows here.',
        unit: 'ms',
        w: 12,
        queries: quantiles(tm('temporal_local_activity_succeed_endtoend_latency_bucket'), [], ''),
      },
      {
        title: 'Activity failures',
        description: 'Attempts that failed, by kind and activity: business refusals (non-retryable) and transient errors (retried).',
        unit: 'ops',
        queries: [[
          `sum by (kind, activity_type) (${byKind(tm('temporal_local_activity_execution_failed'), tm('temporal_activity_execution_failed'))}) or sum(rate(${tm('temporal_local_activity_total')}[${W}])) * 0`,
          '{{kind}} {{activity_type}}',
        ]],
      },
      {
        title: 'Activities run',
        description: 'Local activities run and activity tasks picked up per second, by activity.',
        unit: 'ops',
        queries: [[`sum by (kind, activity_type) (${byKind(tm('temporal_local_activity_total'), tm('temporal_activity_task_received'))})`, '{{kind}} {{activity_type}}']],
      },
      {
        title: 'Activity task schedule-to-start p95 and empty polls',
        description: 'Ordinary activity tasks (reversals, reconciliation): time waiting in the queue for a worker (ActivityScheduleToStartSlow), and activity polls that came back empty.',
        unit: 'short',
        queries: [
          [quantileOrZero(0.95, tm('temporal_activity_schedule_to_start_latency_bucket'), ['task_queue'], tm('temporal_workflow_completed')), 'schedule-to-start p95 ms {{task_queue}}'],
          [rateOrZero(tm('temporal_activity_poll_no_task'), 'task_queue', tm('temporal_workflow_completed')), 'empty polls/s {{task_queue}}'],
        ],
      },
    ],
  },
  {
    // What the Core SDK asks of the Temporal server (temporal_request*) and its long polls (temporal_long_request*).
    row: 'Requests to the Temporal server',
    panels: [
      {
        title: 'RPC requests vs failures',
        description: 'Requests the worker made to the Temporal server per second (task completions, heartbeats, starts), and those that failed.',
        unit: 'reqps',
        queries: [
          [`sum by (namespace) (rate(${tm('temporal_request')}[${W}]))`, 'requests {{namespace}}'],
          [rateOrZero(tm('temporal_request_failure'), 'namespace', tm('temporal_request')), 'failures {{namespace}}'],
        ],
      },
      {
        title: 'RPC requests and failures per operation',
        description: 'The same requests by operation (RespondWorkflowTaskCompleted, ...), failures marked.',
        unit: 'reqps',
        queries: [
          [`sum by (operation) (rate(${tm('temporal_request')}[${W}]))`, '{{operation}}'],
          [rateOrZero(tm('temporal_request_failure'), 'operation', tm('temporal_request')), 'failed {{operation}}'],
        ],
      },
      {
        title: 'RPC latency p95 per operation',
        description: 'Latency of the requests above, by operation.',
        unit: 'ms',
        queries: [[`histogram_quantile(0.95, sum by (le, operation) (rate(${tm('temporal_request_latency_bucket')}[${W}])))`, '{{operation}}']],
      },
      {
        title: 'Long polls and their failures',
        description: 'Task queue long polls per second by operation (PollWorkflowTaskQueue, PollActivityTaskQueue), and polls that failed (the server unreachable).',
        unit: 'reqps',
        w: 12,
        queries: [
          [`sum by (operation) (rate(${tm('temporal_long_request')}[${W}]))`, '{{operation}}'],
          [rateOrZero(tm('temporal_long_request_failure'), 'operation', tm('temporal_long_request')), 'failed {{operation}}'],
        ],
      },
      {
        title: 'Long poll latency p95',
        description: 'How long a long poll waits for a task (up to the server\'s poll timeout when the queue is empty).',
        unit: 'ms',
        w: 12,
        queries: [[`histogram_quantile(0.95, sum by (le, operation) (rate(${tm('temporal_long_request_latency_bucket')}[${W}])))`, '{{operation}}']],
      },
    ],
  },
  {
    row: 'Slots, pollers and sticky cache',
    panels: [
      {
        title: 'Task slots available',
        description: 'Free execution slots per worker type: at 0 the worker takes no more tasks.',
        unit: 'short',
        queries: [[`sum by (worker_type) (${tm('temporal_worker_task_slots_available')})`, '{{worker_type}}']],
      },
      {
        title: 'Task slots used',
        description: 'Execution slots in use per worker type.',
        unit: 'short',
        queries: [[`sum by (worker_type) (${tm('temporal_worker_task_slots_used')})`, '{{worker_type}}']],
      },
      {
        title: 'Pollers and sticky cache size',
        description: 'Long-poll requests open per poller type, and workflows held in the sticky cache.',
        unit: 'short',
        queries: [
          [`sum by (poller_type) (${tm('temporal_num_pollers')})`, 'pollers {{poller_type}}'],
          [`sum(${tm('temporal_sticky_cache_size')})`, 'sticky cache size'],
        ],
      },
      {
        title: 'Sticky cache hits, misses and forced evictions',
        description: 'Workflow tasks that found their workflow in the cache (hit), had to replay its history (miss), and workflows evicted to make room (forced eviction).',
        unit: 'ops',
        w: 24,
        queries: [
          [rateOrZero(tm('temporal_sticky_cache_hit'), 'workflow_type', tm('temporal_workflow_completed')), 'hit {{workflow_type}}'],
          [rateOrZero(tm('temporal_sticky_cache_miss'), 'workflow_type', tm('temporal_workflow_completed')), 'miss {{workflow_type}}'],
          [rateOrZero(tm('temporal_sticky_cache_total_forced_eviction'), 'task_queue', tm('temporal_workflow_completed')), 'forced eviction {{task_queue}}'],
        ],
      },
    ],
  },
  // The official dashboard leaves CPU and memory to the host's metrics; the worker's prom-client has them.
  { row: 'Worker process', panels: nodeRuntimePanels('service="worker", job="worker"', 'the worker process') },
  {
    // The dev server's own metrics (job temporal-server, scraped every 15 s, hence [1m] windows: deploy/prometheus/prometheus.yml).
    row: 'Temporal server',
    panels: [
      {
        title: 'Server requests and errors by service',
        description: "Requests the Temporal server's frontend, history and matching services handled per second (the workers' polls and completions, the gateway's starts and signals), and those that failed.",
        unit: 'reqps',
        queries: [
          [`sum by (service_name) (rate(service_requests{${SERVER_JOB}}[${SERVER_W}]))`, '{{service_name}}'],
          [`sum by (service_name) (rate(service_error_with_type{${SERVER_JOB}}[${SERVER_W}])) or sum(rate(service_requests{${SERVER_JOB}}[${SERVER_W}])) * 0`, 'errors {{service_name}}'],
        ],
      },
      {
        title: 'Frontend latency p95 by operation',
        description: 'Latency of the requests the frontend served (StartWorkflowExecution, RespondWorkflowTaskCompleted, ...); long polls excluded.',
        unit: 's',
        queries: [[
          `histogram_quantile(0.95, sum by (le, operation) (rate(service_latency_bucket{${SERVER_JOB}, service_name="frontend", operation!~"Poll.*"}[${SERVER_W}])))`,
          '{{operation}}',
        ]],
      },
      {
        title: 'Persistence latency p95 by operation',
        description: "The dev server's SQLite (TEMPORAL_SQLITE_PRAGMAS): latency of its persistence calls, by operation.",
        unit: 's',
        queries: [[`histogram_quantile(0.95, sum by (le, operation) (rate(persistence_latency_bucket{${SERVER_JOB}}[${SERVER_W}])))`, '{{operation}}']],
      },
      {
        title: 'Task queue backlog',
        description: "Tasks waiting in the server's task queues for a worker, by queue and task type (what the workers' schedule-to-start latency measures from their side).",
        unit: 'short',
        w: 12,
        queries: [[`sum by (taskqueue, task_type) (approximate_backlog_count{${SERVER_JOB}, ${NS}, taskqueue!~"temporal_sys.*"})`, '{{taskqueue}} {{task_type}}']],
      },
      {
        title: 'Task queue backlog age',
        description: 'How long the oldest waiting task of each queue has waited.',
        unit: 's',
        w: 12,
        queries: [[`max by (taskqueue, task_type) (approximate_backlog_age_seconds{${SERVER_JOB}, ${NS}, taskqueue!~"temporal_sys.*"})`, '{{taskqueue}} {{task_type}}']],
      },
    ],
  },
];

export const DASHBOARDS: Record<string, Dashboard> = {
  'credit-ledger.json': dashboard(
    'credit-ledger',
    'Credit ledger',
    'Requests, transfers, ledger, outbox, Kafka, read model, database pools, Node.js runtime and scrape targets of the credit ledger services.',
    [DATASOURCE_VARIABLE],
    ledgerRows,
  ),
  'temporal-worker.json': dashboard(
    'credit-ledger-temporal-worker',
    'Credit ledger: Temporal worker',
    "The transfer worker's Temporal SDK metrics (the panels of Temporal's SDK dashboard): workflows, workflow tasks, activities, requests to the server, slots and sticky cache; and the worker process.",
    [DATASOURCE_VARIABLE, NAMESPACE_VARIABLE],
    workerRows,
  ),
};

function main(): void {
  for (const [file, built] of Object.entries(DASHBOARDS)) {
    const target = path.join(__dirname, file);
    writeFileSync(target, JSON.stringify(built, null, 2) + '\n');
    const panels = built.panels.filter((p) => !isRow(p)).length;
    console.log(`wrote ${path.relative(process.cwd(), target)}: ${panels} panels in ${built.panels.length - panels} rows`);
  }
}

if (require.main === module) main();
