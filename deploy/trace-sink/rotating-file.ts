/**
 * An append-only file of lines with a size cap, rotated the way
 * deploy/rotate-log rotates the stack's logs: when the next line would take
 * FILE past `maxBytes`, FILE becomes FILE.1, FILE.1 becomes FILE.2, ..., and
 * the file past FILE.<kept> is deleted. At most (1 + kept) x maxBytes on disk;
 * the newest lines are always in FILE, a line is never split across files.
 */
import { appendFileSync, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';

/** FILE, FILE.1, ... FILE.<kept>: every name the rotation uses, newest first. */
export function rotationNames(file: string, kept: number): string[] {
  return Array.from({ length: kept + 1 }, (_, n) => rotatedName(file, n));
}

/** The file itself (n = 0), or its n-th rotated copy, `file.n`. */
const rotatedName = (file: string, n: number): string => (n === 0 ? file : `${file}.${n}`);

export class RotatingFile {
  private size: number;

  constructor(readonly file: string, private readonly maxBytes: number, private readonly kept: number) {
    if (!(maxBytes > 0) || !Number.isInteger(kept) || kept < 0) throw new Error(`bad rotation: max ${maxBytes} bytes, ${kept} kept`);
    this.size = existsSync(file) ? statSync(file).size : 0;
  }

  /** Appends the lines (without their newlines), rotating between two lines when the cap is reached. */
  appendLines(lines: string[]): void {
    let chunk: string[] = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line) + 1;
      if (this.size + chunkBytes + bytes > this.maxBytes && this.size + chunkBytes > 0) {
        this.write(chunk);
        this.rotate();
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    this.write(chunk);
  }

  private write(lines: string[]): void {
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    appendFileSync(this.file, text);
    this.size += Buffer.byteLength(text);
  }

  private rotate(): void {
    if (this.kept === 0) unlinkSync(this.file);
    else {
      const oldest = rotatedName(this.file, this.kept);
      if (existsSync(oldest)) unlinkSync(oldest);
      // Oldest first, so each copy moves into a name already freed.
      for (let n = this.kept - 1; n >= 0; n--) {
        const from = rotatedName(this.file, n);
        if (existsSync(from)) renameSync(from, rotatedName(this.file, n + 1));
      }
    }
    this.size = 0;
  }
}
