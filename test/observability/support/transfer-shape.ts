/**
 * What the trace of one transfer must hold, by outcome: the spans each hop of
 * the saga leaves (gateway, Temporal client → workflow → activities, HTTP to
 * accounts and ledger, SQL, the outbox relay's Kafka producer, the read
 * model's apply). Used to wait for a trace to be whole and to check it.
 */
import { Kind, named, type FlatSpan } from './spans';
import { TRANSFER_WORKFLOW_TYPE } from '../../../lib/workflow-contract';

export interface SpanExpectation {
  what: string;
  match: (span: FlatSpan) => boolean;
  min: number;
}

const temporal = (service: string, name: string) => (span: FlatSpan) => span.service === service && span.name === name;
/** A statement outside a transaction, or a whole transaction (lib/pg.ts; its statements are not traced one by one). */
const pg = (service: string) => (span: FlatSpan) => span.service === service && (span.name.startsWith('pg.query') || span.name.startsWith('pg.transaction'));

const START: SpanExpectation[] = [
  { what: 'gateway HTTP server span POST /v1/transfers', match: named('gateway', Kind.SERVER, /^POST \/v1\/transfers/), min: 1 },
  { what: `gateway StartWorkflow:${TRANSFER_WORKFLOW_TYPE}`, match: temporal('gateway', `StartWorkflow:${TRANSFER_WORKFLOW_TYPE}`), min: 1 },
  { what: `worker RunWorkflow:${TRANSFER_WORKFLOW_TYPE}`, match: temporal('worker', `RunWorkflow:${TRANSFER_WORKFLOW_TYPE}`), min: 1 },
  { what: 'worker RunActivity:recordTransferStatus', match: temporal('worker', 'RunActivity:recordTransferStatus'), min: 1 },
  { what: 'gateway pg spans', match: pg('gateway'), min: 1 },
  { what: 'worker pg spans', match: pg('worker'), min: 1 },
];

/** The ledger's account check: both accounts looked up in one request to the accounts service. */
const ACCOUNT_CHECK: SpanExpectation[] = [
  { what: 'accounts HTTP server span POST /accounts/lookup', match: named('accounts', Kind.SERVER, 'POST /accounts/lookup'), min: 1 },
  { what: 'accounts pg spans', match: pg('accounts'), min: 1 },
  { what: 'ledger pg spans', match: pg('ledger'), min: 1 },
];

/** Below the approval threshold: one ledger request reserves and captures. */
const ONE_STEP: SpanExpectation[] = [
  ...ACCOUNT_CHECK,
  { what: 'worker RunActivity:reserveAndCaptureHold', match: temporal('worker', 'RunActivity:reserveAndCaptureHold'), min: 1 },
  { what: 'ledger HTTP server span POST /holds/captured', match: named('ledger', Kind.SERVER, 'POST /holds/captured'), min: 1 },
];

/** From the ledger on, for money that moved: the events of the hold and the entry reach Kafka and the read model. */
const EVENTS_OF_A_POSTING: SpanExpectation[] = [
  { what: 'ledger Kafka producer spans ledger.hold.v1', match: named('ledger', Kind.PRODUCER, 'ledger.hold.v1'), min: 1 },
  { what: 'ledger Kafka producer spans ledger.entry.v1', match: named('ledger', Kind.PRODUCER, 'ledger.entry.v1'), min: 1 },
  { what: 'read-model apply hold.captured', match: named('read-model', Kind.INTERNAL, 'read-model apply hold.captured'), min: 1 },
  { what: 'read-model apply entry.posted', match: named('read-model', Kind.INTERNAL, 'read-model apply entry.posted'), min: 1 },
];

/** A transfer below the threshold that posted: every service, and Kafka, take part. */
export const POSTED: SpanExpectation[] = [
  ...START,
  ...ONE_STEP,
  { what: 'worker HTTP client spans (to the ledger)', match: (s) => s.service === 'worker' && s.kind === Kind.CLIENT, min: 1 },
  ...EVENTS_OF_A_POSTING,
];

/** A transfer at or above the threshold, approved: a reserve, then (after the decision) a capture. */
export const POSTED_AFTER_APPROVAL: SpanExpectation[] = [
  ...START,
  ...ACCOUNT_CHECK,
  { what: 'worker RunActivity:reserveHold', match: temporal('worker', 'RunActivity:reserveHold'), min: 1 },
  { what: 'ledger HTTP server span POST /holds', match: named('ledger', Kind.SERVER, 'POST /holds'), min: 1 },
  { what: 'worker RunActivity:captureHold', match: temporal('worker', 'RunActivity:captureHold'), min: 1 },
  { what: 'worker HTTP client spans (to the ledger)', match: (s) => s.service === 'worker' && s.kind === Kind.CLIENT, min: 2 },
  { what: 'ledger HTTP server span POST /holds/:holdId/capture', match: named('ledger', Kind.SERVER, 'POST /holds/:holdId/capture'), min: 1 },
  { what: 'read-model apply hold.reserved', match: named('read-model', Kind.INTERNAL, 'read-model apply hold.reserved'), min: 1 },
  ...EVENTS_OF_A_POSTING,
];

/** Refused by the ledger at the one-step post (INSUFFICIENT_FUNDS): nothing held, the saga voids all the same. */
export const FAILED_AT_RESERVE: SpanExpectation[] = [
  ...START,
  ...ONE_STEP,
  { what: 'worker RunActivity:voidHold', match: temporal('worker', 'RunActivity:voidHold'), min: 1 },
];

/** Refused by the ledger's account check (ACCOUNT_FROZEN): the same shape. */
export const REFUSED_AT_ACCOUNT_CHECK: SpanExpectation[] = FAILED_AT_RESERVE;

/** The expectations the trace does not meet yet, each with what it found. */
export function unmet(spans: FlatSpan[], expectations: SpanExpectation[]): string[] {
  return expectations
    .map((e) => ({ e, found: spans.filter(e.match).length }))
    .filter(({ e, found }) => found < e.min)
    .map(({ e, found }) => `${e.what}: ${found} of ${e.min}`);
}

export const minimumSpans = (expectations: SpanExpectation[]): number => expectations.reduce((sum, e) => sum + e.min, 0);
