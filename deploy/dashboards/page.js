// The dashboards page in the browser: plain JavaScript, no build step (the
// server serves it as it is). It lays out the panels of one grafana/*.json by
// their gridPos (24 columns, rows of 32 px, Grafana's rows as headers), asks the
// server for each query over the chosen time range (the server expands the
// dashboard variables and asks Prometheus), and draws each panel with uPlot,
// or its last value for a stat panel. The choices live in the URL
// (?d=&from=&refresh=&namespace=), so a link shows the same view.
//
// For tests and for whoever looks: each panel element carries data-state
// (loading, ok, empty, error), data-series (series with at least one point) and
// data-points; <body> carries data-renders (completed refreshes).
//
// Type-checked as it stands (no build step either): `npm run typecheck` runs
// tsc -p tsconfig.browser.json over this file, with the DOM's types, uPlot's
// (page-globals.d.ts) and the JSDoc types below.
// @ts-check
'use strict';

/** A query of a panel, as grafana/*.json has it (the fields the page reads). */
/** @typedef {{ expr: string, legendFormat?: string }} Target */
/**
 * A panel of grafana/*.json: a row header (`type: 'row'`, no targets), a
 * time series or a stat.
 * @typedef {{
 *   type: string,
 *   title: string,
 *   description?: string,
 *   gridPos: { x: number, y: number, w: number, h: number },
 *   fieldConfig?: { defaults?: { unit?: string } },
 *   targets?: Target[],
 * }} Panel
 */
/** @typedef {{ title: string, panels: Panel[] }} Dashboard */
/** An entry of GET /api/dashboards. */
/** @typedef {{ file: string, uid: string, title: string }} DashboardEntry */
/** One series of Prometheus's query_range answer: its labels and [unix seconds, "value"] points. */
/** @typedef {{ metric: Record<string, string>, values: [number, string][] }} RangeSeries */
/** @typedef {{ target: Target, result: RangeSeries[] }} TargetAnswer */
/** A series as uPlot draws it: one value (or null) per time of the shared axis. */
/** @typedef {{ label: string, values: (number | null)[] }} Series */
/** The time window of one refresh, in unix seconds, aligned to the step. */
/** @typedef {{ start: number, end: number, step: number }} Span */
/** A panel laid out: its element, where it draws, where it says what went wrong. */
/** @typedef {{ panel: Panel, el: HTMLElement, body: HTMLElement, message: HTMLElement }} PanelItem */
/** An alert notification as GET /api/alert-notifications lists it (deploy/dashboards/notifications.ts). */
/** @typedef {{ status: string, alertname: string, severity: string, receiver: string, summary: string, receivedAt: string, runbookUrl: string | null }} AlertNotification */
/** @typedef {[limit: number, divisor: number, suffix: string]} UnitStep */

/** @type {Readonly<Record<string, number>>} */
const RANGES_S = { '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '3h': 10800, '6h': 21600, '12h': 43200, '24h': 86400 };
/** @type {Readonly<Record<string, number>>} */
const REFRESHES_S = { off: 0, '5s': 5, '10s': 10, '30s': 30, '1m': 60 };
/** Prometheus scrapes every 5 s: a finer step draws nothing new. */
const STEP_S_MIN = 5;
/** About this many points across a panel, as Grafana's maxDataPoints does for a panel's width. */
const POINTS_PER_PANEL = 300;
const ROW_HEIGHT_PX = 32;
const GAP_PX = 8;
const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#f2495c', '#b877d9', '#8ab8ff', '#fade2a', '#96d98d', '#ffa6b0', '#ca95e5', '#c0d8ff'];

/**
 * `value` when it is one of the choices' keys, else `fallback`.
 * @param {Readonly<Record<string, number>>} choices
 * @param {string | null} value
 * @param {string} fallback
 */
const choiceOr = (choices, value, fallback) => (value !== null && Object.hasOwn(choices, value) ? value : fallback);

/**
 * Seconds of a range or refresh the page offers (state only ever holds those).
 * @param {Readonly<Record<string, number>>} choices
 * @param {string} key
 */
function secondsOf(choices, key) {
  const seconds = choices[key];
  if (seconds === undefined) throw new Error(`no choice ${key}`);
  return seconds;
}

const params = new URLSearchParams(location.search);
/** The view, as the URL carries it. */
const state = {
  file: params.get('d') || '',
  range: choiceOr(RANGES_S, params.get('from'), '30m'),
  refresh: choiceOr(REFRESHES_S, params.get('refresh'), '10s'),
  namespace: params.get('namespace') || '.*',
};
/** @type {Dashboard | null} */
let dashboard = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let renders = 0;
/** uPlot instances of the current layout, destroyed before a redraw. @type {uPlot[]} */
let plots = [];

/**
 * An element of page.html, which has every id this script asks for.
 * @param {string} id
 * @returns {HTMLElement}
 */
function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page.html has no #${id}`);
  return element;
}

/**
 * @param {string} id
 * @returns {HTMLSelectElement}
 */
function selectById(id) {
  const element = $(id);
  if (!(element instanceof HTMLSelectElement)) throw new Error(`#${id} is not a <select>`);
  return element;
}

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * The JSON answer of a GET to this server; an Error with its `error` text when it is not 2xx.
 * @param {string} url
 * @returns {Promise<unknown>}
 */
async function getJson(url) {
  const response = await fetch(url);
  const body = /** @type {{ error?: string }} */ (await response.json());
  if (!response.ok) throw new Error(body.error || `${response.status} ${url}`);
  return body;
}

/**
 * @param {HTMLSelectElement} select
 * @param {[value: string, text: string][]} options
 * @param {string} chosen
 */
function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value, false, value === chosen)));
}

function saveState() {
  const query = new URLSearchParams({ d: state.file, from: state.range, refresh: state.refresh, namespace: state.namespace });
  history.replaceState(null, '', `?${query}`);
}

// ---------------------------------------------------------------- units

/**
 * @param {number} value
 * @param {UnitStep[]} steps
 */
function scaled(value, steps) {
  const abs = Math.abs(value);
  for (const [limit, divisor, suffix] of steps) if (abs >= limit) return `${+(value / divisor).toPrecision(3)} ${suffix}`.trim();
  return `${+value.toPrecision(3)}`;
}

/**
 * A value as Grafana shows the panel's unit, roughly.
 * @param {number | null | undefined} value
 * @param {string | undefined} unit
 */
function format(value, unit) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  switch (unit) {
    case 's': return scaled(value, [[3600, 3600, 'h'], [60, 60, 'min'], [1, 1, 's'], [1e-3, 1e-3, 'ms'], [0, 1e-6, 'µs']]);
    case 'ms': return scaled(value, [[60_000, 60_000, 'min'], [1000, 1000, 's'], [0, 1, 'ms']]);
    case 'bytes': return scaled(value, [[2 ** 30, 2 ** 30, 'GiB'], [2 ** 20, 2 ** 20, 'MiB'], [2 ** 10, 2 ** 10, 'KiB'], [0, 1, 'B']]);
    case 'percentunit': return `${+(value * 100).toPrecision(3)}%`;
    case 'reqps': case 'ops': return `${scaled(value, [[1e6, 1e6, 'M'], [1e3, 1e3, 'k'], [0, 1, '']])}/s`;
    default: return scaled(value, [[1e9, 1e9, 'G'], [1e6, 1e6, 'M'], [1e3, 1e3, 'k'], [0, 1, '']]);
  }
}

// ---------------------------------------------------------------- data

/**
 * Grafana's legend format: {{label}} replaced by the series' label value. A
 * series without those labels (the `or … * 0` backing of a rare event) keeps
 * the format's words, or is called "value".
 * @param {string | undefined} format_
 * @param {Record<string, string>} metric
 */
function legend(format_, metric) {
  const text = (format_ || '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => metric[name] ?? '').replace(/\s+/g, ' ').trim();
  return text || 'value';
}

/**
 * The query_range answers of a panel's targets as uPlot's columns: one shared time axis, nulls where a series has no point.
 * @param {TargetAnswer[]} answers
 * @param {number[]} times
 * @returns {Series[]}
 */
function toColumns(answers, times) {
  const index = new Map(times.map((t, i) => [t, i]));
  /** @type {Series[]} */
  const series = [];
  for (const { target, result } of answers) {
    for (const item of result) {
      /** @type {(number | null)[]} */
      const values = new Array(times.length).fill(null);
      for (const [t, v] of item.values) {
        const i = index.get(t);
        const n = Number(v);
        if (i !== undefined && Number.isFinite(n)) values[i] = n;
      }
      series.push({ label: legend(target.legendFormat, item.metric), values });
    }
  }
  return series;
}

/**
 * @param {Panel} panel
 * @param {Span} span
 * @returns {Promise<TargetAnswer[]>}
 */
async function queryPanel(panel, span) {
  return Promise.all((panel.targets ?? []).map(async (target) => {
    const query = new URLSearchParams({ expr: target.expr, start: String(span.start), end: String(span.end), step: String(span.step), namespace: state.namespace });
    const body = /** @type {{ data: { result: RangeSeries[] } }} */ (await getJson(`/api/query_range?${query}`));
    return { target, result: body.data.result };
  }));
}

// ---------------------------------------------------------------- drawing

/**
 * @param {Dashboard} shown
 * @returns {PanelItem[]}
 */
function layout(shown) {
  const grid = $('grid');
  for (const plot of plots) plot.destroy();
  plots = [];
  grid.replaceChildren();
  /** @type {PanelItem[]} */
  const elements = [];
  for (const panel of shown.panels) {
    const el = document.createElement('section');
    el.style.gridColumn = `${panel.gridPos.x + 1} / span ${panel.gridPos.w}`;
    el.style.gridRow = `${panel.gridPos.y + 1} / span ${panel.gridPos.h}`;
    if (panel.type === 'row') {
      el.className = 'row';
      el.textContent = panel.title;
      grid.append(el);
      continue;
    }
    el.className = 'panel';
    el.dataset.title = panel.title;
    el.dataset.state = 'loading';
    el.title = panel.description || '';
    const title = document.createElement('h2');
    title.textContent = panel.title;
    const body = document.createElement('div');
    body.className = panel.type === 'stat' ? 'stat' : 'chart';
    const message = document.createElement('div');
    message.className = 'message';
    el.append(title, body, message);
    grid.append(el);
    elements.push({ panel, el, body, message });
  }
  return elements;
}

/**
 * @param {PanelItem} item
 * @param {number[]} times
 * @param {Series[]} series
 */
function drawChart(item, times, series) {
  const unit = item.panel.fieldConfig?.defaults?.unit;
  const height = item.panel.gridPos.h * ROW_HEIGHT_PX + (item.panel.gridPos.h - 1) * GAP_PX - 80;
  /** @type {uPlot.Options} */
  const options = {
    width: Math.max(item.body.clientWidth, 200),
    height: Math.max(height, 80),
    scales: { x: { time: true } },
    series: [{}, ...series.map((s, i) => /** @satisfies {uPlot.Series} */ ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: true, value: (_u, v) => format(v, unit) }))],
    axes: [
      { stroke: '#8e8e8e', grid: { stroke: '#2c3235' } },
      { stroke: '#8e8e8e', grid: { stroke: '#2c3235' }, size: 70, values: (_u, values) => values.map((v) => format(v, unit)) },
    ],
    legend: { show: true },
  };
  item.body.replaceChildren();
  plots.push(new uPlot(options, [times, ...series.map((s) => s.values)], item.body));
}

/**
 * @param {PanelItem} item
 * @param {Series[]} series
 */
function drawStat(item, series) {
  const unit = item.panel.fieldConfig?.defaults?.unit;
  const last = series.flatMap((s) => s.values.filter((v) => v !== null)).at(-1);
  item.body.textContent = format(last, unit);
}

/**
 * @param {PanelItem} item
 * @param {Span} span
 * @param {number[]} times
 */
async function refreshPanel(item, span, times) {
  try {
    const series = toColumns(await queryPanel(item.panel, span), times);
    const drawn = series.filter((s) => s.values.some((v) => v !== null));
    item.el.dataset.series = String(drawn.length);
    item.el.dataset.points = String(drawn.reduce((sum, s) => sum + s.values.filter((v) => v !== null).length, 0));
    item.el.dataset.state = drawn.length > 0 ? 'ok' : 'empty';
    item.message.textContent = drawn.length > 0 ? '' : 'no data in this time range';
    if (item.panel.type === 'stat') drawStat(item, drawn);
    else drawChart(item, times, drawn);
  } catch (error) {
    item.el.dataset.state = 'error';
    item.message.textContent = messageOf(error);
  }
}

/** How many of the latest alert notifications the page lists. */
const NOTIFICATIONS_SHOWN_MAX = 20;

/** The alert notifications Alertmanager delivered to the stack's default receiver, newest first. */
async function renderNotifications() {
  const list = $('notification-list');
  const { items } = /** @type {{ items: AlertNotification[] }} */ (await getJson('/api/alert-notifications'));
  list.replaceChildren(
    ...(items.length === 0 ? [Object.assign(document.createElement('li'), { textContent: 'none received' })] : items.slice(0, NOTIFICATIONS_SHOWN_MAX).map(notificationItem)),
  );
}

/** @param {AlertNotification} notification */
function notificationItem(notification) {
  const item = document.createElement('li');
  item.dataset.status = notification.status;
  const state = Object.assign(document.createElement('span'), { className: 'state', textContent: notification.status });
  const text = ` ${notification.alertname} (${notification.severity}, to ${notification.receiver}) ${notification.summary} · ${new Date(notification.receivedAt).toLocaleTimeString()} `;
  item.append(state, text);
  if (notification.runbookUrl) {
    // runbook_url names a heading of docs/runbooks.md, which this server serves at /runbooks.
    item.append(Object.assign(document.createElement('a'), { href: '/runbooks', textContent: 'runbook', title: notification.runbookUrl }));
  }
  return item;
}

/** One refresh: the time window now, every panel queried and drawn (nothing before a dashboard is open). */
async function render() {
  if (!dashboard) return;
  void renderNotifications().catch((error) => {
    $('notification-list').replaceChildren(Object.assign(document.createElement('li'), { textContent: `notifications: ${messageOf(error)}` }));
  });
  const rangeS = secondsOf(RANGES_S, state.range);
  const step = Math.max(STEP_S_MIN, Math.ceil(rangeS / POINTS_PER_PANEL / STEP_S_MIN) * STEP_S_MIN);
  // Aligned to the step, as Prometheus evaluates at start + k·step: every query of the page shares one time axis.
  const end = Math.floor(Date.now() / 1000 / step) * step;
  const span = { start: end - rangeS, end, step };
  /** @type {number[]} */
  const times = [];
  for (let t = span.start; t <= span.end; t += step) times.push(t);
  const items = layout(dashboard);
  $('status').textContent = `loading ${items.length} panels…`;
  await Promise.all(items.map((item) => refreshPanel(item, span, times)));
  renders += 1;
  document.body.dataset.renders = String(renders);
  const failed = items.filter((i) => i.el.dataset.state !== 'ok').length;
  $('status').textContent = `${items.length} panels, ${failed} without data · step ${step} s · ${new Date().toLocaleTimeString()}`;
}

function schedule() {
  clearTimeout(timer);
  const seconds = secondsOf(REFRESHES_S, state.refresh);
  if (seconds > 0) timer = setTimeout(() => void render().finally(schedule), seconds * 1000);
}

async function openDashboard() {
  saveState();
  const opened = /** @type {Dashboard} */ (await getJson(`/api/dashboards/${encodeURIComponent(state.file)}`));
  dashboard = opened;
  document.title = `${opened.title} · credit ledger`;
  await render();
  schedule();
}

async function main() {
  const list = /** @type {DashboardEntry[]} */ (await getJson('/api/dashboards'));
  if (!list.some((d) => d.file === state.file)) state.file = list[0]?.file || '';
  fillSelect(selectById('dashboard'), list.map((d) => [d.file, d.title]), state.file);
  fillSelect(selectById('range'), Object.keys(RANGES_S).map((r) => [r, r]), state.range);
  fillSelect(selectById('refresh'), Object.keys(REFRESHES_S).map((r) => [r, r]), state.refresh);
  const namespaces = await getJson('/api/namespaces')
    .then((b) => /** @type {{ data: string[] }} */ (b).data)
    .catch(() => /** @type {string[]} */ ([]));
  fillSelect(selectById('namespace'), [['.*', 'All'], ...namespaces.map((n) => /** @type {[string, string]} */ ([n, n]))], state.namespace);
  /** @type {[id: string, key: 'file' | 'range' | 'refresh' | 'namespace'][]} */
  const choices = [['dashboard', 'file'], ['range', 'range'], ['refresh', 'refresh'], ['namespace', 'namespace']];
  for (const [id, key] of choices) {
    const select = selectById(id);
    select.addEventListener('change', () => {
      state[key] = select.value;
      void openDashboard();
    });
  }
  $('reload').addEventListener('click', () => void render());
  await openDashboard();
}

main().catch((error) => {
  $('status').textContent = `failed: ${messageOf(error)}`;
});
