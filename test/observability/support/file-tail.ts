/**
 * Reads the lines appended to a file after a point in time, the way `tail -f`
 * would: the trace sink's spans.jsonl and the services' logs only grow, and
 * under a benchmark they grow by hundreds of megabytes, so a test reads only
 * what was written since it started, in bounded chunks.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK_BYTES = 8 * 1024 * 1024;

export class FileTail {
  private offset: number;
  private partial = '';
  private decoder = new StringDecoder('utf8');

  /** Starts at the file's current end: only lines written from now on are read. */
  constructor(readonly file: string) {
    this.offset = existsSync(file) ? statSync(file).size : 0;
  }

  /** Calls `onLine` for every complete line appended since the last call. */
  readNewLines(onLine: (line: string) => void): void {
    if (!existsSync(this.file)) return;
    const size = statSync(this.file).size;
    if (size < this.offset) this.restart(); // truncated or replaced: read it again from the top
    if (size === this.offset) return;
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      while (this.offset < size) {
        const read = readSync(fd, buffer, 0, Math.min(CHUNK_BYTES, size - this.offset), this.offset);
        if (read === 0) break;
        this.offset += read;
        const lines = (this.partial + this.decoder.write(buffer.subarray(0, read))).split('\n');
        this.partial = lines.pop() ?? '';
        for (const line of lines) if (line) onLine(line);
      }
    } finally {
      closeSync(fd);
    }
  }

  private restart(): void {
    this.offset = 0;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
  }
}
