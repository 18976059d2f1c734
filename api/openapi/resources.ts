/**
 * The resources the API answers with, as zod schemas for the OpenAPI document
 * only (the routes build them in lib/transfers/resource.ts, services/accounts and
 * api/reconciliations.ts). Every field a resource always has is required; a
 * field that may be empty is nullable, never missing.
 */
import { z } from 'zod';
import { ROLES } from '../principal';
import { RECONCILIATION_CHECKS, RECONCILIATION_STATUSES } from '../../lib/reconciliation/report';
import { REVERSAL_STATUSES, TRANSFER_STATUSES } from '../../lib/transfers';
import { codesInWords, REJECTED_FAILURE_CODE, RESERVE_REFUSAL_CODES, WORKFLOW_TERMINATED_FAILURE_CODE } from '../../lib/transfers/refusal-codes';
import { CREDIT_LIMIT_PATTERN, SIGNED_AMOUNT_PATTERN } from './patterns';
import { EXAMPLE } from './examples';

const uuid = (description: string, example: string) => z.uuid().meta({ description, examples: [example] });
const time = (description: string) => z.iso.datetime().meta({ description: `${description} (RFC 3339 UTC, milliseconds).`, examples: [EXAMPLE.time] });
const money = (description: string, example: string) =>
  z.string().meta({ description: `${description} Minor units as a string of decimal digits ("1050" is 10.50 USD); never a number.`, pattern: SIGNED_AMOUNT_PATTERN, examples: [example] });
const traceId = z.string().meta({ description: 'An OpenTelemetry trace id, 32 hex digits.', pattern: '^[0-9a-f]{32}$', examples: [EXAMPLE.traceId] });
/** A principal: the id of an API client, never its key (`development` for every request of a gateway in development mode). */
const principal = (description: string, example: string) => z.string().nullable().meta({ description, examples: [example] });

export const accountResource = z
  .object({
    id: uuid('Chosen by the server.', EXAMPLE.accountId),
    code: z.string().meta({ description: "The client's own unique reference.", examples: ['cust-42'] }),
    name: z.string().meta({ examples: ['Alice'] }),
    currency: z.string().meta({ description: 'ISO 4217, upper case.', examples: ['USD'] }),
    creditLimit: z.string().meta({
      description: 'How far `available` may go below zero: minor units as a string of digits, or "unlimited" (a funding account that may go negative without bound).',
      pattern: CREDIT_LIMIT_PATTERN,
      examples: ['50000'],
    }),
    status: z.enum(['active', 'frozen']).meta({ description: 'A frozen account takes part in no new transfer, as source or as destination.' }),
    createdBy: principal(
      'The principal (API client id) that created it; `development` in development mode; null for accounts created before principals were recorded. A submitter sees only the accounts it created.',
      'alice',
    ),
    createdAt: time('When it was created'),
  })
  .meta({ id: 'Account', description: 'An account as created and listed (GET /v1/accounts/{id} adds its balance).' });

export const balanceResource = z
  .object({
    accountId: uuid('The account.', EXAMPLE.accountId),
    currency: z.string().meta({ examples: ['USD'] }),
    posted: money('Credits minus debits of the posted entries.', '5000'),
    pending: money('Open holds on the account (funds reserved for outgoing transfers in flight), a positive number.', '1250'),
    available: money('posted − pending; a transfer is refused when it would take this below −creditLimit.', '3750'),
    asOf: time('The instant the balance is of'),
  })
  .meta({ id: 'Balance', description: 'Served from the read model; it converges to the ledger within the projection lag.' });

export const accountWithBalanceResource = accountResource
  .extend({ balance: balanceResource.omit({ accountId: true, currency: true }).meta({ description: 'Its balance now (as GET …/balance, without accountId and currency).' }) })
  .meta({ id: 'AccountWithBalance', description: 'An account with its balance now.' });

export const statementLineResource = z
  .object({
    entryId: uuid('The ledger entry.', EXAMPLE.entryId),
    transferId: uuid('The transfer the entry posted, or null for an entry of no transfer.', EXAMPLE.transferId).nullable(),
    postedAt: time('When the entry was posted'),
    direction: z.enum(['debit', 'credit']),
    amount: money('The line’s amount (positive).', '5000'),
    balanceAfter: money('The running posted balance after this line.', '5000'),
    description: z.string().meta({ examples: ['opening'] }),
  })
  .meta({ id: 'StatementLine', description: 'A posted entry line on the account.' });

export const reversalResource = z
  .object({
    id: uuid('The reversal.', EXAMPLE.reversalId),
    status: z.enum(REVERSAL_STATUSES).meta({
      description:
        '`pending` until the reversing entry is posted (the transfer is then `reversed`), `posted` after; `refused` when the ledger refused it (failureCode says why; the transfer stays `posted`, and a new Idempotency-Key may ask again).',
    }),
    entryId: uuid('The reversing entry; null unless posted.', EXAMPLE.reversalEntryId).nullable(),
    traceId: traceId.nullable().meta({ description: 'The trace of the request that asked for the reversal.' }),
    createdAt: time('When the reversal was asked for'),
    failureCode: z.string().nullable().meta({
      description: 'refused: INSUFFICIENT_FUNDS when the reversal would take the destination below its credit limit (it no longer holds the money). Otherwise null.',
      examples: ['INSUFFICIENT_FUNDS'],
    }),
    failureMessage: z.string().nullable().meta({ description: "refused: the ledger's message. Otherwise null." }),
  })
  .meta({ id: 'Reversal', description: 'The reversal of a posted transfer (POST /v1/transfers/{id}/reverse); null on a transfer nobody asked to reverse.' });

export const transferResource = z
  .object({
    id: uuid('Chosen by the server.', EXAMPLE.transferId),
    fromAccountId: uuid('Debited.', EXAMPLE.accountId),
    toAccountId: uuid('Credited.', EXAMPLE.otherAccountId),
    amount: money('Positive.', '1250'),
    currency: z.string().meta({ examples: ['USD'] }),
    description: z.string().nullable().meta({ examples: ['rent'] }),
    metadata: z.record(z.string(), z.unknown()).meta({ description: 'As sent; {} when none was.', examples: [{ invoice: 'A-17' }] }),
    status: z.enum(TRANSFER_STATUSES).meta({
      description:
        'pending → posted, or failed (failureCode says why), or cancelled; at or above the approval threshold: pending → awaiting_approval → posted (approve), cancelled (reject or cancel) or expired (no decision within APPROVAL_TIMEOUT); posted → reversed. posted, failed, cancelled, expired and reversed are terminal except posted → reversed.',
    }),
    failureCode: z.string().nullable().meta({
      description: `failed: ${codesInWords(RESERVE_REFUSAL_CODES)}; ${WORKFLOW_TERMINATED_FAILURE_CODE} when its workflow ended without an outcome (terminated or timed out by an operator in the Temporal UI or CLI; its reserved funds are released). cancelled: ${REJECTED_FAILURE_CODE} when an approver rejected it, null when it was cancelled. Otherwise null.`,
      examples: ['INSUFFICIENT_FUNDS'],
    }),
    failureMessage: z.string().nullable(),
    entryId: uuid('The ledger entry that posted it; null until posted.', EXAMPLE.entryId).nullable(),
    traceId: traceId.nullable().meta({ description: 'The trace of the request that created the transfer: the saga, the ledger writes and the read-model updates belong to it.' }),
    createdBy: principal(
      'The principal (API client id) that created it; `development` in development mode; null for transfers created before principals were recorded. With keys, this principal may not approve or reject it (four-eyes).',
      'alice',
    ),
    decidedBy: principal('The principal whose approve, reject or cancel decided it; null until then, and when no decision was taken (posted below the threshold, expired, failed).', 'bob'),
    createdAt: time('When it was created'),
    updatedAt: time('When its status last changed'),
    reversal: z.union([reversalResource, z.null()]).meta({ description: 'The reversal asked for, or null.' }),
    batchId: uuid('The transfer batch it was created in (POST /v1/transfer-batches); null for a transfer created alone.', EXAMPLE.batchId).nullable(),
    batchIndex: z.int().min(0).nullable().meta({ description: "Its place in its batch, from 0 (the order of the request's `transfers`); null for a transfer created alone.", examples: [0] }),
    reference: z.string().nullable().meta({ description: "A batch item's own reference, as its client sent it; null when none was, and for a transfer created alone.", examples: ['payroll-2026-12/line-17'] }),
  })
  .meta({ id: 'Transfer', description: 'A transfer; it runs as a durable Temporal workflow (transfer-<id>).' });

/** `{ items, nextCursor }`, registered under `name` (once: zod's registry refuses an id twice, so the pages are built here). */
const pageOf = <T extends z.ZodType>(name: string, item: T) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'Pass as ?cursor= for the next page; null on the last page.' }),
    })
    .meta({ id: name });

export const accountPage = pageOf('AccountPage', accountResource);
export const statementPage = pageOf('StatementPage', statementLineResource);

export const reconciliationStartedResource = z
  .object({ id: uuid('The report.', EXAMPLE.reconciliationId), status: z.literal('running'), startedAt: time('When the run was asked for') })
  .meta({ id: 'ReconciliationStarted' });

const countsSchema = z
  .object({
    checked: z.int().meta({ description: 'Accounts, transfers, entries or holds compared.' }),
    mismatches: z.int().meta({ description: 'Still disagreeing when read again after settling.' }),
    recorded: z.int().meta({ description: 'Of those, listed in mismatches (at most 1000).' }),
  })
  .meta({ id: 'ReconciliationCounts' });

const mismatchSchema = z
  .looseObject({
    // A check's subject field is always a string; the same names also carry what a side says (an entryId a transfer lacks: null).
    accountId: z.string().nullable().optional(),
    transferId: z.string().nullable().optional(),
    entryId: z.string().nullable().optional(),
    holdId: z.string().nullable().optional(),
    kind: z.string().meta({
      examples: [
        'posted_differs',
        'pending_differs',
        'currency_differs',
        'missing_in_ledger',
        'missing_in_read_model',
        'missing_entry',
        'duplicate_entries',
        'entry_for_unposted_transfer',
        'unknown_transfer',
        'no_transfer',
        'reversal_entry_missing',
        'reversal_not_recorded',
        'reversal_entry_id_differs',
        'not_net_zero',
        'workflow_closed',
        'workflow_not_found',
        'transfer_final',
      ],
    }),
  })
  .meta({
    id: 'ReconciliationMismatch',
    description:
      'Named by accountId (ledgerBalances, readModelBalances), transferId (transferEntries, transferReversals, transferWorkflows), entryId (entryTransfers) or holdId (reservedHolds), always a string; the other fields show what each side says, null where a side has nothing (a transfer without its entryId).',
  });

const perCheck = <T extends z.ZodType>(schema: T) => z.object(Object.fromEntries(RECONCILIATION_CHECKS.map((check) => [check, schema])) as Record<(typeof RECONCILIATION_CHECKS)[number], T>);

export const reconciliationResource = z
  .object({
    id: uuid('The report.', EXAMPLE.reconciliationId),
    status: z.enum(RECONCILIATION_STATUSES),
    trigger: z.enum(['api', 'schedule']),
    startedAt: time('When the run started'),
    finishedAt: time('When it finished').nullable(),
    failureMessage: z.string().nullable(),
    counts: perCheck(countsSchema).nullable().meta({ description: 'Per check; null while running.' }),
    mismatches: perCheck(z.array(mismatchSchema)).meta({ description: 'Per check, the mismatches recorded (at most 1000), ordered by id.' }),
    mismatchesTruncated: z.boolean().meta({ description: 'A check found more mismatches than it recorded.' }),
  })
  .meta({
    id: 'Reconciliation',
    description:
      "A reconciliation run: the ledger's balances against its entries and holds (ledgerBalances), the read model's balances against the ledger's (readModelBalances), posted and reversed transfers against ledger entries (transferEntries), every ledger entry against the transfer it belongs to (entryTransfers: none, or one the transfers table lacks), reversed transfers against reversing entries both ways and their entries netting to zero per account (transferReversals), transfers not yet final against their Temporal workflow (transferWorkflows: closed or gone), and holds still reserved against their transfer (reservedHolds: final, unknown, or its workflow closed).",
  });

export const problemResource = z
  .looseObject({
    type: z.string().meta({ description: 'https://credit-ledger.example/problems/<slug>', examples: ['https://credit-ledger.example/problems/validation-error'] }),
    title: z.string().meta({ examples: ['Invalid request'] }),
    status: z.int().meta({ examples: [400] }),
    code: z.string().meta({
      description:
        'Machine-readable: a business code (ACCOUNT_CODE_TAKEN, INVALID_STATE, ALREADY_REVERSED, IDEMPOTENCY_KEY_REUSED, RECONCILIATION_RUNNING, FORBIDDEN, SAME_PRINCIPAL) or the slug in upper snake case (VALIDATION_ERROR, MALFORMED_JSON, NOT_FOUND, UNAUTHORIZED, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, RATE_LIMITED, DEPENDENCY_UNAVAILABLE).',
      examples: ['VALIDATION_ERROR'],
    }),
    detail: z.string().optional().meta({ examples: ['The request has invalid fields.'] }),
    errors: z
      .array(z.object({ field: z.string().meta({ examples: ['amount'] }), message: z.string().meta({ examples: ['must be greater than zero'] }) }))
      .optional()
      .meta({ description: 'A 400 lists every invalid field: a body field by its path (metadata.a.b), a query parameter or header by its name.' }),
    dependency: z.string().optional().meta({ description: 'A 503 names the dependency that cannot be reached.', examples: ['temporal'] }),
    requiredRoles: z
      .array(z.enum(ROLES))
      .optional()
      .meta({ description: 'A 403 FORBIDDEN lists the roles that would grant the operation (any one of them).', examples: [['approver']] }),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457, application/problem+json).' });

export const transferPage = pageOf('TransferPage', transferResource);

export const transferBatchResource = z
  .object({
    id: uuid('Chosen by the server.', EXAMPLE.batchId),
    mode: z.enum(['atomic', 'independent']).meta({ description: 'atomic: every transfer posts in one ledger transaction, or none does. independent: each posts or fails on its own.' }),
    status: z.enum(['pending', 'completed', 'failed']).meta({
      description: 'pending while its workflow (transfer-batch-<id>) posts it; completed once every transfer posted or failed (independent, or atomic with all posted); failed when an atomic batch posted nothing (failureCode and failureIndex say which transfer was refused and why).',
    }),
    itemCount: z.int().min(1).max(1000).meta({ description: 'How many transfers the batch holds.', examples: [3] }),
    counts: z
      .object({
        posted: z.int().min(0).meta({ examples: [2] }),
        failed: z.int().min(0).meta({ examples: [1] }),
      })
      .meta({ description: 'Its transfers posted and failed: so far while pending, final once the batch is.' }),
    failureCode: z.string().nullable().meta({ description: `An atomic batch that failed: the refused transfer's code (${codesInWords(RESERVE_REFUSAL_CODES)}). Otherwise null.`, examples: ['INSUFFICIENT_FUNDS'] }),
    failureIndex: z.int().min(0).nullable().meta({ description: "An atomic batch that failed: the refused transfer's index in `transfers`, from 0. Otherwise null.", examples: [2] }),
    traceId: traceId.nullable().meta({ description: 'The trace of the request that created the batch: its workflow, one span per chunk and the ledger writes belong to it.' }),
    createdBy: principal('The principal (API client id) that created it; `development` in development mode. A submitter sees only the batches it created.', 'alice'),
    createdAt: time('When it was created'),
    updatedAt: time('When its status last changed'),
  })
  .meta({ id: 'TransferBatch', description: 'A batch of up to 1,000 transfers, run as one durable Temporal workflow (transfer-batch-<id>).' });

export const auditEventResource = z
  .object({
    id: z.string().meta({ description: 'Increasing with the order events were written (a decimal integer as a string).', examples: ['1042'] }),
    occurredAt: time('When the response was finished'),
    principal: z.string().meta({ description: 'The client that sent the request (its principal id, never its key).', examples: ['development'] }),
    method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
    route: z.string().nullable().meta({ description: 'The route that matched, e.g. /v1/transfers/:id/approve; null when none did (a 404 or 405).', examples: ['/v1/transfers'] }),
    path: z.string().meta({ description: 'The path as sent (at most 2048 characters, no query).', examples: ['/v1/transfers'] }),
    resourceId: z.string().nullable().meta({ description: 'The id in the path, or the id of the resource the request created (its Location); null when neither.', examples: [EXAMPLE.transferId] }),
    status: z.int().meta({ description: 'The status code of the answer.', examples: [201] }),
    traceId: z.string().nullable().meta({ description: 'The trace the request was served in (its X-Trace-Id).', examples: ['4bf92f3577b34da6a3ce929d0e0e4736'] }),
  })
  .meta({ id: 'AuditEvent', description: 'One state-changing request: who, what, when, and its outcome.' });

export const auditPage = pageOf('AuditEventPage', auditEventResource);
