/**
 * The recorder: numbers the events, stamps them with the nanoseconds since the
 * recording started, keeps them in memory for the checks and appends each one
 * to the JSONL file at once (so a crash of the run still leaves its history).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { EventType, Fn, HistoryEvent, Process } from './history';

export class Recorder {
  readonly events: HistoryEvent[] = [];
  private readonly startedAt = process.hrtime.bigint();
  private readonly fd: number;

  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'w');
  }

  record(type: EventType, process_: Process, f: Fn | undefined, value: unknown, key?: string): HistoryEvent {
    const time = type === 'setup' ? 0 : Number(process.hrtime.bigint() - this.startedAt);
    // Keys in the documented order: index, time, type, process, f, key, value.
    const event: HistoryEvent = {
      index: this.events.length,
      time,
      type,
      process: process_,
      ...(f === undefined ? {} : { f }),
      ...(key === undefined ? {} : { key }),
      value,
    };
    this.events.push(event);
    writeSync(this.fd, JSON.stringify(event) + '\n');
    return event;
  }

  close(): void {
    closeSync(this.fd);
  }
}
