/**
 * Proves the reversal of a transfer through the real gateway, worker and
 * Temporal dev server: `reverse` answers with the transfer `reversed` and its
 * `reversal` (id, status, reversing entry, trace id, no failure code); the
 * same Idempotency-Key replays that answer, a new key is a 409 ALREADY_REVERSED, a key already used
 * for another transfer's reversal is a 422, and a transfer that is not posted
 * is a 409 INVALID_STATE, every problem with its `code`; concurrent requests
 * claim one reversal (distinct keys: one wins; one key: one reversal). Then,
 * through the Temporal client, that both workflows of the transfer carry its
 * `TransferId` search attribute and that the visibility query of docs/api-guide.md finds
 * it reversed.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { RESUME_DEFAULTS, resumeClaimedReversals } from '../../api/resume-pending';
import { createLogger } from '../../lib/logger';
import { createTransferStore } from '../../lib/transfers';
import { reverseTransferWorkflowId, transferWorkflowId } from '../../lib/workflow-contract';
import { invariantPools, type InvariantPools } from '../support/invariants';
import { api, config, createAccount, ensureSystem, eventually, newKey, transfer, transferAndSettle } from '../support/system';

let connection: Connection;
let temporal: Client;
let pools: InvariantPools;

beforeAll(async () => {
  ensureSystem();
  connection = await Connection.connect({ address: config.temporalAddress });
  temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  pools = invariantPools();
}, 10 * 60_000);

afterAll(async () => {
  await connection?.close();
  await pools?.close();
});

/** The gateway's backoff, over claims of any age (the gateway's own pass waits until a claim is 10 s old). */
const RESUME_ANY_AGE = { ...RESUME_DEFAULTS, olderThanMs: 0 };

async function postedTransfer(amount = '300'): Promise<string> {
  const from = await createAccount('USD', '1000');
  const to = await createAccount('USD');
  const posted = await transferAndSettle(transfer(from, to, amount));
  expect(posted.body.status).toBe('posted');
  return posted.body.id;
}

const reverse = (id: string, key: string) => api.post(`/v1/transfers/${id}/reverse`, undefined, { 'Idempotency-Key': key });

/** Workflow ids a visibility query lists (the dev server's visibility is eventually consistent: polled). */
async function listed(query: string, expected: number): Promise<string[]> {
  const ids = async () => {
    const found: string[] = [];
    for await (const execution of temporal.workflow.list({ query })) found.push(execution.workflowId);
    return found.sort();
  };
  return eventually(ids, (found) => found.length >= expected, 20_000);
}

describe('POST /v1/transfers/{id}/reverse', () => {
  it('when a posted transfer is reversed, then the answer is the transfer reversed with its reversal: id, status, reversing entry, trace id', async () => {
    const id = await postedTransfer();

    const res = await reverse(id, newKey());

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('reversed');
    expect(res.body.reversal).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'posted',
      entryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      traceId: res.headers.get('x-trace-id'),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      failureCode: null,
      failureMessage: null,
    });
    expect(res.body.reversal.entryId).not.toBe(res.body.entryId);
    expect((await api.get(`/v1/transfers/${id}`)).body.reversal).toEqual(res.body.reversal);
  });

  it('when the same key asks again, then the first answer is replayed; a new key is 409 ALREADY_REVERSED', async () => {
    const id = await postedTransfer();
    const key = newKey();
    const first = await reverse(id, key);

    const replay = await reverse(id, key);
    const second = await reverse(id, newKey());

    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toContain('application/problem+json');
    expect(second.body).toMatchObject({ status: 409, code: 'ALREADY_REVERSED' });
  });

  it('when 10 requests with distinct keys race to reverse one transfer, then exactly one reverses it and the others get 409 ALREADY_REVERSED', async () => {
    const id = await postedTransfer();

    const answers = await Promise.all(Array.from({ length: 10 }, () => reverse(id, newKey())));

    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'ALREADY_REVERSED')).toBe(true);
  });

  it('when 10 requests with one key race, then all answer the same reversal', async () => {
    const id = await postedTransfer();
    const key = newKey();

    const answers = await Promise.all(Array.from({ length: 10 }, () => reverse(id, key)));

    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.body.reversal.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(9);
  });

  it('when a key that reversed one transfer asks to reverse another, then 422 and the other is not touched', async () => {
    const id = await postedTransfer();
    const other = await postedTransfer();
    const key = newKey();
    await reverse(id, key);

    const reused = await reverse(other, key);

    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await api.get(`/v1/transfers/${other}`)).body).toMatchObject({ status: 'posted', reversal: null });
  });

  it('when the transfer is not posted, then 409 INVALID_STATE; an unknown one, 404', async () => {
    const from = await createAccount('USD', '0');
    const to = await createAccount('USD');
    const failed = await transferAndSettle(transfer(from, to, '5'));
    expect(failed.body.status).toBe('failed');

    const res = await reverse(failed.body.id, newKey());
    const unknown = await reverse('00000000-0000-4000-8000-000000000000', newKey());

    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 409, code: 'INVALID_STATE' });
    expect(unknown.status).toBe(404);
  });
});

describe('a reversal whose workflow did not start', () => {
  it('when a reversal was claimed but its workflow never started (Temporal down), then the resumer starts it and the transfer ends reversed', async () => {
    // Arrange: the claim the gateway writes before it starts the workflow, and no start.
    const id = await postedTransfer();
    const reversalId = randomUUID();
    const claim = await createTransferStore(pools.transfers).claimReversal(id, { reversalId, principal: 'development', idempotencyKey: newKey(), traceId: null });
    expect(claim.outcome).toBe('claimed');

    // Act: one pass of the resumer over claims of any age (the gateway's own pass waits until a claim is 10 s old).
    const started = await resumeClaimedReversals({ temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, logger: createLogger('resume-test', 'silent') }, pools.transfers, RESUME_ANY_AGE);

    // Assert
    expect(started).toBeGreaterThanOrEqual(1);
    const reversed = await eventually(() => api.get(`/v1/transfers/${id}`), (r) => r.body.status === 'reversed', 5_000);
    expect(reversed.body.reversal).toMatchObject({ id: reversalId, status: 'posted' });
  });
});

describe('Temporal visibility of a reversed transfer', () => {
  it("when a transfer is reversed, then TransferId lists both its workflows and TransferStatus = 'reversed' finds it reversed", async () => {
    const id = await postedTransfer();
    expect((await reverse(id, newKey())).body.status).toBe('reversed');

    const both = await listed(`TransferId = '${id}'`, 2);
    const reversed = await listed(`TransferId = '${id}' AND TransferStatus = 'reversed'`, 1);

    expect(both).toEqual([reverseTransferWorkflowId(id), transferWorkflowId(id)].sort());
    expect(reversed).toEqual([reverseTransferWorkflowId(id)]);
  });
});
