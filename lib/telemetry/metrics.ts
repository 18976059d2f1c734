/**
 * Prometheus metrics shared by every service: one registry per process with
 * the default process metrics, HTTP request metrics per route and status, and
 * pg pool gauges. Domain metrics are declared next to the code that counts them,
 * on the same registry.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { joinClusterMetrics } from '../cluster/metrics';
import { spansDroppedTotal } from './span-processor';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  registry.registerMetric(spansDroppedTotal);
  joinClusterMetrics(registry);
  return registry;
}

/** Latency buckets in seconds, from sub-millisecond to the 10 s `?wait=true` ceiling. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts every request and observes its latency, labelled by route pattern (not raw path) and status. */
export function httpMetricsMiddleware(registry: Registry) {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const startedAt = process.hrtime.bigint();
    res.on('finish', () => {
      const labels = { method: req.method, route: matchedRoute(req, res) ?? 'unmatched', status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    next();
  };
}

/**
 * Remembers the matched route pattern while the request is inside its router.
 * Called by asyncHandler: once an error leaves the router, Express has already
 * reset req.baseUrl, and the label would lose its mount prefix ("/transfers"
 * instead of "/v1/transfers").
 */
export function rememberRoute(req: Request, res: Response): void {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  if (route) res.locals.metricsRoute = `${req.baseUrl}${route}`;
}

/** The matched route pattern ('/v1/transfers/:id'), or null when no route matched (metrics label those 'unmatched', so cardinality stays bounded). */
export function matchedRoute(req: Request, res: Response): string | null {
  if (typeof res.locals.metricsRoute === 'string') return res.locals.metricsRoute;
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl}${route}` : null;
}

/**
 * A gauge of how long the oldest row of `table` matching `where` has waited
 * (seconds since its created_at; 0 when none matches), read at scrape time.
 * `table` and `where` are the caller's fixed SQL, never input.
 */
export function registerOldestAgeGauge(registry: Registry, pool: Pool, gauge: { name: string; help: string; table: string; where: string }): void {
  const sql = `SELECT COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 AS age FROM ${gauge.table} WHERE ${gauge.where}`;
  new Gauge({
    name: gauge.name,
    help: gauge.help,
    registers: [registry],
    // Instances of one service sharing a port (lib/cluster) all read the same row: their /metrics shows it once.
    aggregator: 'max',
    async collect() {
      // An aggregate without GROUP BY answers one row, 0 when nothing is waiting (COALESCE).
      const { rows: [row] } = await pool.query<{ age: number }>(sql);
      this.set(row?.age ?? 0);
    },
  });
}

/** pg pool gauges (total, idle, waiting), read at scrape time. */
export function registerPoolGauges(registry: Registry, pool: Pool, database: string): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['database'],
      registers: [registry],
      collect() {
        this.set({ database }, read());
      },
    });
  gauge('pg_pool_connections_total', 'Connections open in the pg pool.', () => pool.totalCount);
  gauge('pg_pool_connections_idle', 'Idle connections in the pg pool.', () => pool.idleCount);
  gauge('pg_pool_requests_waiting', 'Queries waiting for a pg pool connection.', () => pool.waitingCount);
}
