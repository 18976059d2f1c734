/**
 * The public API's payloads. One zod schema per payload is the validator, the
 * TypeScript type and (through openapi.ts) the OpenAPI fragment, so the three
 * never disagree. Money and limits stay strings here; routes turn them into
 * bigint with lib/money after validation.
 */
import { z } from 'zod';
import { CURRENCY_EXPONENTS, isSupportedCurrency, parseAmountMinor } from '../lib/money';
import { TRANSFER_STATUSES } from '../lib/transfers';
import { exceedsDepth, UNSTORABLE_KEY_MESSAGE, unstorableKeyPaths } from '../lib/json-limits';
import { refineStorableJson, storableText as storable } from '../lib/validation';
import { AMOUNT_PATTERN, CREDIT_LIMIT_PATTERN, IDEMPOTENCY_KEY_PATTERN, STORABLE_TEXT_PATTERN } from './openapi/patterns';

export const METADATA_BYTES_MAX = 4096;
export const METADATA_KEYS_MAX = 50;
export const METADATA_DEPTH_MAX = 32;
export const PAGE_LIMIT_MAX = 200;
export const PAGE_LIMIT_DEFAULT = 50;

const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`),
});

const uuid = z.uuid(required('a UUID'));

/** Storable text (lib/validation), its pattern in the OpenAPI document. */
const storableText = (schema: z.ZodString) =>
  storable(schema).meta({ pattern: STORABLE_TEXT_PATTERN, description: 'No NUL character and no lone UTF-16 surrogate (PostgreSQL cannot store them).' });

/** "1250": decimal digits, no sign, no leading zeros, no spaces, 1 ≤ n ≤ 2^63−1 (the rule is lib/money's). */
export const amountString = z
  .string(required('a string of decimal digits, e.g. "1250"'))
  .superRefine((value, ctx) => {
    const parsed = parseAmountMinor(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  })
  .meta({
    description: 'Minor units as a string of decimal digits ("1050" is 10.50 USD); no sign, no leading zeros, 1 to 9223372036854775807; never a number.',
    pattern: AMOUNT_PATTERN,
    examples: ['1250'],
  });

export const currencyCode = z
  .string(required('an ISO 4217 code'))
  .refine(isSupportedCurrency, `must be a supported ISO 4217 code: ${Object.keys(CURRENCY_EXPONENTS).join(', ')}`)
  .meta({ description: 'ISO 4217, upper case.', enum: Object.keys(CURRENCY_EXPONENTS), examples: ['USD'] });

const creditLimit = z
  .string({ error: 'must be a string of decimal digits or "unlimited"' })
  .refine(
    (v) => v === 'unlimited' || parseAmountMinor(v, { allowZero: true }).ok,
    'must be "unlimited" or minor units as a string of digits (no sign, no leading zeros), at most 9223372036854775807',
  )
  .meta({
    description: 'How far `available` may go below zero: minor units as a string of digits (0 to 9223372036854775807, no leading zeros), or "unlimited" (a funding account). Default "0".',
    pattern: CREDIT_LIMIT_PATTERN,
    examples: ['50000'],
  });

/** A JSON object, as JSON.parse made it (not an array, not null). */
const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Metadata's limits, in the only safe order: the depth first, by a loop,
 * because everything after it recurses (JSON.stringify for the size, the
 * request hash, the driver that stores it) and a value deeper than the call
 * stack would make any of them throw. Keys JavaScript cannot keep (__proto__)
 * come next, each named by its path.
 */
function refineMetadata(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (exceedsDepth(value, METADATA_DEPTH_MAX)) {
    ctx.addIssue({ code: 'custom', message: `must be at most ${METADATA_DEPTH_MAX} levels deep` });
    return;
  }
  const unstorableKeys = unstorableKeyPaths(value);
  for (const path of unstorableKeys) ctx.addIssue({ code: 'custom', message: UNSTORABLE_KEY_MESSAGE, path });
  if (unstorableKeys.length > 0) return;
  if (Object.keys(value).length > METADATA_KEYS_MAX) ctx.addIssue({ code: 'custom', message: `must have at most ${METADATA_KEYS_MAX} keys` });
  if (Buffer.byteLength(JSON.stringify(value)) > METADATA_BYTES_MAX) ctx.addIssue({ code: 'custom', message: `must be at most ${METADATA_BYTES_MAX} bytes serialized` });
  refineStorableJson(value, ctx);
}

/**
 * Not a zod record: a record copies the object key by key, and the copy
 * loses `__proto__` and refuses an object with an own `constructor` key. The
 * object passes through as parsed, so every key is stored exactly as sent.
 */
export const metadata = z
  .custom<Record<string, unknown>>(isJsonObject, { error: 'must be a JSON object', abort: true })
  .superRefine(refineMetadata)
  .meta({
    description: `Any JSON object: at most ${METADATA_KEYS_MAX} keys, ${METADATA_BYTES_MAX} bytes serialized and ${METADATA_DEPTH_MAX} levels deep (the object itself is the first level); keys are stored exactly as sent, and a key that cannot be (\`__proto__\`) is refused at any depth; no NUL character or lone UTF-16 surrogate in any key or string at any depth.`,
    type: 'object',
    maxProperties: METADATA_KEYS_MAX,
    propertyNames: { pattern: STORABLE_TEXT_PATTERN, not: { const: '__proto__' } },
    additionalProperties: { $ref: '#/components/schemas/MetadataValue' },
    examples: [{ invoice: 'A-17' }],
  });

/** The client's own unique reference of an account (also the `?code=` lookup). */
export const accountCode = storableText(z.string(required('a string')).min(1, 'must not be empty').max(100, 'must be at most 100 characters'));

export const createAccountBody = z
  .object({
    code: accountCode,
    name: storableText(z.string(required('a string')).min(1, 'must not be empty').max(200, 'must be at most 200 characters')),
    currency: currencyCode,
    creditLimit: creditLimit.optional(),
  }, { error: 'must be a JSON object' })
  .meta({ id: 'CreateAccount' });
export type CreateAccountBody = z.infer<typeof createAccountBody>;

/** What a transfer is, alone or as an item of a batch. */
const transferFields = {
  fromAccountId: uuid,
  toAccountId: uuid,
  amount: amountString,
  currency: currencyCode,
  description: storableText(z.string({ error: 'must be a string' }).max(500, 'must be at most 500 characters')).optional(),
  metadata: metadata.optional(),
};
const distinctAccounts = (t: { fromAccountId: string; toAccountId: string }) => t.fromAccountId !== t.toAccountId;
const DISTINCT_ACCOUNTS = { message: 'must differ from fromAccountId', path: ['toAccountId'] };

export const createTransferBody = z
  .object(transferFields, { error: 'must be a JSON object' })
  .refine(distinctAccounts, DISTINCT_ACCOUNTS)
  .meta({ id: 'CreateTransfer' });
export type CreateTransferBody = z.infer<typeof createTransferBody>;

/** The most transfers one batch holds (the contract's limit). */
export const BATCH_TRANSFERS_MAX = 1000;

/** An item of a batch: a transfer, with the client's own reference of it if it likes (its payroll line, its invoice). */
export const batchTransferItem = z
  .object({
    ...transferFields,
    reference: storableText(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(255, 'must be at most 255 characters')).optional(),
  }, { error: 'must be a JSON object' })
  .refine(distinctAccounts, DISTINCT_ACCOUNTS)
  .meta({ id: 'BatchTransferItem' });

export const createTransferBatchBody = z
  .object({
    mode: z.enum(['atomic', 'independent'], { error: 'must be atomic or independent' }),
    transfers: z
      .array(batchTransferItem, { error: 'must be an array of transfers' })
      .min(1, 'must hold at least one transfer')
      .max(BATCH_TRANSFERS_MAX, `must hold at most ${BATCH_TRANSFERS_MAX} transfers (the limit of one batch)`),
  }, { error: 'must be a JSON object' })
  .meta({ id: 'CreateTransferBatch' });
export type CreateTransferBatchBody = z.infer<typeof createTransferBatchBody>;

/** Actions take an empty JSON object or no body at all. */
export const emptyBody = z.strictObject({}, { error: 'takes an empty JSON object or no body' }).optional();

export const pageQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 200' })
    .int('must be an integer from 1 to 200')
    .min(1, 'must be an integer from 1 to 200')
    .max(PAGE_LIMIT_MAX, 'must be an integer from 1 to 200')
    .default(PAGE_LIMIT_DEFAULT),
  // An empty cursor is none this API issued: refused like any other, and the document says minLength 1.
  cursor: z.string().min(1, 'is not a cursor this API issued').max(1000, 'is not a cursor this API issued').optional(),
});

/** `code`: the account with that code (a list of at most one). */
export const listAccountsQuery = pageQuery.extend({ code: accountCode.optional() });

export const listTransfersQuery = pageQuery.extend({
  accountId: uuid.optional(),
  status: z.enum(TRANSFER_STATUSES, { error: `must be one of ${TRANSFER_STATUSES.join(', ')}` }).optional(),
});

export const asOfQuery = z.object({ asOf: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-11-26T21:07:57.123Z' }).optional() });

export const statementQuery = pageQuery.extend({
  from: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time' }).optional(),
});

export const waitQuery = z.object({ wait: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() });

export const idempotencyKey = z
  .string(required('1 to 255 printable ASCII characters'))
  .regex(new RegExp(IDEMPOTENCY_KEY_PATTERN), 'must be 1 to 255 printable ASCII characters');

/** An RFC 3339 time as the instant it names: PostgreSQL refuses some texts JavaScript reads (an offset past ±15:59), never a Date. */
const auditTime = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 time, e.g. 2026-11-26T21:07:57.123Z' })
  .transform((text) => new Date(text))
  .refine((instant) => !Number.isNaN(instant.getTime()), 'must be an RFC 3339 time, e.g. 2026-11-26T21:07:57.123Z');

/** GET /v1/audit: one principal's events, from `since` (inclusive) until `until` (exclusive; the same instant: none), newest first. */
export const auditQuery = pageQuery
  .extend({
    principal: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional(),
    since: auditTime.optional(),
    until: auditTime.optional(),
  })
  // zod runs this even when a field failed (its raw text is here then): compare only two instants.
  .refine((q) => !(q.since instanceof Date && q.until instanceof Date) || q.since.getTime() <= q.until.getTime(), { message: 'must not be before since', path: ['until'] });
