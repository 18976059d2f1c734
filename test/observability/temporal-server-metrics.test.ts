/**
 * Temporal's server dashboard (deploy/grafana/temporalio-dashboards) and the
 * project's Temporal panels have data in the stack's real Prometheus, in
 * whichever TEMPORAL_MODE the stack runs (the dev server, or the real server,
 * as CI's server-mode step runs this file). After a few transfers (posted and
 * refused, so the workflows complete and their activities run), the
 * server's own /metrics is read: of the metrics the dashboards query, the ones
 * the server exposes include what transfers must produce, and Prometheus's
 * job temporal-server has series of every one of them. The static side of the
 * keep rule (against every query, exposed or not) is
 * test/deploy/temporal-server-scrape.unit.test.ts.
 */
import { serverDashboardSelectors, nameRegexes, namedMetrics, SERVER_JOB } from '../support/temporal-server-dashboards';
import { shiftedPorts } from '../support/ports';
import { createAccount, ensureSystem, fund, transfer, transferAndSettle } from '../support/system';
import { query, readUntil } from './support/prometheus';

const METRICS_URL = `http://127.0.0.1:${shiftedPorts(0).TEMPORAL_METRICS_PORT}/metrics`;
/** Two scrapes of the job (every 15 s) and some: time for the series the server has just exposed to reach Prometheus. */
const SCRAPED_TIMEOUT_MS = 60_000;
/**
 * Metrics the dashboards query that a server which has run workflows exposes
 * in both modes (Temporal 1.29) right after its workflows: if the server did
 * not expose these, the comparison below would have little to compare.
 * Not `approximate_backlog_count`: matching emits it on a timer of its own, so
 * a server started shortly before may not have it yet (seen in a full run).
 */
const EXPECTED_EXPOSED = [
  'service_requests', 'service_latency_bucket', 'client_requests', 'client_latency_bucket',
  'persistence_requests', 'persistence_latency_bucket',
  'action', 'workflow_success', 'state_transition_count_count', 'num_goroutines', 'memory_allocated',
];

/** The metric names of a Prometheus text exposition. */
async function exposedNames(): Promise<Set<string>> {
  const response = await fetch(METRICS_URL, { signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`${METRICS_URL} answered ${response.status}`);
  const lines = (await response.text()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Set(lines.map((line) => /^[^{ ]+/.exec(line)![0]));
}

/**
 * The names among `names` of which Prometheus has a sample of the job scraped
 * after `sinceMs`. Only a scrape since then counts: Prometheus still answers
 * with a series for 5 minutes after a configuration stopped keeping it.
 * timestamp() gives a sample's own time only when applied to a selector, and
 * drops the name, so each name has its count, labelled with the name again.
 */
async function scrapedSince(names: string[], sinceMs: number): Promise<Set<string>> {
  const counts = names.map((name) => `label_replace(count(timestamp(${name}{job="${SERVER_JOB}"}) > ${sinceMs / 1000}), "name", "${name}", "", "")`);
  const samples = await query(counts.join(' or '));
  return new Set(samples.flatMap((s) => (s.metric.name === undefined ? [] : [s.metric.name])));
}

let queriedAndExposed: string[];
let exposedAtMs: number;

beforeAll(async () => {
  ensureSystem();
  const [payer, payee] = [await createAccount('USD'), await createAccount('USD')];
  await fund(payer, '1000');
  for (const amount of ['100', '200']) expect((await transferAndSettle(transfer(payer, payee, amount))).body.status).toBe('posted');
  expect((await transferAndSettle(transfer(payer, payee, '5000'))).body).toMatchObject({ status: 'failed', failureCode: 'INSUFFICIENT_FUNDS' });

  const selectors = serverDashboardSelectors();
  const byRegex = nameRegexes(selectors).map((r) => new RegExp(`^(?:${r})$`));
  exposedAtMs = Date.now();
  const exposed = await exposedNames();
  const queried = new Set([...namedMetrics(selectors), ...[...exposed].filter((name) => byRegex.some((r) => r.test(name)))]);
  queriedAndExposed = [...exposed].filter((name) => queried.has(name)).sort();
}, 10 * 60_000);

it('when workflows have run, then the server exposes the metrics the dashboards chart for them', () => {
  expect(queriedAndExposed).toEqual(expect.arrayContaining(EXPECTED_EXPOSED));
});

it('when the server exposes a metric a dashboard queries, then Prometheus has series of it for the job temporal-server', async () => {
  const scraped = await readUntil(() => scrapedSince(queriedAndExposed, exposedAtMs), (names) => queriedAndExposed.every((n) => names.has(n)), SCRAPED_TIMEOUT_MS);
  expect({ missing: queriedAndExposed.filter((name) => !scraped.has(name)) }).toEqual({ missing: [] });
}, 2 * SCRAPED_TIMEOUT_MS);
