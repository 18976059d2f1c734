/**
 * The query string of the internal reconciliation routes (ledger and read
 * model): a keyset page (`cursor`, `limit`) or a list of ids given as a
 * repeated parameter (`?accountId=a&accountId=b`; repeated rather than
 * comma-separated because read-model ids are whatever the producers chose).
 */
import { z } from 'zod';

export type PageSelection = { cursor?: string; limit: number; ids?: undefined } | { ids: string[] };

export interface PageQueryOptions {
  /** The repeated id parameter, e.g. `accountId`. */
  idParam: string;
  /** What a cursor (the last id of a page) must look like. */
  cursor: z.ZodType<string>;
  limitMax: number;
  limitDefault: number;
  idsMax: number;
}

export function pageQuerySchema(options: PageQueryOptions) {
  const limitMessage = `must be an integer from 1 to ${options.limitMax}`;
  const limit = z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, limitMessage)
    .transform(Number)
    .refine((value) => value <= options.limitMax, limitMessage);
  const ids = z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(z.array(z.string().min(1).max(255)).min(1).max(options.idsMax, `at most ${options.idsMax} ids at once`));
  return z
    .object({ cursor: options.cursor.optional(), limit: limit.optional(), [options.idParam]: ids.optional() })
    .refine((q) => q[options.idParam] === undefined || (q.cursor === undefined && q.limit === undefined), {
      message: 'give ids or a page (cursor, limit), not both',
      path: [options.idParam],
    })
    .transform((q): PageSelection => {
      const list = q[options.idParam] as string[] | undefined;
      if (list) return { ids: list };
      return { cursor: q.cursor as string | undefined, limit: (q.limit as number | undefined) ?? options.limitDefault };
    });
}
