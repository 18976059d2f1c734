/**
 * The native stack's development trace sink: receives OTLP/HTTP (JSON) on
 * OTLP_HTTP_PORT and appends every span as one JSON line to
 * .data/traces/spans.jsonl. `npm run trace -- <transferId|traceId>` prints a
 * trace from it as a tree. (In docker-compose, Jaeger takes this port.)
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ROOT_DIR } from '../../lib/config';
import { startOtlpReceiver } from './otlp';

export const SPANS_FILE = path.join(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'), 'traces', 'spans.jsonl');

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(path.dirname(SPANS_FILE), { recursive: true });
  const receiver = await startOtlpReceiver((spans) => {
    if (spans.length > 0) appendFileSync(SPANS_FILE, spans.map((s) => JSON.stringify(s)).join('\n') + '\n');
  }, config.OTLP_HTTP_PORT, config.BIND_HOST);
  console.log(JSON.stringify({ level: 'info', service: 'trace-sink', msg: `OTLP/HTTP trace sink on ${receiver.url}, writing ${SPANS_FILE}` }));
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
