/**
 * Prints one trace from the development sink as a tree:
 *   npm run trace -- <transferId>   (looks the trace id up in the transfers database)
 *   npm run trace -- <traceId>      (32 hex digits)
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../lib/config';
import { createPool } from '../../lib/pg';
import { renderTree, type FlatSpan } from './otlp';
import { SPANS_FILE } from './main';

async function traceIdOf(arg: string): Promise<string> {
  if (/^[0-9a-f]{32}$/.test(arg)) return arg;
  const pool = createPool(loadConfig(), 'transfers', { applicationName: 'print-trace', maxConnections: 1 });
  try {
    const { rows } = await pool.query<{ trace_id: string | null }>('SELECT trace_id FROM transfers WHERE id = $1', [arg]);
    if (!rows[0]?.trace_id) throw new Error(`no transfer ${arg} with a trace id`);
    return rows[0].trace_id;
  } finally {
    await pool.end();
  }
}

/** Streams the file line by line: it grows past what one string can hold (512 MiB) under load. */
async function spansOf(traceId: string): Promise<FlatSpan[]> {
  const spans: FlatSpan[] = [];
  for await (const line of createInterface({ input: createReadStream(SPANS_FILE), crlfDelay: Infinity })) {
    if (!line.includes(traceId)) continue;
    const span = JSON.parse(line) as FlatSpan;
    if (span.traceId === traceId) spans.push(span);
  }
  return spans;
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: npm run trace -- <transferId|traceId>');
  const traceId = await traceIdOf(arg);
  if (!existsSync(SPANS_FILE)) throw new Error(`no spans yet: ${SPANS_FILE} does not exist`);
  const spans = await spansOf(traceId);
  console.log(`trace ${traceId}: ${spans.length} spans, ${new Set(spans.map((s) => s.service)).size} services`);
  console.log(renderTree(spans));
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exit(1);
});
