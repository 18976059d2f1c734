/**
 * The accounts service's request schemas: each one is the validator and, through
 * `z.infer`, the type the domain receives. Field errors name the field as the
 * client sent it, so a 400 lists every invalid field by its API name.
 */
import { z } from 'zod';
import { CURRENCY_EXPONENTS, isSupportedCurrency, parseAmountMinor } from '../../lib/money';
import { LOOKUP_IDS_MAX, UNLIMITED } from '../../lib/contracts/accounts';
import { storableText } from '../../lib/validation';

export const CODE_LENGTH_MAX = 100;
export const NAME_LENGTH_MAX = 200;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
export const PRINCIPAL_ID_LENGTH_MAX = 64;
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 200;
const CURSOR_LENGTH_MAX = 200;

const SUPPORTED_CURRENCIES = Object.keys(CURRENCY_EXPONENTS).join(', ');

/** A required string: "is required" when absent, "must be a string" when of another type. */
const requiredString = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/**
 * `creditLimit` as the domain wants it: minor units, or null for unlimited.
 * Absent means "0" (no overdraft).
 */
const creditLimitMinor = z.unknown().transform((value, ctx): bigint | null => {
  if (value === undefined) return 0n;
  if (value === UNLIMITED) return null;
  const parsed = parseAmountMinor(value, { allowZero: true });
  if (parsed.ok) return parsed.amountMinor;
  ctx.addIssue({ code: 'custom', message: `${parsed.reason}, or "${UNLIMITED}"` });
  return z.NEVER;
});

/** An account's code: the client's unique reference, also looked up by `GET /accounts?code=`. */
const accountCode = storableText(
  requiredString()
    .min(1, 'must not be empty')
    .max(CODE_LENGTH_MAX, `must be at most ${CODE_LENGTH_MAX} characters`),
);

/**
 * Who opens an account or lists them: the gateway's principal (an API client
 * id). The gateway sets it from the authenticated caller, never from the
 * client's body.
 */
const principalId = storableText(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(PRINCIPAL_ID_LENGTH_MAX, `must be at most ${PRINCIPAL_ID_LENGTH_MAX} characters`));

/**
 * POST /accounts body. Unknown fields are dropped (z.object strips them); the
 * output is the domain's input, with the credit limit in minor units.
 */
export const CreateAccountBody = z
  .object({
    code: accountCode,
    name: storableText(
      requiredString()
        .min(1, 'must not be empty')
        .max(NAME_LENGTH_MAX, `must be at most ${NAME_LENGTH_MAX} characters`),
    ),
    currency: requiredString().refine(isSupportedCurrency, `must be a supported ISO 4217 code (${SUPPORTED_CURRENCIES})`),
    creditLimit: creditLimitMinor,
    createdBy: principalId.optional(),
  })
  .transform(({ creditLimit, createdBy, ...rest }) => ({ ...rest, creditLimitMinor: creditLimit, createdBy: createdBy ?? null }));
export type CreateAccountInput = z.infer<typeof CreateAccountBody>;

/** `Idempotency-Key` header: optional; when present, 1..255 printable ASCII characters. */
export const IdempotencyKeyHeader = z
  .string()
  .refine(
    (key) => key.length >= 1 && key.length <= IDEMPOTENCY_KEY_LENGTH_MAX && /^[\x20-\x7E]+$/.test(key),
    `must be 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters`,
  )
  .optional();

/** A path id: anything that is not a UUID cannot name an account (404, not 400). */
export const AccountIdParam = z.guid();

/** The keyset position of a page: the last account returned, newest first. */
export interface AccountCursor {
  createdAt: string;
  id: string;
}

const CursorShape = z.object({ createdAt: z.iso.datetime({ precision: 3 }), id: z.guid() });

export function encodeCursor(cursor: AccountCursor): string {
  return Buffer.from(JSON.stringify({ createdAt: cursor.createdAt, id: cursor.id })).toString('base64url');
}

/** Decodes an opaque cursor; null when it is not one this service made. */
export function decodeCursor(text: string): AccountCursor | null {
  if (text.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  try {
    const parsed = CursorShape.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** GET /accounts query; `code` finds the account with that code (a list of at most one); `createdBy` keeps that principal's. */
export const ListAccountsQuery = z.object({
  code: accountCode.optional(),
  createdBy: principalId.optional(),
  limit: z
    .string({ error: `must be an integer from 1 to ${PAGE_LIMIT_MAX}` })
    .regex(/^[1-9][0-9]{0,2}$/, `must be an integer from 1 to ${PAGE_LIMIT_MAX}`)
    .transform(Number)
    .pipe(z.number().max(PAGE_LIMIT_MAX, `must be an integer from 1 to ${PAGE_LIMIT_MAX}`))
    .default(PAGE_LIMIT_DEFAULT),
  cursor: z
    .string({ error: 'must be a cursor returned by a previous page' })
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (cursor) return cursor;
      ctx.addIssue({ code: 'custom', message: 'must be a cursor returned by a previous page' });
      return z.NEVER;
    })
    .optional(),
});
export type ListAccountsInput = z.infer<typeof ListAccountsQuery>;

/** POST /accounts/lookup body: the ids of the accounts a money movement touches. */
export const LookupAccountsBody = z.object({
  ids: z
    .array(z.guid('must be UUIDs'), { error: 'must be an array of account ids' })
    .min(1, 'must name at least one account')
    .max(LOOKUP_IDS_MAX, `must name at most ${LOOKUP_IDS_MAX} accounts`),
});
