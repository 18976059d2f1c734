/**
 * The native dashboards page (deploy/dashboards), in a real browser: after a
 * load of 100 transfers (support/load.ts) has been scraped by the stack's real
 * Prometheus, the page's server is started on port 0 against that Prometheus
 * and the page is opened in headless Chromium (Debian's /usr/bin/chromium,
 * which deploy/stack installs, driven by playwright-core). For each dashboard
 * of grafana/*.json: the page shows every panel of the JSON, and every panel
 * drew at least one series with points over the last 15 minutes (the page
 * marks each panel's state, series and points on its element); with a 5 s
 * refresh it draws again by itself. A screenshot of each dashboard is left in
 * DATA_DIR/dashboards-page/ for whoever wants to look.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARDS, isRow } from '../../grafana/build-dashboards';
import { ROOT_DIR } from '../../lib/config';
import { closeServer, listen } from '../../lib/http';
import { createDashboardsApp } from '../../deploy/dashboards/server';
import { launchChromium } from '../support/browser';
import { config, ensureSystem } from '../support/system';
import { runLoad } from './support/load';
import { query, readUntil, scrapedSince } from './support/prometheus';

const DRAWN_TIMEOUT_MS = 90_000;
/**
 * Temporal's matching service emits the task-queue backlog gauges about a
 * minute after a queue is loaded, then once a minute (test/observability/
 * after-load.test.ts waits the same way): on a fresh stack the page would draw
 * those two panels empty however correct it is.
 */
const BACKLOG_GAUGES_TIMEOUT_MS = 120_000;
const BACKLOG_GAUGES = 'approximate_backlog_count{job="temporal-server", taskqueue!~"temporal_sys.*"}';
const SCREENSHOTS_DIR = path.join(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'), 'dashboards-page');

interface PanelState {
  title: string;
  state: string;
  series: number;
  points: number;
}

let server: Server;
let browser: Browser;
let page: Page;
let baseUrl: string;

beforeAll(async () => {
  ensureSystem();
  const load = await runLoad();
  await readUntil(() => scrapedSince(load.finishedAtMs), Boolean, 30_000);
  await readUntil(() => query(BACKLOG_GAUGES), (series) => series.length > 0, BACKLOG_GAUGES_TIMEOUT_MS);
  server = await listen(createDashboardsApp({ prometheusUrl: config.prometheusUrl, logger: pino({ level: 'silent' }) }), 0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
}, 5 * 60_000 + BACKLOG_GAUGES_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  if (server) await closeServer(server);
});

// Run inside the page (the test's TypeScript has no DOM types, so these are page-side source).
const PANEL_STATES = `[...document.querySelectorAll('.panel')].map((e) => ({
  title: e.dataset.title ?? '', state: e.dataset.state ?? '', series: Number(e.dataset.series ?? 0), points: Number(e.dataset.points ?? 0) }))`;
const renderedAtLeast = (n: number) => `Number(document.body.dataset.renders ?? 0) >= ${n}`;

async function panelStates(): Promise<PanelState[]> {
  return (await page.evaluate(PANEL_STATES)) as PanelState[];
}

describe.each(Object.entries(DASHBOARDS))('the dashboards page, %s', (file, dashboard) => {
  const expectedTitles = dashboard.panels.filter((p) => !isRow(p)).map((p) => p.title);

  it('when opened after the load, then it shows every panel of the JSON and each drew at least one series with points', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${baseUrl}/?d=${encodeURIComponent(file)}&from=15m&refresh=off`);
    await page.waitForFunction(renderedAtLeast(1), undefined, { timeout: DRAWN_TIMEOUT_MS });
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, file.replace(/\.json$/, '.png')), fullPage: true });

    const panels = await panelStates();
    expect(panels.map((p) => p.title)).toEqual(expectedTitles);
    expect(panels.filter((p) => p.state !== 'ok' || p.series === 0 || p.points === 0)).toEqual([]);
    expect(await page.locator('.panel .uplot').count()).toBe(panels.length - dashboard.panels.filter((p) => p.type === 'stat').length);
    expect(errors).toEqual([]);
  }, 2 * 60_000);

  it('when its refresh is 5 s, then it queries and draws again by itself', async () => {
    await page.goto(`${baseUrl}/?d=${encodeURIComponent(file)}&from=5m&refresh=5s`);
    await page.waitForFunction(renderedAtLeast(2), undefined, { timeout: DRAWN_TIMEOUT_MS });
    expect((await panelStates()).filter((p) => p.state === 'error')).toEqual([]);
  }, 2 * 60_000);
});
