/**
 * The logger's own promises, which no library upgrade may change: a line
 * written under an active span carries its trace_id, span_id and trace_flags
 * (the logger adds them itself, no instrumentation does), a line outside one
 * carries none, and secrets are redacted.
 */
import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './logger';

const SPAN = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('logger-test', 'info', destination), lines };
}

const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => context.setGlobalContextManager(contextManager.enable()));
afterAll(() => {
  contextManager.disable();
  context.disable();
});

describe('createLogger', () => {
  it('when a span is active, then the line carries its trace_id, span_id and trace_flags; outside it, none', () => {
    const { logger, lines } = capturingLogger();

    context.with(trace.setSpanContext(ROOT_CONTEXT, SPAN), () => logger.info('inside'));
    logger.info('outside');

    expect(lines.map(({ msg, service, trace_id, span_id, trace_flags }) => ({ msg, service, trace_id, span_id, trace_flags }))).toEqual([
      { msg: 'inside', service: 'logger-test', trace_id: SPAN.traceId, span_id: SPAN.spanId, trace_flags: '01' },
      { msg: 'outside', service: 'logger-test', trace_id: undefined, span_id: undefined, trace_flags: undefined },
    ]);
  });

  it('when a line holds an authorization header or a password, then it reads [redacted] in their place', () => {
    const { logger, lines } = capturingLogger();

    logger.info({ req: { headers: { authorization: 'Bearer k1', accept: 'application/json' } }, user: { password: 'p1', name: 'a' }, password: 'p2' }, 'secrets');

    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', accept: 'application/json' } },
      user: { password: '[redacted]', name: 'a' },
      password: '[redacted]',
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/k1|p1|p2/);
  });
});
