/**
 * Which spans are worth keeping. Every transfer used to leave ~140 spans, most
 * of them leaves nobody reads: one per SQL statement inside a transaction (the
 * BEGIN and COMMIT included), one per pool checkout, one per Express router
 * layer (0 ms each). Exporting them cost CPU in every process and in the
 * collector. This sampler drops exactly those leaves and keeps everything else
 * (HTTP server and client, Temporal, Kafka, standalone SQL statements, and one
 * `pg.transaction` span per transaction made by lib/pg.ts inTransaction).
 *
 * Only leaves are dropped: a dropped span's context would mark its children
 * unsampled, and an HTTP call made under it would carry that to the next
 * service. Express layer spans and pool checkouts never become the active
 * span, and statements inside a transaction have no children.
 *
 * OTEL_SPAN_DETAIL=full keeps every span (e.g. to see each statement of a
 * slow transaction).
 */
import { context, createContextKey, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import { AlwaysOnSampler, ParentBasedSampler, SamplingDecision, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base';

/** Set in the context of a transaction's statements (lib/pg.ts), so the sampler knows them. */
export const IN_TRANSACTION = createContextKey('credit-ledger.in-transaction');

/**
 * `target` with the active context's in-transaction mark carried over: work
 * that runs inside a transaction under another trace's context (a read-model
 * event of a batch, in its producer's trace) keeps its statements untraced.
 */
export function keepTransactionMark(target: Context): Context {
  return context.active().getValue(IN_TRANSACTION) === true ? target.setValue(IN_TRANSACTION, true) : target;
}

const ALWAYS_DROPPED_PREFIXES = ['router - ', 'request handler - ', 'middleware - ', 'pg-pool.connect', 'pg.connect'];
const STATEMENT_PREFIX = 'pg.query:';

/** True for a span this sampler drops: an Express layer, a pool checkout, or a statement inside a transaction. */
export function isDroppedSpan(parentContext: Context, spanName: string): boolean {
  if (ALWAYS_DROPPED_PREFIXES.some((prefix) => spanName.startsWith(prefix))) return true;
  return spanName.startsWith(STATEMENT_PREFIX) && parentContext.getValue(IN_TRANSACTION) === true;
}

export class DetailSampler implements Sampler {
  private readonly delegate = new ParentBasedSampler({ root: new AlwaysOnSampler() });

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (isDroppedSpan(context, spanName)) return { decision: SamplingDecision.NOT_RECORD };
    return this.delegate.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  toString(): string {
    return 'DetailSampler';
  }
}

/** The sampler of every process: DetailSampler, or every span when OTEL_SPAN_DETAIL=full. */
export function processSampler(): Sampler {
  return process.env.OTEL_SPAN_DETAIL === 'full' ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new DetailSampler();
}
