/**
 * The dashboard variables the panels' queries use, and how to expand them for
 * a tool that is not Grafana (the observability test sends the queries to
 * Prometheus itself). Plain code with no imports, so a browser bundle can use it too.
 *
 * - `$__rate_interval`: Grafana's rate window, max(step + scrape interval,
 *   4 × scrape interval); the stack scrapes every 5 s (deploy/prometheus).
 * - `${datasource}`: the Prometheus datasource (provisioned with uid "prometheus").
 * - `$namespace`: the Temporal namespaces shown (regex; "All" is `.*`).
 */

/** The scrape interval of every job (deploy/prometheus/prometheus.yml, the provisioned datasource's timeInterval). */
export const SCRAPE_INTERVAL_SECONDS = 5;

export interface VariableValues {
  /** Seconds between two points of the graph (Grafana's $__interval). */
  stepSeconds: number;
  /** A regex of Temporal namespaces; `.*` for all. */
  namespace: string;
}

/** Grafana's $__rate_interval for a step: at least four scrapes, and always one scrape more than the step. */
export function rateIntervalSeconds(stepSeconds: number): number {
  return Math.max(stepSeconds + SCRAPE_INTERVAL_SECONDS, 4 * SCRAPE_INTERVAL_SECONDS);
}

/** Replaces the variables of a panel's query, so Prometheus can run it as it stands. */
export function expandVariables(expr: string, values: VariableValues): string {
  return expr
    .replaceAll('$__rate_interval', `${rateIntervalSeconds(values.stepSeconds)}s`)
    .replaceAll('${namespace}', values.namespace)
    .replaceAll('$namespace', values.namespace);
}

/** Variables a query refers to (`$name` or `${name}`), built-ins (`$__…`) left out. */
export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(/\$\{?([A-Za-z]\w*)\}?/g)].flatMap(([, name]) => (name === undefined ? [] : [name]));
}
