/** The transfer operations of the document (api/routes/transfers.ts). */
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { RESERVE_REFUSAL_CODES } from '../../lib/transfers/refusal-codes';
import { allowedFromText, type Decision } from '../../lib/workflow-contract/decisions';
import { createTransferBody, idempotencyKey, listTransfersQuery, waitQuery } from '../schemas';
import { EXAMPLE } from './examples';
import { bodyProblems, emptyBodyProblems, invalidQuery, invalidState, keyReused, notFound, problemResponse, unavailable } from './responses';
import { transferPage, transferResource } from './resources';
import { emptyActionBody, type Common } from './common';

const JSON_TYPE = 'application/json';
const idParams = z.object({ id: z.uuid().meta({ description: 'The transfer (a UUID; anything else is a 404).', examples: [EXAMPLE.transferId] }) });
const keyHeader = z.object({
  'Idempotency-Key': idempotencyKey.meta({ description: '1 to 255 printable ASCII characters, chosen by the client; the same key replays the first answer.', examples: ['rent-2026-11-alice'] }),
});

const location = { Location: { description: 'The transfer: GET it to follow it.', schema: { type: 'string' as const, examples: [`/v1/transfers/${EXAMPLE.transferId}`] } } };
const replayed = { 'Idempotent-Replayed': { description: '`true` when the answer replays an earlier request with the same Idempotency-Key.', schema: { type: 'string' as const, enum: ['true'] } } };

/** A transfer resource as the document's examples show it; `overrides` for another state. */
export const transfer = (overrides: Record<string, unknown> = {}) => ({
  id: EXAMPLE.transferId,
  fromAccountId: EXAMPLE.accountId,
  toAccountId: EXAMPLE.otherAccountId,
  amount: '1250',
  currency: 'USD',
  description: 'rent',
  metadata: { invoice: 'A-17' },
  status: 'posted',
  failureCode: null,
  failureMessage: null,
  entryId: EXAMPLE.entryId,
  traceId: EXAMPLE.traceId,
  createdBy: 'alice',
  decidedBy: null,
  createdAt: EXAMPLE.time,
  updatedAt: '2026-11-26T21:07:57.456Z',
  reversal: null,
  batchId: null,
  batchIndex: null,
  reference: null,
  ...overrides,
});
const pending = transfer({ status: 'pending', entryId: null, updatedAt: EXAMPLE.time });
const awaiting = transfer({ status: 'awaiting_approval', amount: '2500000', entryId: null });
const approved = transfer({ amount: '2500000', decidedBy: 'bob' });
const failed = transfer({ status: 'failed', entryId: null, failureCode: 'INSUFFICIENT_FUNDS', failureMessage: 'available balance 1000 is below the amount 1250' });
const reversal = { id: EXAMPLE.reversalId, traceId: EXAMPLE.traceId, createdAt: '2026-11-27T09:00:00.000Z', failureCode: null, failureMessage: null };
const reversed = transfer({ status: 'reversed', reversal: { ...reversal, status: 'posted', entryId: EXAMPLE.reversalEntryId } });
const reversalRefused = transfer({
  reversal: {
    ...reversal,
    status: 'refused',
    entryId: null,
    failureCode: 'INSUFFICIENT_FUNDS',
    failureMessage: `account ${EXAMPLE.otherAccountId} would go to -1250, below its credit limit`,
  },
});

const transferAnswer = (description: string, examples: Record<string, object>, headers: ResponseConfig['headers'] = location): ResponseConfig => ({
  description,
  headers,
  content: { [JSON_TYPE]: { schema: transferResource, examples: Object.fromEntries(Object.entries(examples).map(([k, v]) => [k, { value: v }])) } },
});

/** What a client does next with a created transfer: OpenAPI links (they also let Schemathesis's stateful phase act on real transfers). */
const TRANSFER_LINKS = Object.fromEntries(
  ['getTransfer', 'approveTransfer', 'rejectTransfer', 'cancelTransfer', 'reverseTransfer'].map((operationId) => [
    operationId.replace(/^./, (c) => c.toUpperCase()),
    { operationId, parameters: { id: '$response.body#/id' }, description: `The created transfer's id as {id} of ${operationId}.` },
  ]),
);

const WAIT_RULE =
  'It answers once the decision took effect, or after at most 10 s with the transfer as it then stands (still 200; follow the `Location` header or GET the transfer).';

export function registerTransferPaths(registry: OpenAPIRegistry, common: Common): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/transfers',
    operationId: 'createTransfer',
    tags: ['Transfers'],
    summary: 'Create a transfer',
    description: [
      'Creates a transfer and runs it as a durable Temporal workflow (`transfer-<id>`).',
      'Shape errors (a missing field, an amount that is not a positive integer string, zero, an unknown currency, the same account on both sides, oversized metadata) are a 400 and create nothing.',
      'Business failures are not 4xx: the transfer is created and ends `failed` with a `failureCode` (' + RESERVE_REFUSAL_CODES.join(', ') + '). A transfer whose workflow ends without an outcome (terminated or timed out by an operator in the Temporal UI or CLI) ends `failed` with failureCode WORKFLOW_TERMINATED within a minute, its reserved funds released.',
      '**Approval:** an amount at or above the approval threshold (`APPROVAL_THRESHOLD_MINOR`, default 1000000 minor units) reserves the funds and waits in `awaiting_approval` for approve, reject or cancel; without a decision within `APPROVAL_TIMEOUT` (default 24 h) it ends `expired`.',
      '**Idempotency:** `Idempotency-Key` is required, and is the caller\'s own: keys are scoped to the principal (the API key\'s client), so another client sending the same key creates its own transfer and never sees this one. The same key with the same body answers the same transfer (200, `Idempotent-Replayed: true`) for the retention, `IDEMPOTENCY_RETENTION` (default 7 days, never under 24 hours); concurrent requests with one key never create two transfers; the same key with another body is a 422. After the retention the key is purged (the transfer stays) and the same key creates a new transfer.',
      '**`?wait=true`:** the answer waits until the status is no longer `pending`, at most 10 s; when the cap is reached it answers the transfer as it then stands (still `pending`, same status code) and the client follows `Location`.',
      'Money is a string of minor units (`"1250"` is 12.50 USD), never a number.',
    ].join('\n\n'),
    request: {
      headers: keyHeader,
      query: waitQuery.extend({ wait: waitQuery.shape.wait.meta({ description: 'true: answer once the transfer has left `pending`, at most after 10 s.' }) }),
      body: {
        required: true,
        content: {
          [JSON_TYPE]: {
            schema: createTransferBody,
            examples: {
              transfer: { value: { fromAccountId: EXAMPLE.accountId, toAccountId: EXAMPLE.otherAccountId, amount: '1250', currency: 'USD', description: 'rent', metadata: { invoice: 'A-17' } } },
              minimal: { value: { fromAccountId: EXAMPLE.accountId, toAccountId: EXAMPLE.otherAccountId, amount: '1250', currency: 'USD' } },
            },
          },
        },
      },
    },
    responses: {
      201: { ...transferAnswer('Created. Without `?wait=true` it is usually still `pending`.', { pending, posted: transfer(), failed, awaitingApproval: awaiting }), links: TRANSFER_LINKS },
      200: transferAnswer('A replay of an earlier request with the same Idempotency-Key and body: that transfer as it stands now.', { replayed: transfer() }, { ...location, ...replayed }),
      ...bodyProblems('amount', 'must be greater than zero'),
      ...common.auth,
      ...common.writes,
      422: keyReused('with a different request body'),
      503: unavailable('the transfer is recorded but its workflow could not be started (Temporal), or the database'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/transfers',
    operationId: 'listTransfers',
    tags: ['Transfers'],
    summary: 'List transfers',
    description: 'Newest first, optionally of one account (as source or destination) and in one status; paged by `limit` and the opaque `cursor` of the previous page.',
    request: { query: listTransfersQuery },
    responses: {
      200: { description: 'A page of transfers.', content: { [JSON_TYPE]: { schema: transferPage, examples: { page: { value: { items: [transfer()], nextCursor: null } } } } } },
      400: invalidQuery('limit', 'must be an integer from 1 to 200'),
      ...common.auth,
      503: unavailable('the database'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/transfers/{id}',
    operationId: 'getTransfer',
    tags: ['Transfers'],
    summary: 'Get a transfer',
    description: 'The transfer as it stands, with its `reversal` (or null).',
    request: { params: idParams },
    responses: {
      200: transferAnswer('The transfer.', { posted: transfer(), failed, reversed, reversalRefused }, {}),
      ...common.auth,
      404: notFound('transfer'),
      503: unavailable('the database'),
    },
  });

  // The statuses each decision is allowed from come from the contract's one table, as the gateway and the workflow read them.
  const decision = (action: Decision, summary: string, effect: string, example: object, allowed = allowedFromText(action)) =>
    registry.registerPath({
      method: 'post',
      path: `/v1/transfers/{id}/${action}`,
      operationId: `${action}Transfer`,
      tags: ['Transfers'],
      summary,
      description: `${effect} Takes an empty JSON object or no body. ${WAIT_RULE} A status that does not allow it (${allowed}), as the transfer shows it or as its workflow finds it when the decision arrives (another decision got there first, or for a cancel, the capture has begun), is a 409 with code INVALID_STATE and the reason in detail. The same decision sent again while it is carried out answers the same outcome. On a transfer whose workflow ended without an outcome (terminated or timed out in the Temporal UI or CLI) it answers 200 with the transfer in its final state, \`failed\` with failureCode WORKFLOW_TERMINATED (its funds released), never a 409.`,
      request: { params: idParams, body: emptyActionBody },
      responses: {
        200: transferAnswer('The transfer after the decision (or as it stands when 10 s passed first).', { decided: example }),
        ...emptyBodyProblems(),
        ...common.auth,
        ...common.writes,
        404: notFound('transfer'),
        409: invalidState(action, allowed),
        503: unavailable('the decision could not be delivered to the workflow (Temporal), or the database'),
      },
    });
  decision('approve', 'Approve a transfer awaiting approval', 'Posts a transfer in `awaiting_approval`: it answers `posted` (or `failed` with its code), `decidedBy` naming the approver.', approved);
  decision(
    'reject',
    'Reject a transfer awaiting approval',
    'Releases the funds of a transfer in `awaiting_approval`: it ends `cancelled` with failureCode `REJECTED` (a cancel leaves failureCode null).',
    transfer({ status: 'cancelled', entryId: null, amount: '2500000', failureCode: 'REJECTED', failureMessage: 'rejected by an approver', decidedBy: 'bob' }),
  );
  decision('cancel', 'Cancel a transfer', 'Cancels a `pending` or `awaiting_approval` transfer and releases its funds: it ends `cancelled` with failureCode null.', transfer({ status: 'cancelled', entryId: null, decidedBy: 'alice' }));

  registry.registerPath({
    method: 'post',
    path: '/v1/transfers/{id}/reverse',
    operationId: 'reverseTransfer',
    tags: ['Transfers'],
    summary: 'Reverse a posted transfer',
    description: [
      'Posts a reversing entry for a `posted` transfer (workflow `reverse-<id>`); its status becomes `reversed`. Takes an empty JSON object or no body; `Idempotency-Key` is required.',
      'The answer is the transfer with its `reversal` (id, status, the reversing entryId, traceId, createdAt, failureCode, failureMessage). It answers once the reversal has its outcome: the transfer `reversed` (reversal `posted`), or the transfer still `posted` with its reversal `refused` and a failureCode (INSUFFICIENT_FUNDS: the destination no longer holds the money); a refusal is an outcome, a 200, not a 4xx. Otherwise after at most 10 s as it then stands (reversal `pending`; follow `Location`).',
      'The same key (the caller\'s own, as for creating a transfer; kept for `IDEMPOTENCY_RETENTION`) replays the first answer (200, `Idempotent-Replayed: true`). A refused reversal may be asked for again under a new key (once the cause is fixed, e.g. the destination funded): that is a new reversal, with a new id. A transfer reversed, or being reversed, under another key is a 409 ALREADY_REVERSED; one not posted, a 409 INVALID_STATE; a key that asked for the reversal of another transfer, a 422. Of concurrent reversals of one transfer exactly one is taken.',
    ].join('\n\n'),
    request: { params: idParams, headers: keyHeader, body: emptyActionBody },
    responses: {
      200: transferAnswer('The transfer with its reversal, posted or refused; a replay carries `Idempotent-Replayed: true`.', { reversed, reversalRefused }, { ...location, ...replayed }),
      ...emptyBodyProblems(),
      ...common.auth,
      ...common.writes,
      404: notFound('transfer'),
      409: problemResponse(409, 'Reversed or being reversed under another Idempotency-Key (code ALREADY_REVERSED), or not posted (code INVALID_STATE).', {
        alreadyReversed: {
          slug: 'transfer-already-reversed',
          title: 'Conflict',
          code: 'ALREADY_REVERSED',
          detail: `Transfer ${EXAMPLE.transferId} is reversed (reversal ${EXAMPLE.reversalId}); the Idempotency-Key of that reversal replays it.`,
        },
        invalidState: { slug: 'transfer-state-conflict', title: 'Conflict', code: 'INVALID_STATE', detail: `Cannot reverse transfer ${EXAMPLE.transferId}: it is pending.` },
      }),
      422: keyReused('for the reversal of another transfer'),
      503: unavailable('the reversal is recorded but its workflow could not be started (Temporal), or the database'),
    },
  });
}
