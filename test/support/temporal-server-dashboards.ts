/**
 * What the dashboards ask of the Temporal server's metrics, and what the
 * Prometheus job `temporal-server` keeps of them: the series selectors of
 * Temporal's own server dashboard (deploy/grafana/temporalio-dashboards/, which
 * queries the server's metrics without a job label) and of the project's
 * dashboards (grafana/*.json) that select job="temporal-server", and the keep
 * rule of that job in a Prometheus configuration. Only reading here; the rules
 * are in test/deploy/temporal-server-scrape.unit.test.ts and
 * test/observability/temporal-server-metrics.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { expandVariables } from '../../grafana/variables';
import { ROOT_DIR } from '../../lib/config';
import { selectorsOf, type Selector } from './promql-selectors';

export const UPSTREAM_DASHBOARDS_DIR = 'deploy/grafana/temporalio-dashboards';
export const SERVER_JOB = 'temporal-server';

interface Panel {
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface DashboardSelector {
  /** The dashboard file, relative to the checkout. */
  file: string;
  expr: string;
  selector: Selector;
}

/** Every .json file under `dir` (relative to the checkout), subfolders included. */
function jsonFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT_DIR, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => path.relative(ROOT_DIR, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The queries of every panel, those of panels inside (collapsed) rows included. */
function exprsOf(panels: Panel[]): string[] {
  return panels.flatMap((panel) => [...(panel.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])), ...exprsOf(panel.panels ?? [])]);
}

function selectorsOfFile(file: string): DashboardSelector[] {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT_DIR, file), 'utf8')) as { panels: Panel[] };
  // The project's dashboards use Grafana's variables, which are not PromQL until expanded.
  const exprs = exprsOf(dashboard.panels).map((expr) => expandVariables(expr, { stepSeconds: 15, namespace: '.*' }));
  return exprs.flatMap((expr) => selectorsOf(expr).map((selector) => ({ file, expr, selector })));
}

const selectsServerJob = (s: Selector) => s.matchers.some((m) => m.label === 'job' && m.op === '=' && m.value === SERVER_JOB);

/** Every selector by which a dashboard reads the Temporal server's metrics. */
export function serverDashboardSelectors(): DashboardSelector[] {
  const upstream = jsonFiles(UPSTREAM_DASHBOARDS_DIR).flatMap(selectorsOfFile);
  const own = jsonFiles('grafana')
    .filter((file) => path.dirname(file) === 'grafana')
    .flatMap(selectorsOfFile)
    .filter((s) => selectsServerJob(s.selector));
  return [...upstream, ...own];
}

/** The metric names the selectors name, sorted, each once. */
export function namedMetrics(selectors: DashboardSelector[]): string[] {
  return [...new Set(selectors.flatMap((s) => (s.selector.name ? [s.selector.name] : [])))].sort();
}

/** The regexes on __name__ by which selectors without a name choose metrics. */
export function nameRegexes(selectors: DashboardSelector[]): string[] {
  const regexes = selectors.flatMap((s) => s.selector.matchers.filter((m) => m.label === '__name__' && m.op === '=~').map((m) => m.value));
  return [...new Set(regexes)].sort();
}

interface RelabelRule {
  source_labels?: string[];
  regex?: string;
  action?: string;
}

/** The regex of the temporal-server job's one relabel rule, which must keep by __name__. */
export function keepRegexOf(prometheusConfigFile: string): string {
  const config = parse(readFileSync(path.join(ROOT_DIR, prometheusConfigFile), 'utf8')) as { scrape_configs: { job_name: string; metric_relabel_configs?: RelabelRule[] }[] };
  const rules = config.scrape_configs.find((job) => job.job_name === SERVER_JOB)?.metric_relabel_configs ?? [];
  const [rule] = rules;
  if (rules.length !== 1 || !rule || rule.action !== 'keep' || rule.source_labels?.join() !== '__name__' || !rule.regex) {
    throw new Error(`${prometheusConfigFile}: job ${SERVER_JOB} should have one metric_relabel_configs rule keeping by __name__`);
  }
  return rule.regex;
}

/** Whether Prometheus's relabeling keeps `name`: its regexes are anchored at both ends. */
export function keeps(regex: string, name: string): boolean {
  return new RegExp(`^(?:${regex})$`).test(name);
}

/** The top-level alternatives of a regex (`a|b_(c|d)` is `a` and `b_(c|d)`). */
export function alternativesOf(regex: string): string[] {
  const alternatives: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < regex.length; i++) {
    if (regex[i] === '\\') i++;
    else if (regex[i] === '(') depth++;
    else if (regex[i] === ')') depth--;
    else if (regex[i] === '|' && depth === 0) {
      alternatives.push(regex.slice(start, i));
      start = i + 1;
    }
  }
  return [...alternatives, regex.slice(start)];
}
