/**
 * A minimal OTLP/HTTP trace receiver (JSON encoding, POST /v1/traces), the
 * encoding @opentelemetry/exporter-trace-otlp-http sends. The native stack
 * runs it as the development trace sink (spans appended to a JSONL file) and
 * tests run it in-process to collect the spans of one request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlatSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  name: string;
  kind: number;
  startNs: string;
  endNs: string;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
  statusCode: number;
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
interface KeyValue { key: string; value: AnyValue }
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const BODY_BYTES_MAX = 16 * 1024 * 1024;

function valueOf(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return JSON.stringify(value);
}

function attributes(list: KeyValue[] = []): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map((kv) => [kv.key, valueOf(kv.value)]));
}

/** Flattens an OTLP export request into one record per span, with its service name. */
export function flattenSpans(request: OtlpRequest): FlatSpan[] {
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributes(rs.resource?.attributes)['service.name'] ?? 'unknown');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || null,
        service,
        name: span.name,
        kind: span.kind,
        startNs: String(span.startTimeUnixNano),
        endNs: String(span.endTimeUnixNano),
        durationMs: Number(BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)) / 1e6,
        attributes: attributes(span.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

export interface OtlpReceiver {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on host:port (0 = any free port) and hands every received span to
 * `onSpans`. GET /healthz answers `health()` as JSON (a benchmark reads its
 * span counts there).
 */
export function startOtlpReceiver(
  onSpans: (spans: FlatSpan[]) => void,
  port = 0,
  host = '127.0.0.1',
  health: () => unknown = () => ({ status: 'ok' }),
): Promise<OtlpReceiver> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health()));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (!String(req.headers['content-type']).includes('json')) {
      // Only the JSON encoding is understood; say so rather than drop spans silently.
      res.writeHead(415, { 'content-type': 'text/plain' }).end('send OTLP/HTTP JSON (application/json)');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_BYTES_MAX) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        onSpans(flattenSpans(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({ url: `http://${host}:${bound}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Renders the spans of one trace as an indented tree: service, span name, duration. */
export function renderTree(spans: FlatSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, FlatSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => (BigInt(a.startNs) < BigInt(b.startNs) ? -1 : 1));
  const lines: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${span.service.padEnd(12)} ${span.name}  ${span.durationMs.toFixed(1)} ms`);
      walk(span.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return lines.join('\n');
}
