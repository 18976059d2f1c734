/**
 * approve, reject and cancel through the public API answer with the transfer
 * as the decision left it (the contract: approved → `posted`, rejected →
 * `cancelled` with failureCode REJECTED, cancelled → `cancelled` with none),
 * with its Location; a decision the state does not allow is a 409
 * problem+json with code INVALID_STATE, also when two decisions race (the
 * workflow's update validator takes exactly one). Against the whole running
 * system: the gateway sends each decision as a Temporal Workflow Update.
 */
import { api, createAccount, ensureSystem, transfer, transferAndSettle } from '../support/system';
import type { JsonAnswer } from '../support/service';

const APPROVAL_AMOUNT = '1000000';

beforeAll(() => ensureSystem(), 10 * 60_000);

/** A transfer at the approval threshold, awaiting approval, from an unlimited account to a fresh one. */
async function awaitingApproval(): Promise<{ id: string }> {
  const from = await createAccount('USD', 'unlimited');
  const to = await createAccount('USD');
  const created = await transferAndSettle(transfer(from, to, APPROVAL_AMOUNT));
  if (created.body.status !== 'awaiting_approval') throw new Error(`transfer not awaiting approval: ${JSON.stringify(created.body)}`);
  return { id: created.body.id };
}

const decide = (id: string, decision: 'approve' | 'reject' | 'cancel') => api.post(`/v1/transfers/${id}/${decision}`);

function expectInvalidState(answer: JsonAnswer, detail: RegExp): void {
  expect(answer.status).toBe(409);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status: 409, code: 'INVALID_STATE', type: expect.stringMatching(/transfer-state-conflict$/) });
  expect(answer.body.detail).toMatch(detail);
}

describe('a decision answers with the state it led to', () => {
  it('when a transfer awaiting approval is approved, then the answer is the transfer posted with its entry, as a GET then shows it', async () => {
    const { id } = await awaitingApproval();

    const approved = await decide(id, 'approve');

    expect(approved.status).toBe(200);
    expect(approved.headers.get('location')).toBe(`/v1/transfers/${id}`);
    expect(approved.body).toMatchObject({ id, status: 'posted', failureCode: null, entryId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect((await api.get(`/v1/transfers/${id}`)).body).toEqual(approved.body);
  });

  it('when it is rejected, then the answer is cancelled with failureCode REJECTED', async () => {
    const { id } = await awaitingApproval();

    const rejected = await decide(id, 'reject');

    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ id, status: 'cancelled', failureCode: 'REJECTED', failureMessage: 'rejected by an approver', entryId: null });
    expect((await api.get(`/v1/transfers/${id}`)).body).toEqual(rejected.body);
  });

  it('when it is cancelled, then the answer is cancelled with no failure code', async () => {
    const { id } = await awaitingApproval();

    const cancelled = await decide(id, 'cancel');

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled', failureCode: null, failureMessage: null, entryId: null });
  });
});

describe('a decision the state does not allow is a 409 with code INVALID_STATE', () => {
  it('when a decided transfer gets any decision again, then each is refused naming its status', async () => {
    const approved = await awaitingApproval();
    const rejected = await awaitingApproval();
    await decide(approved.id, 'approve');
    await decide(rejected.id, 'reject');

    for (const decision of ['approve', 'reject', 'cancel'] as const) {
      expectInvalidState(await decide(approved.id, decision), /it is posted/);
      expectInvalidState(await decide(rejected.id, decision), /it is cancelled/);
    }
  });

  it('when a transfer that needs no approval is approved or rejected after it posted, then it is refused', async () => {
    const from = await createAccount('USD', 'unlimited');
    const to = await createAccount('USD');
    const posted = await transferAndSettle(transfer(from, to, '125'));
    expect(posted.body.status).toBe('posted');

    expectInvalidState(await decide(posted.body.id, 'approve'), /it is posted/);
    expectInvalidState(await decide(posted.body.id, 'reject'), /it is posted/);
  });

  it('when an approve and a reject race, then exactly one is taken, the other is refused, and the transfer ends as the one taken answered', async () => {
    const { id } = await awaitingApproval();

    const [approve, reject] = await Promise.all([decide(id, 'approve'), decide(id, 'reject')]);

    const taken = [approve, reject].filter((a) => a.status === 200);
    const refused = [approve, reject].filter((a) => a.status === 409);
    expect(taken).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.body.code).toBe('INVALID_STATE');
    expect(taken[0]?.body.status).toBe(taken[0] === approve ? 'posted' : 'cancelled');
    expect((await api.get(`/v1/transfers/${id}`)).body).toEqual(taken[0]?.body);
  });

  it('when two approves race, then the transfer posts once and each answer is the posted transfer or a 409 saying it is posted', async () => {
    const { id } = await awaitingApproval();

    const answers = await Promise.all([decide(id, 'approve'), decide(id, 'approve')]);

    const final = (await api.get(`/v1/transfers/${id}`)).body;
    expect(final.status).toBe('posted');
    for (const answer of answers) {
      if (answer.status === 200) expect(answer.body).toEqual(final);
      else expectInvalidState(answer, /it is posted/);
    }
    expect(answers.some((a) => a.status === 200)).toBe(true);
  });
});
