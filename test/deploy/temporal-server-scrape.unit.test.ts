/**
 * The Prometheus job `temporal-server` keeps what the dashboards show of the
 * Temporal server, and only that: every metric that Temporal's server
 * dashboard (deploy/grafana/temporalio-dashboards/, an unmodified copy from
 * temporalio/dashboards) or a project dashboard selecting job="temporal-server"
 * queries passes the job's keep rule, in the native and the compose
 * configuration; each alternative of the rule is there for some dashboard
 * query. The dashboards' queries are read with Prometheus's own PromQL
 * grammar. Also: the copy is the upstream file byte for byte (its git blob id),
 * its license is beside it, its panels use the provisioned default datasource,
 * and compose's Grafana provisions it from a folder of its own. Files only.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT_DIR } from '../../lib/config';
import {
  alternativesOf,
  keepRegexOf,
  keeps,
  nameRegexes,
  namedMetrics,
  serverDashboardSelectors,
  UPSTREAM_DASHBOARDS_DIR,
} from '../support/temporal-server-dashboards';
import { readCompose } from './support/deploy-files';

const CONFIGS = ['deploy/prometheus/prometheus.yml', 'deploy/prometheus/prometheus.compose.yml'];
const UPSTREAM_DASHBOARD = `${UPSTREAM_DASHBOARDS_DIR}/server/server-general.json`;
const selectors = serverDashboardSelectors();
const metrics = namedMetrics(selectors);
const regexes = nameRegexes(selectors);

const read = (file: string) => readFileSync(path.join(ROOT_DIR, file), 'utf8');

/** The id git gives a file's content: sha1 of "blob <bytes>\0<content>". */
function gitBlobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

describe('what the dashboards query of the Temporal server', () => {
  it('when the dashboards are read, then both Temporal\'s server dashboard and the project\'s Temporal panels are found', () => {
    const files = new Set(selectors.map((s) => s.file));
    expect(files).toEqual(new Set([UPSTREAM_DASHBOARD, 'grafana/temporal-worker.json']));
    // The upstream dashboard's families (Temporal 1.29 names some of them differently: see its README).
    expect(metrics).toEqual(expect.arrayContaining(['service_requests', 'persistence_latency_bucket', 'client_latency_bucket', 'workflow_success', 'num_goroutines', 'approximate_backlog_count']));
    expect(regexes).toEqual(['service_errors_.*']);
  });
});

describe.each(CONFIGS)('the temporal-server job of %s', (file) => {
  const regex = keepRegexOf(file);

  it('when a dashboard queries a metric by name, then the job keeps it', () => {
    expect({ file, notKept: metrics.filter((name) => !keeps(regex, name)) }).toEqual({ file, notKept: [] });
  });

  it('when a dashboard chooses metrics by a regex on __name__, then that regex is one alternative of the keep rule (all it matches is kept)', () => {
    const alternatives = alternativesOf(regex);
    expect({ file, notKept: regexes.filter((r) => !alternatives.includes(r)) }).toEqual({ file, notKept: [] });
  });

  it('when an alternative of the keep rule is read, then some dashboard query needs it (the scrape stays bounded)', () => {
    const unused = alternativesOf(regex).filter((alternative) => !regexes.includes(alternative) && !metrics.some((name) => keeps(alternative, name)));
    expect({ file, unused }).toEqual({ file, unused: [] });
  });

  it('when a metric no dashboard queries is scraped, then the job drops it', () => {
    // The server's largest families that no dashboard reads (Temporal 1.29), and near namesakes of kept ones.
    for (const name of ['poll_latency_bucket', 'service_latency_nouserlatency_bucket', 'client_redirection_latency_bucket', 'visibility_persistence_latency_bucket', 'state_transition_count_bucket', 'service_requests_total']) {
      expect({ file, name, kept: keeps(regex, name) }).toEqual({ file, name, kept: false });
    }
  });
});

describe('the copy of Temporal\'s server dashboard', () => {
  const readme = read(`${UPSTREAM_DASHBOARDS_DIR}/README.md`);

  it('when compared with the upstream file its README names, then it is that file byte for byte', () => {
    const blob = /git blob `([0-9a-f]{40})`/.exec(readme)?.[1];
    expect(blob).toBeDefined();
    expect(gitBlobId(readFileSync(path.join(ROOT_DIR, UPSTREAM_DASHBOARD)))).toBe(blob);
    expect(readme).toMatch(/at commit `[0-9a-f]{40}`/);
  });

  it('when distributed, then the MIT License of temporalio/dashboards is beside it', () => {
    const license = read(`${UPSTREAM_DASHBOARDS_DIR}/LICENSE`);
    expect(license).toMatch(/^The MIT License/);
    expect(license).toContain('Copyright (c) 2025 Temporal Technologies Inc.');
  });

  it('when its panels run in Grafana, then they use the default datasource (the provisioned Prometheus)', () => {
    const named: unknown[] = [];
    JSON.parse(read(UPSTREAM_DASHBOARD), (key, value: unknown) => {
      // "-- Grafana --" is Grafana's built-in source of the dashboard's own annotations, in every Grafana.
      if (key === 'datasource' && value !== null && value !== '-- Grafana --') named.push(value);
      return value;
    });
    expect(named).toEqual([]);
    const datasources = (parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { type: string; isDefault?: boolean }[] }).datasources;
    expect(datasources.filter((d) => d.isDefault).map((d) => d.type)).toEqual(['prometheus']);
  });
});

describe('Grafana in compose', () => {
  const providers = (parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as { providers: { name: string; options: { path: string } }[] }).providers;
  const volumes = readCompose().services.grafana?.volumes ?? [];
  /** The container path compose mounts a checkout folder at. */
  const mountOf = (folder: string) =>
    volumes.flatMap((v) => (typeof v === 'string' ? [v.split(':')] : [])).find(([source]) => source === `./${folder}`)?.[1];

  it('when it starts, then one provider loads Temporal\'s dashboards and another the project\'s, from folders that do not nest', () => {
    const upstream = mountOf(UPSTREAM_DASHBOARDS_DIR);
    const own = mountOf('grafana');
    expect(upstream).toBeDefined();
    expect(own).toBeDefined();
    expect(providers.map((p) => p.options.path).sort()).toEqual([own, upstream].sort());
    // A provider reads its folder's subfolders too: nested mounts would load a dashboard twice.
    expect(upstream!.startsWith(`${own}/`) || own!.startsWith(`${upstream}/`)).toBe(false);
  });
});
