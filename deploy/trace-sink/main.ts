/**
 * The native stack's development trace sink: receives OTLP/HTTP (JSON) on
 * OTLP_HTTP_PORT and appends every span as one JSON line to
 * .data/traces/spans.jsonl, rotated past TRACE_FILE_MAX_MB into spans.jsonl.1,
 * .2, ... with TRACE_FILES_KEPT kept (defaults.env), so the traces of a long
 * run take bounded space. `npm run trace -- <transferId|traceId>` prints a
 * trace from them as a tree. (In docker-compose, Jaeger takes this port.)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ROOT_DIR } from '../../lib/config';
import { startOtlpReceiver } from './otlp';
import { RotatingFile } from './rotating-file';

export const SPANS_FILE = path.join(process.env.DATA_DIR ?? path.join(ROOT_DIR, '.data'), 'traces', 'spans.jsonl');

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(path.dirname(SPANS_FILE), { recursive: true });
  const file = new RotatingFile(SPANS_FILE, Math.floor(config.TRACE_FILE_MAX_MB * 1024 * 1024), config.TRACE_FILES_KEPT);
  const receiver = await startOtlpReceiver((spans) => file.appendLines(spans.map((s) => JSON.stringify(s))), config.OTLP_HTTP_PORT, config.INTERNAL_BIND_HOST);
  console.log(JSON.stringify({
    level: 'info',
    time: new Date().toISOString(),
    service: 'trace-sink',
    file: SPANS_FILE,
    file_max_mb: config.TRACE_FILE_MAX_MB,
    files_kept: config.TRACE_FILES_KEPT,
    msg: `OTLP/HTTP trace sink on ${receiver.url}`,
  }));
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
