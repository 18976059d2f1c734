/**
 * Finding a trace's spans in the trace sink's rotated files (rotating-file.ts),
 * newest file first. The transfer's creation time bounds the search: a file
 * last written before it cannot hold any of its spans (a span reaches the sink
 * after it ends, so after the transfer began), and rotation only makes older
 * files, so the search stops at the first such file. A recent transfer costs
 * a read of the newest file or two, not of all of them.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { rotationNames } from './rotating-file';
import type { FlatSpan } from './otlp';

/** Slack for the file system's mtime granularity and the database's clock against ours. */
const CLOCK_SLACK_MS = 2_000;

/** The sink's files that exist, newest first. */
export function spanFiles(file: string, kept: number): string[] {
  return rotationNames(file, kept).filter((name) => existsSync(name));
}

export interface SpanSearch {
  spans: FlatSpan[];
  /** The files read, newest first. */
  filesRead: string[];
}

/** The trace's spans in the files (newest first); with `since`, files last written before it are not read. */
export async function findTraceSpans(files: string[], traceId: string, since?: Date): Promise<SpanSearch> {
  // By span id: a rotation while we read may show the same lines twice.
  const spans = new Map<string, FlatSpan>();
  const filesRead: string[] = [];
  for (const file of files) {
    if (since && statSync(file).mtimeMs < since.getTime() - CLOCK_SLACK_MS) break;
    filesRead.push(file);
    for (const span of await spansIn(file, traceId)) spans.set(span.spanId, span);
  }
  return { spans: [...spans.values()], filesRead };
}

/** Streams the file line by line: a file may be larger than one string can hold. */
async function spansIn(file: string, traceId: string): Promise<FlatSpan[]> {
  const spans: FlatSpan[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line.includes(traceId)) continue;
    const span = JSON.parse(line) as FlatSpan;
    if (span.traceId === traceId) spans.push(span);
  }
  return spans;
}
