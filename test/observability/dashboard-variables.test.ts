/**
 * grafana/variables.ts, which both the observability test and the dashboards
 * page (deploy/dashboards) use to run the dashboards' queries without Grafana:
 * $__rate_interval as Grafana computes it (at least four 5 s scrapes, and one
 * scrape more than the step), $namespace and ${namespace} replaced, and the
 * variables a query uses listed (built-ins left out). Pure functions, no stack.
 */
import { expandVariables, rateIntervalSeconds, variablesIn } from '../../grafana/variables';

describe('rateIntervalSeconds', () => {
  it('when the step is short, then the window is four scrapes (20 s)', () => {
    expect(rateIntervalSeconds(1)).toBe(20);
    expect(rateIntervalSeconds(15)).toBe(20);
  });

  it('when the step passes 15 s, then the window is the step plus one scrape', () => {
    expect(rateIntervalSeconds(16)).toBe(21);
    expect(rateIntervalSeconds(300)).toBe(305);
  });
});

describe('expandVariables', () => {
  it('when a query uses every variable, then each is replaced, every occurrence', () => {
    const expr = 'sum(rate(temporal_request{namespace=~"$namespace"}[$__rate_interval])) / sum(rate(temporal_request{namespace=~"${namespace}"}[$__rate_interval]))';
    expect(expandVariables(expr, { stepSeconds: 55, namespace: '.*' })).toBe(
      'sum(rate(temporal_request{namespace=~".*"}[60s])) / sum(rate(temporal_request{namespace=~".*"}[60s]))',
    );
  });

  it('when a query has no variable, then it is left as it is', () => {
    expect(expandVariables('max(up) by (job)', { stepSeconds: 5, namespace: 'default' })).toBe('max(up) by (job)');
  });
});

describe('variablesIn', () => {
  it('when a query uses dashboard variables and built-ins, then only the dashboard variables are listed', () => {
    expect(variablesIn('rate(x{namespace=~"$namespace", q="${datasource}"}[$__rate_interval]) or label_replace(y, "a", "$1", "b", "(.*)")')).toEqual(['namespace', 'datasource']);
  });
});
