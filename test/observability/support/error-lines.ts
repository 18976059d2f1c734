/**
 * The lines of the native stack's logs that report an error, in every format
 * they come in: pino JSON (our services, kafkajs and the Temporal SDK through
 * it), PostgreSQL (`FATAL:`, `ERROR:`, `PANIC:`), Kafka's log4j (`] ERROR `),
 * Prometheus and the Temporal server (`level=error`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ERROR_PATTERNS = [
  /"level":\s*"(error|fatal)"/i,
  /"level":\s*(50|60)[,}]/, // pino's numeric levels, had a logger been made without our formatter
  /\blevel=(error|fatal|panic|crit)\b/i,
  // Upper case, as PostgreSQL and log4j write levels; `INTERNAL_ERROR` (a failure code) is no match.
  /\b(ERROR|FATAL|PANIC)\b/,
];

/**
 * Error-level lines that report no fault of the stack. The real Temporal
 * server (TEMPORAL_MODE=server) starts its services at once: its internal
 * worker's first call to its own frontend comes before the frontend has joined
 * the membership ring and marked itself healthy, is refused (logged at error)
 * and retried; the server then starts normally. Matched whole, so any other
 * failure of that call still counts.
 */
const NOT_FAULTS = [/"msg":"service failures","operation":"GetSystemInfo","grpc_code":"Unavailable","error":"Frontend is not healthy yet"/];

export function isErrorLine(line: string): boolean {
  return ERROR_PATTERNS.some((pattern) => pattern.test(line)) && !NOT_FAULTS.some((pattern) => pattern.test(line));
}

/** Every log file of a stack's log directory, rotated ones (NAME.log.1, ...) included. */
export function logFiles(logDir: string): string[] {
  return readdirSync(logDir)
    .filter((name) => /\.log(\.\d+)?$/.test(name))
    .map((name) => path.join(logDir, name));
}

/** "file:line: text" for each error line of the directory's logs. */
export function errorLinesIn(logDir: string): string[] {
  return logFiles(logDir).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, n) => (isErrorLine(line) ? [`${path.basename(file)}:${n + 1}: ${line.slice(0, 500)}`] : [])),
  );
}
