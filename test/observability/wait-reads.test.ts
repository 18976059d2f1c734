/**
 * The gateway learns that a transfer moved by a push (LISTEN/NOTIFY, see
 * lib/transfers/status-notifications.ts), not by polling the transfers table:
 * counted in the spans the running gateway exported to the stack's trace sink.
 *
 * - `POST /v1/transfers?wait=true`: its trace holds at most 2 reads of the
 *   transfers table by the gateway (the row once it moved, or once at the 10 s
 *   cap; the insert returns the row, so a transfer needs no read before it
 *   waits). Polling every 25 ms made dozens for a transfer that takes 100 ms.
 * - `POST /v1/transfers/{id}/approve`: at most 3 (the state check, one read
 *   after the watch opened, one once it moved) while it waits for the capture.
 *
 * Either way the answer is the transfer as it then stands, with its Location.
 */
import { api, createAccount, ensureSystem, newKey, transfer } from '../support/system';
import { Kind, SpanCollector, named, type FlatSpan } from './support/spans';

const SPANS_TIMEOUT_MS = 60_000;
const APPROVAL_AMOUNT = '1000000';

/** A read of the transfers table by the gateway (the pg instrumentation names the statement's first table). */
const isTransferRead = (span: FlatSpan) =>
  span.service === 'gateway' && span.kind === Kind.CLIENT && /^SELECT\b[\s\S]*\bFROM transfers\b/.test(String(span.attributes['db.statement'] ?? ''));

async function gatewaySpans(spans: SpanCollector, traceId: string, route: string): Promise<FlatSpan[]> {
  spans.watch([traceId]);
  // The server span ends last: once it is in, the spans it contains were exported before it or with it.
  return spans.waitFor(traceId, (found) => found.some(named('gateway', Kind.SERVER, route)), SPANS_TIMEOUT_MS);
}

beforeAll(() => ensureSystem(), 10 * 60_000);

it('when a transfer is posted with ?wait=true, then its trace holds at most 2 reads of the transfers table by the gateway', async () => {
  const spans = new SpanCollector();
  const from = await createAccount('USD', 'unlimited');
  const to = await createAccount('USD');

  const created = await api.post('/v1/transfers?wait=true', transfer(from, to, '125'), { 'Idempotency-Key': newKey() });

  expect(created.status).toBe(201);
  expect(created.headers.get('location')).toBe(`/v1/transfers/${created.body.id}`);
  const trace = await gatewaySpans(spans, created.body.traceId, 'POST /v1/transfers');
  const reads = trace.filter(isTransferRead);
  // At least one: the inserted row is pending, so any answer came from a read (and the spans were found).
  expect(reads.length).toBeGreaterThanOrEqual(1);
  expect(reads.length).toBeLessThanOrEqual(2);
}, 120_000);

it('when a transfer awaiting approval is approved, then the answer waited for the outcome with at most 3 reads of the transfers table', async () => {
  const spans = new SpanCollector();
  const from = await createAccount('USD', 'unlimited');
  const to = await createAccount('USD');
  const created = await api.post('/v1/transfers?wait=true', transfer(from, to, APPROVAL_AMOUNT), { 'Idempotency-Key': newKey() });
  if (created.body.status !== 'awaiting_approval') throw new Error(`transfer not awaiting approval: ${JSON.stringify(created.body)}`);

  const approved = await api.post(`/v1/transfers/${created.body.id}/approve`);

  expect(approved.status).toBe(200);
  expect(approved.headers.get('location')).toBe(`/v1/transfers/${created.body.id}`);
  // The contract: the state after the decision took effect, or (past the 10 s cap) the current one to follow.
  expect(['posted', 'awaiting_approval']).toContain(approved.body.status);
  const trace = await gatewaySpans(spans, approved.headers.get('x-trace-id')!, 'POST /v1/transfers/:id/approve');
  expect(trace.filter(isTransferRead).length).toBeLessThanOrEqual(3);
}, 120_000);
