/**
 * The sampler drops exactly the leaves it names (Express layers, pool
 * checkouts, statements inside a transaction) and keeps every other span.
 */
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { DetailSampler, IN_TRANSACTION, keepTransactionMark } from './sampler';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const sampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
const inTransaction = sampledParent.setValue(IN_TRANSACTION, true);

const decide = (parent: typeof ROOT_CONTEXT, name: string) => new DetailSampler().shouldSample(parent, TRACE_ID, name, SpanKind.CLIENT, {}, []).decision;

describe('DetailSampler', () => {
  it.each(['router - /holds', 'request handler - /holds/:holdId/capture', 'middleware - jsonParser', 'pg-pool.connect', 'pg.connect'])(
    'when a %s span starts, then it is not recorded',
    (name) => {
      expect(decide(sampledParent, name)).toBe(SamplingDecision.NOT_RECORD);
    },
  );

  it('when a statement runs inside a transaction, then it is not recorded; the same statement outside one is', () => {
    expect(decide(inTransaction, 'pg.query:INSERT ledger')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampledParent, 'pg.query:INSERT ledger')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it.each(['POST /v1/transfers', 'pg.transaction ledger', 'ledger.entry.v1', 'RunActivity:reserveHold', 'POST'])(
    'when a %s span starts in a sampled trace, then it is recorded and sampled, inside a transaction or not',
    (name) => {
      expect(decide(sampledParent, name)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
      expect(decide(inTransaction, name)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    },
  );

  it('when work switches to another trace inside a transaction, then keepTransactionMark carries the mark over, and outside one it adds none', () => {
    const otherTrace = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'ffe7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    try {
      const marked = context.with(inTransaction, () => keepTransactionMark(otherTrace));
      const unmarked = context.with(sampledParent, () => keepTransactionMark(otherTrace));

      expect(decide(marked, 'pg.query:UPDATE readmodel')).toBe(SamplingDecision.NOT_RECORD);
      expect(decide(unmarked, 'pg.query:UPDATE readmodel')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    } finally {
      context.disable();
    }
  });
});
