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
'use strict';

const RANGES_S = { '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '3h': 10800, '6h': 21600, '12h': 43200, '24h': 86400 };
const REFRESHES_S = { off: 0, '5s': 5, '10s': 10, '30s': 30, '1m': 60 };
/** Prometheus scrapes every 5 s: a finer step draws nothing new. */
const STEP_S_MIN = 5;
/** About this many points across a panel, as Grafana's maxDataPoints does for a panel's width. */
const POINTS_PER_PANEL = 300;
const ROW_HEIGHT_PX = 32;
const GAP_PX = 8;
const COLORS = ['#73bf69', '#f2cc0c', '#5794f2', '#ff780a', '#f2495c', '#b877d9', '#8ab8ff', '#fade2a', '#96d98d', '#ffa6b0', '#ca95e5', '#c0d8ff'];

const params = new URLSearchParams(location.search);
const state = {
  file: params.get('d') || '',
  range: RANGES_S[params.get('from')] ? params.get('from') : '30m',
  refresh: params.get('refresh') in REFRESHES_S ? params.get('refresh') : '10s',
  namespace: params.get('namespace') || '.*',
};
let dashboard = null;
let timer = null;
let renders = 0;
/** uPlot instances of the current layout, destroyed before a redraw. */
let plots = [];

const $ = (id) => document.getElementById(id);

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `${response.status} ${url}`);
  return body;
}

function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value, false, value === chosen)));
}

function saveState() {
  const query = new URLSearchParams({ d: state.file, from: state.range, refresh: state.refresh, namespace: state.namespace });
  history.replaceState(null, '', `?${query}`);
}

// ---------------------------------------------------------------- units

function scaled(value, steps) {
  const abs = Math.abs(value);
  for (const [limit, divisor, suffix] of steps) if (abs >= limit) return `${+(value / divisor).toPrecision(3)} ${suffix}`.trim();
  return `${+value.toPrecision(3)}`;
}

/** A value as Grafana shows the panel's unit, roughly. */
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
 */
function legend(format_, metric) {
  const text = (format_ || '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name) => metric[name] ?? '').replace(/\s+/g, ' ').trim();
  return text || 'value';
}

/** The query_range answers of a panel's targets as uPlot's columns: one shared time axis, nulls where a series has no point. */
function toColumns(answers, times) {
  const index = new Map(times.map((t, i) => [t, i]));
  const series = [];
  for (const { target, result } of answers) {
    for (const item of result) {
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

async function queryPanel(panel, span) {
  return Promise.all(panel.targets.map(async (target) => {
    const query = new URLSearchParams({ expr: target.expr, start: span.start, end: span.end, step: span.step, namespace: state.namespace });
    const body = await getJson(`/api/query_range?${query}`);
    return { target, result: body.data.result };
  }));
}

// ---------------------------------------------------------------- drawing

function layout() {
  const grid = $('grid');
  for (const plot of plots) plot.destroy();
  plots = [];
  grid.replaceChildren();
  const elements = [];
  for (const panel of dashboard.panels) {
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

function drawChart(item, times, series) {
  const unit = item.panel.fieldConfig?.defaults?.unit;
  const height = item.panel.gridPos.h * ROW_HEIGHT_PX + (item.panel.gridPos.h - 1) * GAP_PX - 80;
  const options = {
    width: Math.max(item.body.clientWidth, 200),
    height: Math.max(height, 80),
    scales: { x: { time: true } },
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: true, value: (_u, v) => format(v, unit) }))],
    axes: [
      { stroke: '#8e8e8e', grid: { stroke: '#2c3235' } },
      { stroke: '#8e8e8e', grid: { stroke: '#2c3235' }, size: 70, values: (_u, values) => values.map((v) => format(v, unit)) },
    ],
    legend: { show: true },
  };
  item.body.replaceChildren();
  plots.push(new uPlot(options, [times, ...series.map((s) => s.values)], item.body));
}

function drawStat(item, series) {
  const unit = item.panel.fieldConfig?.defaults?.unit;
  const last = series.flatMap((s) => s.values.filter((v) => v !== null)).at(-1);
  item.body.textContent = format(last, unit);
}

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
    item.message.textContent = error.message;
  }
}

/** How many of the latest alert notifications the page lists. */
const NOTIFICATIONS_SHOWN_MAX = 20;

/** The alert notifications Alertmanager delivered to the stack's default receiver, newest first. */
async function renderNotifications() {
  const list = $('notification-list');
  const { items } = await getJson('/api/alert-notifications');
  list.replaceChildren(
    ...(items.length === 0 ? [Object.assign(document.createElement('li'), { textContent: 'none received' })] : items.slice(0, NOTIFICATIONS_SHOWN_MAX).map(notificationItem)),
  );
}

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

/** One refresh: the time window now, every panel queried and drawn. */
async function render() {
  void renderNotifications().catch((error) => {
    $('notification-list').replaceChildren(Object.assign(document.createElement('li'), { textContent: `notifications: ${error.message}` }));
  });
  const rangeS = RANGES_S[state.range];
  const step = Math.max(STEP_S_MIN, Math.ceil(rangeS / POINTS_PER_PANEL / STEP_S_MIN) * STEP_S_MIN);
  // Aligned to the step, as Prometheus evaluates at start + k·step: every query of the page shares one time axis.
  const end = Math.floor(Date.now() / 1000 / step) * step;
  const span = { start: end - rangeS, end, step };
  const times = [];
  for (let t = span.start; t <= span.end; t += step) times.push(t);
  const items = layout();
  $('status').textContent = `loading ${items.length} panels…`;
  await Promise.all(items.map((item) => refreshPanel(item, span, times)));
  renders += 1;
  document.body.dataset.renders = String(renders);
  const failed = items.filter((i) => i.el.dataset.state !== 'ok').length;
  $('status').textContent = `${items.length} panels, ${failed} without data · step ${step} s · ${new Date().toLocaleTimeString()}`;
}

function schedule() {
  clearTimeout(timer);
  const seconds = REFRESHES_S[state.refresh];
  if (seconds > 0) timer = setTimeout(() => void render().finally(schedule), seconds * 1000);
}

async function openDashboard() {
  saveState();
  dashboard = await getJson(`/api/dashboards/${encodeURIComponent(state.file)}`);
  document.title = `${dashboard.title} · credit ledger`;
  await render();
  schedule();
}

async function main() {
  const list = await getJson('/api/dashboards');
  if (!list.some((d) => d.file === state.file)) state.file = list[0]?.file || '';
  fillSelect($('dashboard'), list.map((d) => [d.file, d.title]), state.file);
  fillSelect($('range'), Object.keys(RANGES_S).map((r) => [r, r]), state.range);
  fillSelect($('refresh'), Object.keys(REFRESHES_S).map((r) => [r, r]), state.refresh);
  const namespaces = await getJson('/api/namespaces').then((b) => b.data).catch(() => []);
  fillSelect($('namespace'), [['.*', 'All'], ...namespaces.map((n) => [n, n])], state.namespace);
  const change = (key) => (event) => {
    state[key] = event.target.value;
    void openDashboard();
  };
  $('dashboard').addEventListener('change', change('file'));
  $('range').addEventListener('change', change('range'));
  $('refresh').addEventListener('change', change('refresh'));
  $('namespace').addEventListener('change', change('namespace'));
  $('reload').addEventListener('click', () => void render());
  await openDashboard();
}

main().catch((error) => {
  $('status').textContent = `failed: ${error.message}`;
});
