/**
 * The real Prometheus of the native stack (deploy/prometheus), over its HTTP
 * API: instant queries, and its own PromQL parser (/api/v1/format_query; the
 * 2.42 packaged here has no /api/v1/parse_query).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '../../support/system';

export const PROMETHEUS_URL = `http://127.0.0.1:${config.PROMETHEUS_PORT}`;
const TIMEOUT_MS = 10_000;

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

async function get<T>(apiPath: string, query: string): Promise<ApiAnswer<T>> {
  const response = await fetch(`${PROMETHEUS_URL}${apiPath}?${new URLSearchParams({ query })}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return (await response.json()) as ApiAnswer<T>;
}

/** An instant query's vector; throws with Prometheus's message when the query is refused. */
export async function query(expr: string): Promise<Sample[]> {
  const answer = await get<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('/api/v1/query', expr);
  if (answer.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${answer.errorType}: ${answer.error}`);
  if (answer.data!.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${answer.data!.resultType}`);
  return answer.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Prometheus's own parser: null when the expression parses, else its error. */
export async function parseError(expr: string): Promise<string | null> {
  const answer = await get<string>('/api/v1/format_query', expr);
  return answer.status === 'success' ? null : `${answer.errorType}: ${answer.error}`;
}

/** The value of each series of `expr`, keyed by its labels (`{}` for a series without labels). */
export async function valuesOf(expr: string): Promise<Map<string, number>> {
  const samples = await query(expr);
  return new Map(samples.map((s) => [labelKey(s.metric), s.value]));
}

export function labelKey(metric: Record<string, string>): string {
  const entries = Object.entries(metric).filter(([name]) => name !== '__name__').sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([name, value]) => `${name}="${value}"`).join(',')}}`;
}

/**
 * How much each series of a counter grew between two readings. A series new in
 * the second reading grew from 0; one that went down was reset (its process
 * restarted), so all of its current value is growth.
 */
export function growth(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([key, value]) => {
    const earlier = before.get(key) ?? 0;
    return [key, value >= earlier ? value - earlier : value];
  }));
}

/** Whether Prometheus has scraped every target since `sinceMs` (epoch ms). */
export async function scrapedSince(sinceMs: number): Promise<boolean> {
  const samples = await query('min(timestamp(up))');
  const [oldest] = samples;
  return oldest !== undefined && oldest.value * 1000 > sinceMs;
}

/** Reads every `intervalMs` (a scrape is every 5 s: no need to ask more often) until `done` or `timeoutMs`; returns the last reading. */
export async function readUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await read();
  }
  return value;
}
