/**
 * Proves the trace sink's files stay under their cap and a recent trace is
 * still found quickly (deploy/trace-sink/rotating-file.ts, span-files.ts):
 * spans written far past the cap leave at most 1 + KEPT files, none over the
 * cap; the newest trace is found whole even when its spans straddle a
 * rotation; and a search bounded by the transfer's creation time reads only
 * the files written since, not the older ones.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlatSpan } from '../../deploy/trace-sink/otlp';
import { RotatingFile } from '../../deploy/trace-sink/rotating-file';
import { findTraceSpans, spanFiles } from '../../deploy/trace-sink/span-files';

const MAX_BYTES = 8 * 1024;
const KEPT = 3;

const dir = mkdtempSync(path.join(os.tmpdir(), 'trace-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const traceIdOf = (n: number) => n.toString(16).padStart(32, '0');

function span(traceNo: number, spanNo: number): FlatSpan {
  return {
    traceId: traceIdOf(traceNo),
    spanId: `${traceNo.toString(16).padStart(8, '0')}${spanNo.toString(16).padStart(8, '0')}`,
    parentSpanId: null,
    service: 'gateway',
    name: `span ${spanNo}`,
    kind: 2,
    startNs: '1',
    endNs: '2',
    durationMs: 0,
    attributes: { 'transfer.id': `transfer-${traceNo}` },
    statusCode: 0,
  };
}

/** Batches as the OTLP exporters send them: the spans of a few traces at a time. */
function writeTraces(file: RotatingFile, from: number, to: number, spansPerTrace = 6): void {
  for (let t = from; t < to; t += 3) {
    const batch: FlatSpan[] = [];
    for (let n = t; n < Math.min(t + 3, to); n++) for (let s = 0; s < spansPerTrace; s++) batch.push(span(n, s));
    file.appendLines(batch.map((s) => JSON.stringify(s)));
  }
}

describe('trace sink files', () => {
  it('when spans go far past the cap, then 1 + KEPT files stay under it and the newest trace is found whole, across a rotation', async () => {
    // Arrange
    const spansFile = path.join(dir, 'capped', 'spans.jsonl');
    mkdirSync(path.dirname(spansFile), { recursive: true });
    const file = new RotatingFile(spansFile, MAX_BYTES, KEPT);

    // Act: about 400 KB against an 8 KB cap; the last trace's spans sent in two batches, a rotation between them.
    writeTraces(file, 0, 1_000);
    const last = 1_000;
    file.appendLines([0, 1, 2].map((s) => JSON.stringify(span(last, s))));
    file.appendLines(Array.from({ length: 40 }, (_, n) => JSON.stringify(span(last + 1, n)))); // fills the file: it rotates
    file.appendLines([3, 4, 5].map((s) => JSON.stringify(span(last, s))));

    // Assert
    const files = spanFiles(spansFile, KEPT);
    expect(files).toEqual([spansFile, `${spansFile}.1`, `${spansFile}.2`, `${spansFile}.3`]);
    expect(readdirSync(path.dirname(spansFile))).toHaveLength(1 + KEPT);
    for (const name of files) expect(statSync(name).size).toBeLessThanOrEqual(MAX_BYTES);
    const { spans } = await findTraceSpans(files, traceIdOf(last));
    expect(spans.map((s) => s.name).sort()).toEqual(['span 0', 'span 1', 'span 2', 'span 3', 'span 4', 'span 5']);
    const filesHoldingIt = [];
    for (const name of files) if ((await findTraceSpans([name], traceIdOf(last))).spans.length > 0) filesHoldingIt.push(name);
    expect(filesHoldingIt).toEqual([spansFile, `${spansFile}.1`]);
    // The oldest traces are gone for good.
    expect((await findTraceSpans(files, traceIdOf(0))).spans).toEqual([]);
  });

  it('when the transfer was created after the older files were last written, then only the newer files are read', async () => {
    // Arrange: four files; the two older ones last written an hour ago.
    const spansFile = path.join(dir, 'bounded', 'spans.jsonl');
    mkdirSync(path.dirname(spansFile), { recursive: true });
    const file = new RotatingFile(spansFile, MAX_BYTES, KEPT);
    writeTraces(file, 0, 300);
    const files = spanFiles(spansFile, KEPT);
    expect(files).toHaveLength(4);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const old of files.slice(2)) utimesSync(old, anHourAgo, anHourAgo);
    const createdAt = new Date(Date.now() - 60_000);
    const recent = spansFile; // its newest trace is in the live file
    const newest = 299;

    // Act
    const search = await findTraceSpans(files, traceIdOf(newest), createdAt);

    // Assert
    expect(search.filesRead).toEqual([recent, `${spansFile}.1`]);
    expect(search.spans).toHaveLength(6);
  });
});
