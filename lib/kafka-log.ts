/**
 * kafkajs's log lines, written through the process's pino logger: the same
 * JSON shape as every other line (snake_case ids, trace ids, `component`), at
 * a level that says whether someone must act.
 *
 * kafkajs logs every error response of the broker at ERROR, even those it
 * retries itself (a group or transaction coordinator still loading after the
 * broker starts, a partition leader moving): those are INFO here. When the
 * retries run out, the caller reports it (the outbox relay's WARN, the read
 * model's `consumer crashed`), so nothing goes unsaid.
 */
import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import { snakeCaseKeys } from './logger';

// kafkajs's table of broker error codes; its `message`s are what a log entry's `error` holds.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ message: string; retriable: boolean }> };
const RETRIABLE_MESSAGES = new Set(errorCodes.filter((e) => e.retriable).map((e) => e.message));
/**
 * A member of a consumer group told the group is rebalancing (a heartbeat or
 * commit answered REBALANCE_IN_PROGRESS, not "retriable" in kafkajs's table)
 * rejoins by itself: with several read-model instances (lib/cluster) every
 * start, stop or death of one does this to the others. INFO, like a retry.
 */
const REBALANCING = 'The group is rebalancing, so a rejoin is needed';
const REJOINING = 'The group is rebalancing, re-joining';

/**
 * The outbox relay bounds its idempotent producer's retries on purpose: during
 * a Kafka outage the claim's transaction must end and the rows wait in the
 * outbox (relay.ts). A resend after that may duplicate a message, which
 * consumers drop by eventId; so the "exactly once" kafkajs warns about is not
 * what the design relies on, and the warning, printed at every producer start,
 * says nothing an operator can act on.
 */
const EOS_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

type PinoLevel = 'error' | 'warn' | 'info' | 'debug';
const RESERVED_KEYS = new Set(['level', 'time', 'msg', 'service', 'component', 'timestamp', 'logger']);

/** The level a kafkajs entry is written at. */
export function kafkaLogLevel(entry: LogEntry): PinoLevel {
  const { level, namespace, log } = entry;
  if (level === logLevel.ERROR) {
    if (namespace === 'Connection' && log.message.startsWith('Response ') && (RETRIABLE_MESSAGES.has(String(log.error)) || log.error === REBALANCING)) return 'info';
    // A consumer that crashed on a retriable error restarts; the CRASH event (read model: consumer.ts) logs it once.
    if (namespace === 'Consumer' && log.message.startsWith('Restarting the consumer')) return 'info';
    if (namespace === 'Consumer' && log.message.startsWith('Crash: ') && RETRIABLE_MESSAGES.has(log.message.replace(/^Crash: [^:]+: /, ''))) return 'warn';
    return 'error';
  }
  if (level === logLevel.WARN) return log.message === EOS_WARNING ? 'debug' : log.message === REJOINING ? 'info' : 'warn';
  return 'debug';
}

/** A kafkajs `logCreator` writing through `logger`. */
export function pinoLogCreator(logger: Logger) {
  return () => (entry: LogEntry) => {
    const fields = Object.fromEntries(Object.entries(snakeCaseKeys(entry.log)).filter(([key]) => !RESERVED_KEYS.has(key) && key !== 'message'));
    logger[kafkaLogLevel(entry)]({ component: 'kafkajs', kafka_namespace: entry.namespace, ...fields }, entry.log.message);
  };
}
