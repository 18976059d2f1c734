/**
 * The trace collector of bench/transfers-e2e.ts, run as a process of its own
 * (so its CPU is counted apart): an OTLP/HTTP JSON receiver on
 * BENCH_OTLP_SINK_PORT that parses every export like the dev trace sink does,
 * counts the spans per service and keeps none. GET /healthz answers the
 * counts: { requests, spans, byService }.
 */
import http from 'node:http';

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: unknown[] }>;
  }>;
}

const BODY_BYTES_MAX = 16 * 1024 * 1024;
const port = Number(process.env.BENCH_OTLP_SINK_PORT ?? 14318);
const counts = { requests: 0, spans: 0, rejected: 0, byService: {} as Record<string, number> };

function count(body: OtlpExport): void {
  for (const rs of body.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? 'unknown';
    const spans = (rs.scopeSpans ?? []).reduce((sum, ss) => sum + (ss.spans?.length ?? 0), 0);
    counts.spans += spans;
    counts.byService[service] = (counts.byService[service] ?? 0) + spans;
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(counts));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('json')) {
    counts.rejected++;
    res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 415 : 404).end();
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
      count(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
      counts.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch {
      counts.rejected++;
      res.writeHead(400).end();
    }
  });
});

server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // the exporters keep theirs open
  });
}
