/**
 * The read model's internal routes that other processes call (the gateway's
 * public balance and statement routes pass through unchanged and are the
 * public contract's).
 *
 *   GET /balances?cursor&limit | ?accountId=…   → ReadModelBalancePageDto
 *       every balance row in account-id order (byte order), `cursor` the last
 *       id of the previous page, `limit` 1..500; or up to 100 repeated
 *       `accountId` instead of a page. For reconciliation.
 */

export interface ReadModelBalanceRowDto {
  accountId: string;
  currency: string;
  postedMinor: string;
  pendingMinor: string;
}

export interface ReadModelBalancePageDto {
  items: ReadModelBalanceRowDto[];
  /** The last id of this page when more may follow, else null. */
  nextCursor: string | null;
}

export const READ_MODEL_BALANCE_IDS_MAX = 100;
export const READ_MODEL_BALANCE_PAGE_LIMIT_MAX = 500;
