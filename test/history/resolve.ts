/**
 * After the run, each indeterminate op (an info) is asked again: a transfer or
 * a reversal with the same Idempotency-Key and body (the contract replays the
 * first answer, or does the work now if the first request never arrived), a
 * batch likewise (then read until final, with its items), a
 * decision or a termination by reading its transfer back. Each answer is
 * recorded as a `resolve` line pointing at the op's invoke (value.ref).
 */
import { batchBody, decided, decisionOutcome, finalBatch, notPending, pollTransfer, reversalOutcome, reversalSettled, transferBody, transferOutcome } from './api';
import { opsOf, type Op } from './checks';
import { describe, type Http } from './http';
import type { Recorder } from './recorder';

/** A decision that never took effect leaves its transfer awaiting approval: read it after this long. */
const DECISION_READ_MS = 5_000;
/** A terminated transfer ends failed WORKFLOW_TERMINATED within a minute. */
const TERMINATION_WAIT_MS = 75_000;
const RESOLVE_WAIT_MS = 30_000;

export interface Resolution {
  resolved: number;
  unresolved: string[];
}

export async function resolveIndeterminate(recorder: Recorder, http: Http): Promise<Resolution> {
  const open = opsOf(recorder.events).filter((op) => op.completion?.type === 'info' && !op.resolution && op.invoke.f !== 'balance' && op.invoke.f !== 'statement');
  const result: Resolution = { resolved: 0, unresolved: [] };
  for (const op of open) {
    try {
      const value = await outcome(http, op);
      recorder.record('resolve', op.invoke.process, op.invoke.f, { ...value, ref: op.invoke.index }, op.invoke.key);
      result.resolved += 1;
    } catch (error) {
      result.unresolved.push(`op ${op.invoke.index} (${op.invoke.f}): ${(error as Error).message}`);
    }
  }
  return result;
}

async function outcome(http: Http, op: Op): Promise<object> {
  const { f, key, value } = op.invoke;
  if (f === 'transfer') {
    const reply = await http('POST', '/v1/transfers?wait=true', transferBody(value.from, value.to, value.amountMinor), { 'Idempotency-Key': key! });
    if (reply.kind !== 'answer' || reply.status >= 300) throw new Error(`asked again: ${describe(reply)}`);
    const t = await pollTransfer(http, reply.body.id, Date.now() + RESOLVE_WAIT_MS, notPending);
    if (!t) throw new Error(`transfer ${reply.body.id} still pending`);
    return transferOutcome(t);
  }
  if (f === 'batch') {
    const reply = await http('POST', '/v1/transfer-batches?wait=true', batchBody(value.mode, value.items), { 'Idempotency-Key': key! });
    if (reply.kind !== 'answer' || reply.status >= 300) throw new Error(`asked again: ${describe(reply)}`);
    const b = await finalBatch(http, reply.body.id, Date.now() + RESOLVE_WAIT_MS);
    if (!b) throw new Error(`batch ${reply.body.id} still pending, or its items unreadable`);
    return b;
  }
  if (f === 'reverse') {
    const reply = await http('POST', `/v1/transfers/${value.transferId}/reverse`, undefined, { 'Idempotency-Key': key! });
    if (reply.kind !== 'answer' || reply.status >= 300) throw new Error(`asked again: ${describe(reply)}`);
    const t = await pollTransfer(http, value.transferId, Date.now() + RESOLVE_WAIT_MS, reversalSettled);
    if (!t) throw new Error(`the reversal of ${value.transferId} still pending`);
    return reversalOutcome(t);
  }
  const waitMs = f === 'terminate' ? TERMINATION_WAIT_MS : DECISION_READ_MS;
  const t = (await pollTransfer(http, value.transferId, Date.now() + waitMs, decided)) ?? (await pollTransfer(http, value.transferId, Date.now() + RESOLVE_WAIT_MS, () => true));
  if (!t) throw new Error(`transfer ${value.transferId} could not be read`);
  return decisionOutcome(t);
}
