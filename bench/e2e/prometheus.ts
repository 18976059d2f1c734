/**
 * Reading the services' Prometheus endpoints: one scrape parsed into
 * samples, sums over label sets, and quantiles of what a histogram observed
 * between two scrapes (linear within a bucket, as PromQL's
 * histogram_quantile does, so a figure is only as fine as the buckets).
 */
import { request } from '../support';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    const [, name, labelText = '', value] = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line) ?? [];
    if (name === undefined || value === undefined) continue;
    const labels: Record<string, string> = {};
    for (const [, key, labelValue = ''] of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) if (key !== undefined) labels[key] = labelValue;
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** The samples of GET /metrics on a loopback port; none when it does not answer (port 0: not asked). */
export async function scrape(port: number): Promise<PromSample[]> {
  if (port === 0) return [];
  try {
    const answer = await request(port, 'GET', '/metrics', undefined, { timeoutMs: 5_000 });
    return answer.status === 200 ? parsePrometheus(answer.body) : [];
  } catch {
    return [];
  }
}

const matches = (sample: PromSample, name: string, labels: Record<string, string>) =>
  sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v);

export function sumOf(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => matches(s, name, labels)).reduce((sum, s) => sum + s.value, 0);
}

/** The values a label takes in a metric's samples, e.g. every activity_type seen. */
export function labelValues(samples: PromSample[], name: string, label: string): string[] {
  return [...new Set(samples.flatMap((s) => (s.name === name && s.labels[label] !== undefined ? [s.labels[label]] : [])))].sort();
}

export interface HistogramDelta {
  count: number;
  /** Mean, p50 and p99 in the histogram's unit; NaN when nothing was observed. */
  mean: number;
  p50: number;
  p99: number;
  /** The upper bound of the bucket p99 falls in: "p99 <= this" holds exactly. */
  p99Bound: number;
}

/** Cumulative bucket counts by upper bound, summed over every series of `name` (several processes, label sets). */
function buckets(samples: PromSample[], name: string): Map<number, number> {
  const byBound = new Map<number, number>();
  for (const s of samples.filter((x) => x.name === `${name}_bucket`)) {
    const bound = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  return byBound;
}

function quantile(bounds: [number, number][], total: number, q: number): { value: number; bound: number } {
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of bounds) {
    if (count >= rank) {
      // Inside the +Inf bucket nothing finer is known than "above the last finite bound".
      if (bound === Infinity) return { value: lowerBound, bound };
      const inBucket = count - lowerCount;
      return { value: lowerBound + (inBucket > 0 ? ((rank - lowerCount) / inBucket) * (bound - lowerBound) : 0), bound };
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return { value: Number.NaN, bound: Number.NaN };
}

/** What histogram `name` observed between two scrapes, over all its series in them. */
export function histogramDelta(before: PromSample[][], after: PromSample[][], name: string): HistogramDelta {
  const b = before.map((s) => buckets(s, name));
  const a = after.map((s) => buckets(s, name));
  const delta = new Map<number, number>();
  a.forEach((byBound, i) => byBound.forEach((count, bound) => delta.set(bound, (delta.get(bound) ?? 0) + count - (b[i]?.get(bound) ?? 0))));
  const sorted = [...delta.entries()].sort((x, y) => x[0] - y[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const sum = after.reduce((s, x) => s + sumOf(x, `${name}_sum`), 0) - before.reduce((s, x) => s + sumOf(x, `${name}_sum`), 0);
  if (count <= 0) return { count: 0, mean: Number.NaN, p50: Number.NaN, p99: Number.NaN, p99Bound: Number.NaN };
  const p99 = quantile(sorted, count, 0.99);
  return { count, mean: sum / count, p50: quantile(sorted, count, 0.5).value, p99: p99.value, p99Bound: p99.bound };
}
