/**
 * The query strings of the balance and statement routes, one zod schema each.
 * A failure is a 400 problem whose `errors` name every invalid field
 * (lib/validation parseOrThrow).
 */
import { z } from 'zod';
import { READ_MODEL_BALANCE_IDS_MAX, READ_MODEL_BALANCE_PAGE_LIMIT_MAX } from '../../../lib/contracts/read-model';
import { pageQuerySchema } from '../../../lib/reconciliation/page-query';
import { parseRfc3339 } from '../time';
import { decodeCursor } from './cursor';

export const STATEMENT_LIMIT_DEFAULT = 50;
export const STATEMENT_LIMIT_MAX = 200;

const TIME_MESSAGE = 'must be an RFC 3339 date-time, e.g. 2026-11-26T21:07:57.123Z';
const LIMIT_MESSAGE = `must be an integer from 1 to ${STATEMENT_LIMIT_MAX}`;

// Express gives an array for a repeated parameter; zod's message for that says "expected string".
const time = z.string().transform((value, ctx) => {
  const instant = parseRfc3339(value);
  if (instant === null) {
    ctx.addIssue({ code: 'custom', message: TIME_MESSAGE });
    return z.NEVER;
  }
  return instant;
});

const limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, LIMIT_MESSAGE)
  .transform(Number)
  .refine((value) => value <= STATEMENT_LIMIT_MAX, LIMIT_MESSAGE);

const cursor = z.string().transform((value, ctx) => {
  const decoded = decodeCursor(value);
  if (decoded === null) {
    ctx.addIssue({ code: 'custom', message: 'is not a cursor returned by this API' });
    return z.NEVER;
  }
  return decoded;
});

export const balanceParamsSchema = z.object({ asOf: time.optional() });

/** `from` is inclusive, `to` exclusive. */
export const statementParamsSchema = z
  .object({
    from: time.optional(),
    to: time.optional(),
    limit: limit.default(STATEMENT_LIMIT_DEFAULT),
    cursor: cursor.optional(),
  })
  .refine(({ from, to }) => !from || !to || from.getTime() <= to.getTime(), { message: 'must not be before from', path: ['to'] });

/** GET /balances (reconciliation): a page after an account id, or up to 100 repeated `accountId`. */
export const balancePageParamsSchema = pageQuerySchema({
  idParam: 'accountId',
  cursor: z.string().min(1).max(255),
  limitMax: READ_MODEL_BALANCE_PAGE_LIMIT_MAX,
  limitDefault: 200,
  idsMax: READ_MODEL_BALANCE_IDS_MAX,
});
