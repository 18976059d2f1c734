/** The transfer batch operations of the document (api/routes/transfer-batches.ts). */
import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { BATCH_ABORTED_FAILURE_CODE, codesInWords, RESERVE_REFUSAL_CODES } from '../../lib/transfers/refusal-codes';
import { BATCH_TRANSFERS_MAX, createTransferBatchBody, idempotencyKey, pageQuery, waitQuery } from '../schemas';
import type { Common } from './common';
import { EXAMPLE } from './examples';
import { invalidQuery, invalidRequest, keyReused, notFound, problemResponse, unavailable, unsupportedMediaType } from './responses';
import { transfer } from './paths-transfers';
import { transferBatchResource, transferPage } from './resources';

const JSON_TYPE = 'application/json';
const idParams = z.object({ id: z.uuid().meta({ description: 'The transfer batch (a UUID; anything else is a 404).', examples: [EXAMPLE.batchId] }) });
const keyHeader = z.object({
  'Idempotency-Key': idempotencyKey.meta({ description: '1 to 255 printable ASCII characters, chosen by the client; the same key replays the first answer.', examples: ['payroll-2026-12'] }),
});
const location = { Location: { description: 'The batch: GET it to follow it.', schema: { type: 'string' as const, examples: [`/v1/transfer-batches/${EXAMPLE.batchId}`] } } };
const replayed = { 'Idempotent-Replayed': { description: '`true` when the answer replays an earlier request with the same Idempotency-Key.', schema: { type: 'string' as const, enum: ['true'] } } };

const batch = (overrides: Record<string, unknown> = {}) => ({
  id: EXAMPLE.batchId,
  mode: 'independent',
  status: 'completed',
  itemCount: 3,
  counts: { posted: 2, failed: 1 },
  failureCode: null,
  failureIndex: null,
  traceId: EXAMPLE.traceId,
  createdBy: 'alice',
  createdAt: EXAMPLE.time,
  updatedAt: '2026-11-26T21:07:58.021Z',
  ...overrides,
});
const pending = batch({ status: 'pending', counts: { posted: 0, failed: 0 }, updatedAt: EXAMPLE.time });
const atomicFailed = batch({ mode: 'atomic', status: 'failed', counts: { posted: 0, failed: 3 }, failureCode: 'INSUFFICIENT_FUNDS', failureIndex: 2 });

const batchAnswer = (description: string, examples: Record<string, object>, headers: ResponseConfig['headers'] = location): ResponseConfig => ({
  description,
  headers,
  content: { [JSON_TYPE]: { schema: transferBatchResource, examples: Object.fromEntries(Object.entries(examples).map(([k, v]) => [k, { value: v }])) } },
});

/** A transfer of the batch, as GET /v1/transfers/{id} answers it. */
const batchItemExample = transfer({ amount: '250000', description: null, metadata: {}, batchId: EXAMPLE.batchId, batchIndex: 0, reference: 'payroll-2026-12/1' });

const item = (amount: string, reference: string) => ({ fromAccountId: EXAMPLE.accountId, toAccountId: EXAMPLE.otherAccountId, amount, currency: 'USD', reference });

/** A batch body may be up to 1 MiB (the contract's limit); other bodies 64 KiB. */
const tooLarge = problemResponse(413, 'The body is larger than 1 MiB (code PAYLOAD_TOO_LARGE).', {
  tooLarge: { slug: 'payload-too-large', title: 'Payload too large', code: 'PAYLOAD_TOO_LARGE', detail: 'The body is larger than 1024 KiB.' },
});

export function registerTransferBatchPaths(registry: OpenAPIRegistry, common: Common): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/transfer-batches',
    operationId: 'createTransferBatch',
    tags: ['Transfer batches'],
    summary: 'Create a transfer batch',
    description: [
      `Creates up to ${BATCH_TRANSFERS_MAX} transfers in one request and runs them as one durable Temporal workflow (\`transfer-batch-<id>\`), posting many transfers per ledger transaction. Each transfer of the batch is an ordinary transfer (GET /v1/transfers/{id}, statements, reverse) carrying \`batchId\` and \`batchIndex\`.`,
      '**Validation:** each transfer is validated as POST /v1/transfers validates one; an invalid one is a 400 whose `errors` name its index and field (`transfers[3].amount`), and nothing is created. A transfer at or above the approval threshold (`APPROVAL_THRESHOLD_MINOR`) is refused the same way: batches are for routine volume, approvals stay per transfer. More than 1,000 transfers is a 400 naming the limit.',
      `**atomic:** every transfer posts in one ledger transaction, or none does: the first refusal (${codesInWords(RESERVE_REFUSAL_CODES)}) ends the batch \`failed\` with that code and the transfer's index (\`failureCode\`, \`failureIndex\`); that transfer fails with its code, every other with ${BATCH_ABORTED_FAILURE_CODE}.`,
      '**independent:** each transfer posts or fails on its own (its own failureCode), in the order given (a later transfer may spend what an earlier one brought); the batch ends `completed` with its counts.',
      '**Idempotency:** `Idempotency-Key` is required and is the caller\'s own, as for POST /v1/transfers: the same key with the same body answers the same batch (200, `Idempotent-Replayed: true`); with another body it is a 422. Each transfer posts at most once, whatever is retried.',
      '**`?wait=true`:** the answer waits until the batch is `completed` or `failed`, at most 10 s; then it answers the batch as it stands (still `pending`, same status code) and the client follows `Location`.',
    ].join('\n\n'),
    request: {
      headers: keyHeader,
      query: waitQuery.extend({ wait: waitQuery.shape.wait.meta({ description: 'true: answer once the batch is final, at most after 10 s.' }) }),
      body: {
        required: true,
        content: {
          [JSON_TYPE]: {
            schema: createTransferBatchBody,
            examples: {
              payroll: { value: { mode: 'independent', transfers: [item('250000', 'payroll-2026-12/1'), item('180000', 'payroll-2026-12/2')] } },
              atomic: { value: { mode: 'atomic', transfers: [item('1250', 'split-1'), item('750', 'split-2')] } },
            },
          },
        },
      },
    },
    responses: {
      201: {
        ...batchAnswer('Created. Without `?wait=true` it is usually still `pending`.', { pending, completed: batch(), atomicFailed }),
        links: {
          GetTransferBatch: { operationId: 'getTransferBatch', parameters: { id: '$response.body#/id' }, description: "The created batch's id as {id} of getTransferBatch." },
          ListTransferBatchTransfers: { operationId: 'listTransferBatchTransfers', parameters: { id: '$response.body#/id' }, description: "The created batch's id as {id} of listTransferBatchTransfers." },
        },
      },
      200: batchAnswer('A replay of an earlier request with the same Idempotency-Key and body: that batch as it stands now.', { replayed: batch() }, { ...location, ...replayed }),
      400: invalidRequest('transfers[2].amount', 'is at or above the approval threshold (1000000): a batch takes no transfer that needs approval; send it alone'),
      413: tooLarge,
      415: unsupportedMediaType,
      ...common.auth,
      ...common.writes,
      422: keyReused('with a different batch'),
      503: unavailable('the batch is recorded but its workflow could not be started (Temporal), or the database'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/transfer-batches/{id}',
    operationId: 'getTransferBatch',
    tags: ['Transfer batches'],
    summary: 'Get a transfer batch',
    description: 'The batch as it stands: while `pending`, `counts` are its transfers posted and failed so far.',
    request: { params: idParams },
    responses: {
      200: batchAnswer('The batch.', { completed: batch(), pending, atomicFailed }, {}),
      ...common.auth,
      404: notFound('transfer batch'),
      503: unavailable('the database'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/transfer-batches/{id}/transfers',
    operationId: 'listTransferBatchTransfers',
    tags: ['Transfer batches'],
    summary: "List a transfer batch's transfers",
    description: "The batch's transfers in the order of the request (`batchIndex` 0, 1, 2...), each the transfer resource of GET /v1/transfers/{id}; paged by `limit` and the opaque `cursor` of the previous page.",
    request: { params: idParams, query: pageQuery },
    responses: {
      200: {
        description: "A page of the batch's transfers.",
        content: { [JSON_TYPE]: { schema: transferPage, examples: { page: { value: { items: [batchItemExample], nextCursor: null } } } } },
      },
      400: invalidQuery('limit', 'must be an integer from 1 to 200'),
      ...common.auth,
      404: notFound('transfer batch'),
      503: unavailable('the database'),
    },
  });
}
