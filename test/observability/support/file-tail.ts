/**
 * Reads the lines appended to a file after a point in time, the way `tail -F`
 * would: under a benchmark the trace sink's spans.jsonl and the services' logs
 * grow by hundreds of megabytes, so a test reads only what was written since it
 * started, in bounded chunks. They rotate (FILE moves to FILE.1 past its cap:
 * deploy/rotate-log, deploy/trace-sink/rotating-file.ts): the rest of the
 * moved file is read from FILE.1 before the new FILE.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK_BYTES = 8 * 1024 * 1024;

export class FileTail {
  private offset: number;
  private inode: number | null;
  private partial = '';
  private decoder = new StringDecoder('utf8');

  /** Starts at the file's current end: only lines written from now on are read. */
  constructor(readonly file: string) {
    const stat = existsSync(file) ? statSync(file) : null;
    this.offset = stat?.size ?? 0;
    this.inode = stat?.ino ?? null;
  }

  /** Calls `onLine` for every complete line appended since the last call. */
  readNewLines(onLine: (line: string) => void): void {
    if (!existsSync(this.file)) return;
    const stat = statSync(this.file);
    if (this.inode !== null && stat.ino !== this.inode) {
      // Rotated: finish the file we were reading (now FILE.1), then start on the new one.
      const moved = `${this.file}.1`;
      if (existsSync(moved) && statSync(moved).ino === this.inode) this.readFrom(moved, statSync(moved).size, onLine);
      this.restart();
    } else if (stat.size < this.offset) this.restart(); // truncated: read it again from the top
    this.inode = stat.ino;
    this.readFrom(this.file, stat.size, onLine);
  }

  private readFrom(file: string, size: number, onLine: (line: string) => void): void {
    if (size <= this.offset) return;
    const fd = openSync(file, 'r');
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
