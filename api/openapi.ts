/**
 * The OpenAPI 3.1 document of the public API (GET /openapi.json). Request
 * schemas come from the same zod schemas that validate requests, so the
 * document cannot drift from the validation.
 */
import { z } from 'zod';
import { RECONCILIATION_CHECKS, RECONCILIATION_STATUSES } from '../lib/reconciliation/report';
import { TRANSFER_STATUSES } from '../lib/transfers';
import { createAccountBody, createTransferBody } from './schemas';

const json = (schema: object) => ({ 'application/json': { schema } });
const problem = { description: 'A problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const idParam = (name = 'id') => ({ name, in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
const keyHeader = (required: boolean) => ({ name: 'Idempotency-Key', in: 'header', required, schema: { type: 'string', minLength: 1, maxLength: 255 } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];
const money = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$', description: 'Minor units as a decimal string' };
const time = { type: 'string', format: 'date-time' };
const page = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } } });

const action = (summary: string, resource: string, extra: object[] = [], headers?: object) => ({
  post: {
    summary,
    parameters: [idParam(), ...extra],
    responses: {
      200: { description: `The ${resource} as it stands`, headers, content: json(ref(resource)) },
      404: problem,
      409: { ...problem, description: 'code INVALID_STATE: its status does not allow the action' },
    },
  },
});
/** Where a client follows a transfer whose outcome was not known within the wait cap. */
const transferLocation = { Location: { description: 'The transfer (GET it to follow it)', schema: { type: 'string' } } };
const transferAction = (summary: string, extra: object[] = []) =>
  action(`${summary}; answers once it took effect, or after at most 10 s as it then stands`, 'Transfer', extra, transferLocation);

/**
 * reverse: the transfer with its `reversal`; the same Idempotency-Key replays it, a transfer reversed under another
 * key is a 409 ALREADY_REVERSED, one not posted a 409 INVALID_STATE, a key used for another transfer's reversal a 422.
 */
function reverseAction() {
  const reverse = transferAction('Reverse a posted transfer (the answer carries its reversal)', [keyHeader(true)]);
  const responses = {
    ...reverse.post.responses,
    200: { ...reverse.post.responses[200], description: 'The transfer (reversed, or as it stands after 10 s) with its reversal; a replay has Idempotent-Replayed: true' },
    400: problem,
    409: { ...problem, description: 'code ALREADY_REVERSED (reversed, or being reversed, under another Idempotency-Key) or INVALID_STATE (not posted)' },
    422: { ...problem, description: 'code IDEMPOTENCY_KEY_REUSED: the key asked for the reversal of another transfer' },
    503: problem,
  };
  return { post: { ...reverse.post, responses } };
}

export function openApiDocument(): object {
  const schemas = {
    CreateAccount: z.toJSONSchema(createAccountBody, { io: 'input', unrepresentable: 'any' }),
    CreateTransfer: z.toJSONSchema(createTransferBody, { io: 'input', unrepresentable: 'any' }),
    Account: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' }, code: { type: 'string' }, name: { type: 'string' }, currency: { type: 'string' },
        creditLimit: { type: 'string' }, status: { enum: ['active', 'frozen'] }, createdAt: time, balance: ref('Balance'),
      },
    },
    Balance: { type: 'object', properties: { accountId: { type: 'string' }, currency: { type: 'string' }, posted: money, pending: money, available: money, asOf: time } },
    StatementLine: {
      type: 'object',
      properties: { entryId: { type: 'string' }, transferId: { type: ['string', 'null'] }, postedAt: time, direction: { enum: ['debit', 'credit'] }, amount: money, balanceAfter: money, description: { type: 'string' } },
    },
    Transfer: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' }, fromAccountId: { type: 'string' }, toAccountId: { type: 'string' }, amount: money,
        currency: { type: 'string' }, description: { type: ['string', 'null'] }, metadata: { type: 'object' },
        status: { enum: [...TRANSFER_STATUSES] },
        failureCode: { type: ['string', 'null'], description: 'Why it failed; REJECTED on a rejected transfer (status cancelled), null on a cancelled one' },
        failureMessage: { type: ['string', 'null'] },
        entryId: { type: ['string', 'null'] }, traceId: { type: ['string', 'null'] }, createdAt: time, updatedAt: time,
        reversal: { oneOf: [ref('Reversal'), { type: 'null' }], description: 'The reversal asked for (POST …/reverse), or null' },
      },
    },
    Reversal: {
      type: 'object',
      required: ['id', 'status', 'entryId', 'traceId', 'createdAt'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        status: { enum: ['pending', 'posted'], description: 'posted once the reversing entry is posted (the transfer is then reversed)' },
        entryId: { type: ['string', 'null'], description: 'The reversing entry; null while pending' },
        traceId: { type: ['string', 'null'], description: 'The trace of the request that asked for the reversal' },
        createdAt: { ...time, description: 'When the reversal was asked for' },
      },
    },
    ReconciliationStarted: {
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, status: { enum: ['running'] }, startedAt: time },
    },
    Reconciliation: {
      type: 'object',
      description:
        'A reconciliation run: the ledger\'s balances against its entries and holds (ledgerBalances), the read model\'s balances against the ledger\'s (readModelBalances), posted and reversed transfers against ledger entries (transferEntries).',
      properties: {
        id: { type: 'string', format: 'uuid' },
        status: { enum: [...RECONCILIATION_STATUSES] },
        trigger: { enum: ['api', 'schedule'] },
        startedAt: time,
        finishedAt: { ...time, type: ['string', 'null'] },
        failureMessage: { type: ['string', 'null'] },
        counts: {
          type: ['object', 'null'],
          description: 'Per check; null while running.',
          properties: Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, ref('ReconciliationCounts')])),
        },
        mismatches: {
          type: 'object',
          description: 'Per check, the mismatches recorded (at most 1000), ordered by id.',
          properties: Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, { type: 'array', items: ref('ReconciliationMismatch') }])),
        },
        mismatchesTruncated: { type: 'boolean', description: 'A check found more mismatches than it recorded.' },
      },
    },
    ReconciliationCounts: {
      type: 'object',
      properties: {
        checked: { type: 'integer', description: 'Accounts or transfers compared' },
        mismatches: { type: 'integer', description: 'Still disagreeing when read again after settling' },
        recorded: { type: 'integer', description: 'Of those, listed in mismatches' },
      },
    },
    ReconciliationMismatch: {
      type: 'object',
      description: 'Named by accountId (balance checks) or transferId (transferEntries); the other fields show what each side says.',
      properties: {
        accountId: { type: 'string' },
        transferId: { type: 'string' },
        kind: {
          type: 'string',
          examples: ['posted_differs', 'pending_differs', 'missing_in_ledger', 'missing_in_read_model', 'missing_entry', 'duplicate_entries', 'entry_for_unposted_transfer', 'unknown_transfer'],
        },
      },
      additionalProperties: true,
    },
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status'],
      properties: {
        type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
        code: { type: 'string', description: 'Machine-readable, e.g. INVALID_STATE, ALREADY_REVERSED, VALIDATION_ERROR' },
        errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Credit ledger API', version: '1.0.0', description: 'Accounts, balances, statements and transfers run as durable sagas.' },
    servers: [{ url: '/' }],
    components: { schemas, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/accounts': {
        post: {
          summary: 'Create an account',
          parameters: [keyHeader(false)],
          requestBody: { required: true, content: json(ref('CreateAccount')) },
          responses: { 201: { description: 'Created', content: json(ref('Account')) }, 200: { description: 'Replayed', content: json(ref('Account')) }, 400: problem, 409: problem, 422: problem },
        },
        get: {
          summary: 'List accounts, newest first; with code, the account with that code',
          parameters: [
            { name: 'code', in: 'query', description: 'Exact code: the page holds the account with that code, or nothing (an empty list, not a 404)', schema: { type: 'string', minLength: 1, maxLength: 100 } },
            ...pageParams,
          ],
          responses: { 200: { description: 'A page', content: json(page('Account')) }, 400: problem },
        },
      },
      '/v1/accounts/{id}': { get: { summary: 'An account with its balance', parameters: [idParam()], responses: { 200: { description: 'The account', content: json(ref('Account')) }, 404: problem } } },
      '/v1/accounts/{id}/freeze': action('Freeze an account', 'Account'),
      '/v1/accounts/{id}/unfreeze': action('Unfreeze an account', 'Account'),
      '/v1/accounts/{id}/balance': {
        get: { summary: 'Balance, now or as of a time', parameters: [idParam(), { name: 'asOf', in: 'query', schema: time }], responses: { 200: { description: 'The balance', content: json(ref('Balance')) }, 400: problem, 404: problem } },
      },
      '/v1/accounts/{id}/statement': {
        get: {
          summary: 'Posted entries, oldest first',
          parameters: [idParam(), { name: 'from', in: 'query', schema: time }, { name: 'to', in: 'query', schema: time }, ...pageParams],
          responses: { 200: { description: 'A page', content: json(page('StatementLine')) }, 400: problem, 404: problem },
        },
      },
      '/v1/transfers': {
        post: {
          summary: 'Create a transfer (runs as a durable workflow)',
          parameters: [
            keyHeader(true),
            { name: 'wait', in: 'query', description: 'Answer once the status is no longer pending, or after at most 10 s as it then stands', schema: { type: 'boolean' } },
          ],
          requestBody: { required: true, content: json(ref('CreateTransfer')) },
          responses: {
            201: { description: 'Created', headers: transferLocation, content: json(ref('Transfer')) },
            200: { description: 'Replayed', headers: transferLocation, content: json(ref('Transfer')) },
            400: problem,
            422: problem,
            503: problem,
          },
        },
        get: {
          summary: 'List transfers, newest first',
          parameters: [{ name: 'accountId', in: 'query', schema: { type: 'string', format: 'uuid' } }, { name: 'status', in: 'query', schema: { enum: [...TRANSFER_STATUSES] } }, ...pageParams],
          responses: { 200: { description: 'A page', content: json(page('Transfer')) }, 400: problem },
        },
      },
      '/v1/transfers/{id}': { get: { summary: 'A transfer', parameters: [idParam()], responses: { 200: { description: 'The transfer', content: json(ref('Transfer')) }, 404: problem } } },
      '/v1/transfers/{id}/approve': transferAction('Approve a transfer awaiting approval'),
      '/v1/transfers/{id}/reject': transferAction('Reject a transfer awaiting approval'),
      '/v1/transfers/{id}/cancel': transferAction('Cancel a pending or awaiting transfer'),
      '/v1/transfers/{id}/reverse': reverseAction(),
      '/v1/reconciliations': {
        post: {
          summary: 'Run a reconciliation now (it also runs nightly); poll the Location for the report',
          responses: {
            202: { description: 'Accepted and running', headers: { Location: { schema: { type: 'string' } } }, content: json(ref('ReconciliationStarted')) },
            400: problem,
            503: problem,
          },
        },
      },
      '/v1/reconciliations/{id}': {
        get: { summary: 'A reconciliation report', parameters: [idParam()], responses: { 200: { description: 'The report', content: json(ref('Reconciliation')) }, 404: problem } },
      },
    },
  };
}
