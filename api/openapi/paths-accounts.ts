/** The account and balance operations of the document (api/routes/accounts.ts). */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { asOfQuery, createAccountBody, idempotencyKey, listAccountsQuery, statementQuery } from '../schemas';
import { EXAMPLE } from './examples';
import { bodyProblems, emptyBodyProblems, invalidQuery, keyReused, notFound, problemResponse, unavailable } from './responses';
import { accountPage, accountResource, accountWithBalanceResource, balanceResource, statementPage } from './resources';
import { emptyActionBody, type Common } from './common';

const JSON_TYPE = 'application/json';
const idParams = z.object({ id: z.uuid().meta({ description: 'The account (a UUID; anything else is a 404).', examples: [EXAMPLE.accountId] }) });
const json = (schema: z.ZodType, examples: Record<string, unknown>) => ({
  [JSON_TYPE]: { schema, examples: Object.fromEntries(Object.entries(examples).map(([k, v]) => [k, { value: v }])) },
});

const account = (overrides: Record<string, unknown> = {}) => ({
  id: EXAMPLE.accountId,
  code: 'cust-42',
  name: 'Alice',
  currency: 'USD',
  creditLimit: '50000',
  status: 'active',
  createdBy: 'alice',
  createdAt: EXAMPLE.time,
  ...overrides,
});
const balance = { posted: '5000', pending: '1250', available: '3750', asOf: EXAMPLE.time };
const upstreams = 'the accounts service or the read model';
/** What a client does next with a created account: OpenAPI links (they also let Schemathesis's stateful phase act on real accounts). */
const ACCOUNT_LINKS = Object.fromEntries(
  ['getAccount', 'freezeAccount', 'unfreezeAccount', 'getBalance', 'getStatement'].map((operationId) => [
    operationId.replace(/^./, (c) => c.toUpperCase()),
    { operationId, parameters: { id: '$response.body#/id' }, description: `The created account's id as {id} of ${operationId}.` },
  ]),
);

export function registerAccountPaths(registry: OpenAPIRegistry, common: Common): void {
  registry.registerPath({
    method: 'post',
    path: '/v1/accounts',
    operationId: 'createAccount',
    tags: ['Accounts'],
    summary: 'Create an account',
    description: [
      '`code` is the client\'s own unique reference (a duplicate is a 409 ACCOUNT_CODE_TAKEN). `creditLimit` is how far the **available** balance may go below zero: minor units as a string of digits (default "0", no overdraft), or "unlimited" for a funding or settlement account.',
      '**Idempotency:** an optional `Idempotency-Key`, the caller\'s own (keys are scoped to the principal: another client\'s request with the same key is a request of its own, never a replay of this one): the same key with the same body answers the same account (200, `Idempotent-Replayed: true`); with another body, a 422.',
    ].join('\n\n'),
    request: {
      headers: z.object({ 'Idempotency-Key': idempotencyKey.optional().meta({ description: 'Optional; 1 to 255 printable ASCII characters.', examples: ['open-cust-42'] }) }),
      body: {
        required: true,
        content: json(createAccountBody, {
          customer: { code: 'cust-42', name: 'Alice', currency: 'USD', creditLimit: '50000' },
          funding: { code: 'bank', name: 'Funding', currency: 'USD', creditLimit: 'unlimited' },
        }),
      },
    },
    responses: {
      201: {
        description: 'Created (`Location` names it).',
        headers: { Location: { description: 'The account.', schema: { type: 'string' } } },
        content: json(accountResource, { created: account() }),
        links: ACCOUNT_LINKS,
      },
      200: {
        description: 'A replay of an earlier request with the same Idempotency-Key and body.',
        headers: { 'Idempotent-Replayed': { description: 'Always `true` here.', schema: { type: 'string', enum: ['true'] } } },
        content: json(accountResource, { replayed: account() }),
      },
      ...bodyProblems('creditLimit', 'must be "unlimited" or minor units as a string of digits (no sign, no leading zeros), at most 9223372036854775807'),
      ...common.auth,
      ...common.writes,
      409: problemResponse(409, 'Another account has this code (code ACCOUNT_CODE_TAKEN).', {
        taken: { slug: 'account-code-taken', title: 'Conflict', code: 'ACCOUNT_CODE_TAKEN', detail: 'An account with code "cust-42" already exists.' },
      }),
      422: keyReused('with a different request body'),
      503: unavailable('the accounts service'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/accounts',
    operationId: 'listAccounts',
    tags: ['Accounts'],
    summary: 'List accounts, or find one by code',
    description:
      'Newest first, paged by `limit` and the opaque `cursor` of the previous page. With `code`, the account with exactly that code: a list of at most one (a code nobody has is an empty list, not a 404). Listed accounts have no `balance`.',
    request: { query: listAccountsQuery },
    responses: {
      200: { description: 'A page of accounts.', content: json(accountPage, { page: { items: [account()], nextCursor: null }, noSuchCode: { items: [], nextCursor: null } }) },
      400: invalidQuery('code', 'must not be empty'),
      ...common.auth,
      503: unavailable('the accounts service'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}',
    operationId: 'getAccount',
    tags: ['Accounts'],
    summary: 'Get an account with its balance',
    description: 'The account and its balance now (posted, pending, available, asOf), from the read model.',
    request: { params: idParams },
    responses: {
      200: { description: 'The account.', content: json(accountWithBalanceResource, { account: { ...account(), balance } }) },
      ...common.auth,
      404: notFound('account'),
      503: unavailable(upstreams),
    },
  });

  for (const [action, status, summary] of [
    ['freeze', 'frozen', 'Freeze an account'],
    ['unfreeze', 'active', 'Unfreeze an account'],
  ] as const) {
    registry.registerPath({
      method: 'post',
      path: `/v1/accounts/{id}/${action}`,
      operationId: `${action}Account`,
      tags: ['Accounts'],
      summary,
      description: `Sets \`status\` to \`${status}\` (again: no change, still 200). A frozen account takes part in no new transfer, as source or as destination. Takes an empty JSON object or no body.`,
      request: { params: idParams, body: emptyActionBody },
      responses: {
        200: { description: `The account, now ${status}.`, content: json(accountResource, { [status]: account({ status }) }) },
        ...emptyBodyProblems(),
        ...common.auth,
        ...common.writes,
        404: notFound('account'),
        503: unavailable('the accounts service'),
      },
    });
  }

  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}/balance',
    operationId: 'getBalance',
    tags: ['Balances'],
    summary: 'Get a balance, now or as of a time',
    description:
      'Sign convention: balance = credits − debits. `pending` is the sum of open holds (a positive number), `available = posted − pending`. With `asOf`, the posted balance as it was at that instant. Served from the read model, which converges to the ledger within the projection lag.',
    request: { params: idParams, query: asOfQuery },
    responses: {
      200: { description: 'The balance.', content: json(balanceResource, { now: { accountId: EXAMPLE.accountId, currency: 'USD', ...balance } }) },
      400: invalidQuery('asOf', 'must be an RFC 3339 time, e.g. 2026-11-26T21:07:57.123Z'),
      ...common.auth,
      404: notFound('account'),
      503: unavailable(upstreams),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/accounts/{id}/statement',
    operationId: 'getStatement',
    tags: ['Balances'],
    summary: 'Get a statement',
    description: 'Posted entries on the account, oldest first, between `from` and `to`; `balanceAfter` is the running posted balance. Paged by `limit` and `cursor`.',
    request: { params: idParams, query: statementQuery },
    responses: {
      200: {
        description: 'A page of statement lines.',
        content: json(statementPage, {
          page: {
            items: [{ entryId: EXAMPLE.entryId, transferId: EXAMPLE.transferId, postedAt: EXAMPLE.time, direction: 'credit', amount: '5000', balanceAfter: '5000', description: 'opening' }],
            nextCursor: null,
          },
        }),
      },
      400: invalidQuery('from', 'must be an RFC 3339 time'),
      ...common.auth,
      404: notFound('account'),
      503: unavailable(upstreams),
    },
  });
}
