/**
 * Prints one trace from the development sink as a tree:
 *   npm run trace -- <transferId>   (looks the trace id up in the transfers database)
 *   npm run trace -- <traceId>      (32 hex digits)
 * It reads the sink's rotated files newest first; for a transfer, only those
 * written since it was created (span-files.ts).
 */
import { loadConfig } from '../../lib/config';
import { createPool } from '../../lib/pg';
import { renderTree } from './otlp';
import { SPANS_FILE } from './main';
import { findTraceSpans, spanFiles } from './span-files';

interface TraceRef {
  traceId: string;
  /** When the transfer was created: no span of it was written before. */
  since?: Date;
}

async function traceOf(arg: string): Promise<TraceRef> {
  if (/^[0-9a-f]{32}$/.test(arg)) return { traceId: arg };
  const pool = createPool(loadConfig(), 'transfers', { applicationName: 'print-trace', maxConnections: 1 });
  try {
    const { rows } = await pool.query<{ trace_id: string | null; created_at: Date }>('SELECT trace_id, created_at FROM transfers WHERE id = $1', [arg]);
    if (!rows[0]?.trace_id) throw new Error(`no transfer ${arg} with a trace id`);
    return { traceId: rows[0].trace_id, since: rows[0].created_at };
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (!arg) throw new Error('usage: npm run trace -- <transferId|traceId>');
  const { traceId, since } = await traceOf(arg);
  const files = spanFiles(SPANS_FILE, loadConfig().TRACE_FILES_KEPT);
  if (files.length === 0) throw new Error(`no spans yet: ${SPANS_FILE} does not exist`);
  const { spans, filesRead } = await findTraceSpans(files, traceId, since);
  console.log(`trace ${traceId}: ${spans.length} spans, ${new Set(spans.map((s) => s.service)).size} services (read ${filesRead.length} of ${files.length} span files)`);
  console.log(renderTree(spans));
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exit(1);
});
