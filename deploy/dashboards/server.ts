/**
 * The native stack's dashboards page: Grafana cannot be installed from this
 * machine's registries, so this small server draws the panels of grafana/*.json
 * (the very files Grafana provisions in docker-compose) from the running
 * Prometheus, with uPlot in the browser (page.html, page.js).
 *
 *   GET /                          the page (?d=<file>&from=<range>&refresh=<interval>&namespace=<regex>)
 *   GET /api/dashboards            [{ file, uid, title }] of grafana/*.json
 *   GET /api/dashboards/:file      one dashboard's JSON, as committed
 *   GET /api/query_range           one panel query over a time range: its dashboard variables
 *                                  expanded (grafana/variables.ts), then Prometheus's /api/v1/query_range
 *   GET /api/namespaces            the Temporal namespaces the workers report (the $namespace choices)
 *   POST/GET /api/alert-notifications  Alertmanager's default receiver, and what it received (notifications.ts)
 *   GET /runbooks                  docs/runbooks.md, where every alert's runbook_url points
 *
 * Prometheus answers no cross-origin requests, so the page asks this server,
 * which forwards only those two read-only queries.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type Request, type Response } from 'express';
import { ROOT_DIR } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { expandVariables } from '../../grafana/variables';
import { alertNotificationsRouter } from './notifications';

export const GRAFANA_DIR = path.join(ROOT_DIR, 'grafana');
/** page.html and page.js are served from the checkout (the stack runs this module compiled, from dist/). */
const PAGE_DIR = path.join(ROOT_DIR, 'deploy', 'dashboards');
const UPLOT_DIR = path.join(ROOT_DIR, 'node_modules', 'uplot', 'dist');
const PROMETHEUS_TIMEOUT_MS = 15_000;
/** Bounds what one query may ask of Prometheus: 11,000 points per series is its own limit. */
const POINTS_PER_SERIES_MAX = 11_000;

export interface DashboardsAppOptions {
  prometheusUrl: string;
  logger: Logger;
  grafanaDir?: string;
}

interface DashboardEntry {
  file: string;
  uid: string;
  title: string;
}

/** The dashboards of the folder, read on each request so an edited file shows on reload. */
function listDashboards(dir: string): DashboardEntry[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { uid: string; title: string };
      return { file, uid: json.uid, title: json.title };
    });
}

function finiteNumber(text: unknown): number | undefined {
  const value = typeof text === 'string' && text !== '' ? Number(text) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** Checks and reads the query_range parameters; a string names what is wrong. */
function rangeParams(req: Request): { expr: string; start: number; end: number; step: number; namespace: string } | string {
  const { expr, namespace } = req.query;
  const start = finiteNumber(req.query.start);
  const end = finiteNumber(req.query.end);
  const step = finiteNumber(req.query.step);
  if (typeof expr !== 'string' || expr.trim() === '') return 'expr: a PromQL expression is required';
  if (start === undefined || end === undefined || end <= start) return 'start, end: Unix seconds with start < end are required';
  if (step === undefined || step <= 0) return 'step: seconds > 0 is required';
  if ((end - start) / step > POINTS_PER_SERIES_MAX) return `step: at most ${POINTS_PER_SERIES_MAX} points per series`;
  if (namespace !== undefined && typeof namespace !== 'string') return 'namespace: one regex';
  return { expr, start, end, step, namespace: typeof namespace === 'string' && namespace !== '' ? namespace : '.*' };
}

export function createDashboardsApp(options: DashboardsAppOptions): Express {
  const grafanaDir = options.grafanaDir ?? GRAFANA_DIR;
  const app = express();
  app.disable('x-powered-by');

  /** Forwards one read-only API call to Prometheus and relays its answer (status and JSON) as it is. */
  const forward = async (res: Response, apiPath: string, params: Record<string, string>) => {
    try {
      const answer = await fetch(`${options.prometheusUrl}${apiPath}?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(PROMETHEUS_TIMEOUT_MS) });
      res.status(answer.status).type('application/json').send(await answer.text());
    } catch (error) {
      options.logger.warn({ err: error, api_path: apiPath }, 'Prometheus did not answer');
      res.status(502).json({ status: 'error', errorType: 'unavailable', error: `Prometheus at ${options.prometheusUrl} did not answer: ${(error as Error).message}` });
    }
  };

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/favicon.ico', (_req, res) => void res.status(204).end());
  app.get('/', (_req, res) => res.sendFile(path.join(PAGE_DIR, 'page.html')));
  app.get('/page.js', (_req, res) => res.type('text/javascript').sendFile(path.join(PAGE_DIR, 'page.js')));
  app.get('/uplot.js', (_req, res) => res.type('text/javascript').sendFile(path.join(UPLOT_DIR, 'uPlot.iife.min.js')));
  app.get('/uplot.css', (_req, res) => res.type('text/css').sendFile(path.join(UPLOT_DIR, 'uPlot.min.css')));

  app.get('/api/dashboards', (_req, res) => void res.json(listDashboards(grafanaDir)));
  app.get('/api/dashboards/:file', (req, res) => {
    // Only a file of the list: the name never becomes a path of its own.
    const entry = listDashboards(grafanaDir).find((d) => d.file === req.params.file);
    if (!entry) return void res.status(404).json({ error: `no dashboard ${req.params.file} in grafana/` });
    res.type('application/json').send(readFileSync(path.join(grafanaDir, entry.file), 'utf8'));
  });

  app.get('/api/query_range', async (req, res) => {
    const params = rangeParams(req);
    if (typeof params === 'string') return void res.status(400).json({ status: 'error', errorType: 'bad_data', error: params });
    const query = expandVariables(params.expr, { stepSeconds: params.step, namespace: params.namespace });
    await forward(res, '/api/v1/query_range', { query, start: String(params.start), end: String(params.end), step: String(params.step) });
  });

  app.get('/api/namespaces', async (_req, res) => {
    await forward(res, '/api/v1/label/namespace/values', { 'match[]': 'temporal_worker_start' });
  });

  app.use(alertNotificationsRouter(options.logger));
  // The runbooks as plain text: every alert's runbook_url names a heading of this file.
  app.get('/runbooks', (_req, res) => res.type('text/plain; charset=utf-8').sendFile(path.join(ROOT_DIR, 'docs', 'runbooks.md')));

  return app;
}
