/**
 * The ledger API's request schemas: each is the validator and the TypeScript
 * type. Shape rules only; the double-entry rules live in rules.ts so they can
 * name the rule that failed.
 */
import { z } from 'zod';
import { RECONCILIATION_IDS_MAX, RECONCILIATION_PAGE_LIMIT_MAX } from '../../lib/contracts/ledger';
import { isSupportedCurrency, parseAmountMinor } from '../../lib/money';
import { pageQuerySchema } from '../../lib/reconciliation/page-query';
import { storableText } from '../../lib/validation';

const id = z.uuid({ message: 'must be a UUID' });

export const amountMinor = z.string({ message: 'must be a string of decimal digits' }).transform((value, ctx) => {
  const parsed = parseAmountMinor(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.reason });
    return z.NEVER;
  }
  return parsed.amountMinor;
});

export const currency = z.string().refine(isSupportedCurrency, { message: 'must be a supported ISO 4217 code (e.g. USD, EUR, GBP, JPY)' });

const description = storableText(z.string().max(500)).default('');

/** What a hold is: the movement it reserves (and a capture posts). */
const holdFields = { holdId: id, transferId: id, fromAccountId: id, toAccountId: id, amountMinor, currency };

/** A movement from an account to itself would move nothing: refused, on toAccountId. */
function withDistinctAccounts<T extends z.ZodType<{ fromAccountId: string; toAccountId: string }>>(schema: T): T {
  return schema.refine((r) => r.fromAccountId !== r.toAccountId, { message: 'must differ from fromAccountId', path: ['toAccountId'] });
}

export const reserveHoldSchema = withDistinctAccounts(z.object({ ...holdFields, expiresAt: z.iso.datetime({ offset: true }).nullish() }));
export type ReserveHold = z.infer<typeof reserveHoldSchema>;

export const captureHoldSchema = z.object({ entryId: id, description });
export type CaptureHold = z.infer<typeof captureHoldSchema>;

/** A reserve and its capture in one request; no expiry, since the hold is captured at once. */
export const reserveAndCaptureSchema = withDistinctAccounts(z.object({ ...holdFields, ...captureHoldSchema.shape }));
export type ReserveAndCapture = z.infer<typeof reserveAndCaptureSchema>;

export const voidHoldSchema = z.object({ reason: storableText(z.string().max(200)).optional() });

export const entryLineSchema = z.object({
  accountId: id,
  direction: z.enum(['debit', 'credit']),
  amountMinor,
  currency: currency.optional(),
});

export const postEntrySchema = z.object({
  entryId: id,
  transferId: id.nullish(),
  currency,
  description,
  lines: z.array(entryLineSchema).max(100, 'at most 100 lines'),
});
export type PostEntry = z.infer<typeof postEntrySchema>;
export type EntryLine = z.infer<typeof entryLineSchema>;

export const reverseEntrySchema = z.object({ reversalEntryId: id, description: description.optional() });
export type ReverseEntry = z.infer<typeof reverseEntrySchema>;

export const uuidParam = id;

/** Query strings of the reconciliation routes: a page after a ledger id, or up to 100 ids. */
const reconciliationQuery = (idParam: string) =>
  pageQuerySchema({ idParam, cursor: id, limitMax: RECONCILIATION_PAGE_LIMIT_MAX, limitDefault: 200, idsMax: RECONCILIATION_IDS_MAX });
export const accountsPageQuery = reconciliationQuery('accountId');
export const transfersPageQuery = reconciliationQuery('transferId');
export const entriesPageQuery = reconciliationQuery('entryId');
export const holdsPageQuery = reconciliationQuery('holdId');

/** The most items one POST /batches takes: a whole atomic batch (the contract's 1,000) fits. */
export const BATCH_ITEMS_MAX = 1000;

/** One item of a batch: a transfer posted as a direct entry under the entry id its batch and index give. */
const batchItemSchema = withDistinctAccounts(z.object({ entryId: id, transferId: id, fromAccountId: id, toAccountId: id, amountMinor, currency, description }));

export const postBatchSchema = z.object({
  mode: z.enum(['atomic', 'independent']),
  items: z.array(batchItemSchema).min(1, 'at least one item').max(BATCH_ITEMS_MAX, `at most ${BATCH_ITEMS_MAX} items`),
});
export type PostBatch = z.infer<typeof postBatchSchema>;
