/**
 * The ledger service's HTTP API (internal, :7102), used by the transfer
 * activities, and its events. Amounts are strings of minor units.
 *
 * Routes (JSON, problem+json errors; a business refusal is a 422 whose `code`
 * is one of LedgerRefusalCode; the same id with other content is a 409):
 *   POST /holds                     ReserveHoldRequest → 201 HoldDto (200 on replay)
 *   POST /holds/:holdId/capture     CaptureHoldRequest → 200 { hold: HoldDto, entry: EntryDto } (replay-safe)
 *   POST /holds/captured            ReserveAndCaptureRequest → 201 { hold: HoldDto, entry: EntryDto } (200 on replay):
 *                                   a reserve and its capture in one transaction, answering as the two would in turn
 *                                   (the reserve's refusals and 409, then the capture's); only hold.captured and
 *                                   entry.posted are published, never hold.reserved
 *   POST /holds/:holdId/void        VoidHoldRequest → 200 HoldDto (replay-safe; 422 HOLD_NOT_RESERVED if captured);
 *                                   an unknown hold id → 200 { holdId, status: 'voided', tombstone: true }, and a
 *                                   reserve of that id arriving later is refused (HOLD_NOT_RESERVED)
 *   GET  /holds/:holdId             → HoldDto | 404
 *   POST /entries                   PostEntryRequest → 201 EntryDto (200 on replay)
 *   POST /entries/:entryId/reverse  ReverseEntryRequest → 201 EntryDto (200 on replay)
 *   POST /batches                   PostBatchRequest → 200 PostBatchResponse: up to 1,000 transfers posted as direct
 *                                   entries in one transaction; `independent` posts each item it can and says why
 *                                   not of the others, `atomic` posts all or none (the refusal names the item);
 *                                   replay-safe per item (entry ids); refusals are outcomes here, never a 422
 *   GET  /entries/:entryId          → EntryDto | 404
 *   GET  /accounts/:accountId/balance → BalanceDto (authoritative, from the ledger's balance rows)
 *
 * Reconciliation (read only; keyset pages in id order, `cursor` is the last id
 * of the previous page, `limit` 1..500; or up to 100 repeated ids instead of a page):
 *   GET  /balances?cursor&limit | ?accountId=…           → BalancePageDto
 *   GET  /reconciliation/balances?cursor&limit | ?accountId=…
 *                                   → BalanceCheckPageDto (rows whose balances disagree with their lines or holds)
 *   GET  /reconciliation/transfer-entries?cursor&limit | ?transferId=…
 *                                   → TransferEntriesPageDto (non-reversal entries grouped by transfer id)
 *   GET  /reconciliation/entries?cursor&limit | ?entryId=…
 *                                   → EntryLinksPageDto (every entry with the transfer it belongs to, if any)
 *   GET  /reconciliation/transfer-reversals?cursor&limit | ?transferId=…
 *                                   → TransferReversalsPageDto (a page: the transfers that have a reversing entry;
 *                                   ids: those of them that have entries at all)
 *   GET  /reconciliation/reserved-holds?cursor&limit | ?holdId=…
 *                                   → ReservedHoldsPageDto (holds still reserved; ids: those of them still reserved)
 */

export type Direction = 'debit' | 'credit';
export type HoldStatus = 'reserved' | 'captured' | 'voided' | 'expired';

/** The ledger's refusal codes: lib/transfers/refusal-codes.ts, their one list. */
export { LEDGER_REFUSAL_CODES, type LedgerRefusalCode } from '../transfers/refusal-codes';

export interface ReserveHoldRequest {
  holdId: string;
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: string;
  currency: string;
  /** RFC 3339; a reserved hold past it no longer counts and cannot be captured. */
  expiresAt?: string | null;
}

export interface CaptureHoldRequest {
  entryId: string;
  description?: string;
}

/**
 * A hold reserved and captured at once (a transfer that needs no approval).
 * No expiry: the hold is never left reserved. Its reserve part is compared
 * with a ReserveHoldRequest of the same fields, so either call replays the other.
 */
export type ReserveAndCaptureRequest = Omit<ReserveHoldRequest, 'expiresAt'> & CaptureHoldRequest;

export interface VoidHoldRequest {
  reason?: string;
}

export interface HoldDto {
  holdId: string;
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: string;
  currency: string;
  status: HoldStatus;
  entryId: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EntryLineInput {
  accountId: string;
  direction: Direction;
  amountMinor: string;
  /** Optional; when given it must equal the entry's currency (MIXED_CURRENCY otherwise). */
  currency?: string;
}

export interface PostEntryRequest {
  entryId: string;
  transferId?: string | null;
  currency: string;
  description?: string;
  lines: EntryLineInput[];
}

export interface ReverseEntryRequest {
  /** Names this reversal request: the ledger decides it once (posted or refused) and answers every attempt of it so. */
  reversalEntryId: string;
  description?: string;
}

export interface BatchItemRequest {
  /** Derived from the batch and the item's index: the same item always posts under the same id. */
  entryId: string;
  transferId: string;
  fromAccountId: string;
  toAccountId: string;
  amountMinor: string;
  currency: string;
  description?: string;
}

export interface PostBatchRequest {
  mode: 'atomic' | 'independent';
  items: BatchItemRequest[];
}

export type BatchItemResultDto =
  | { status: 'posted'; entryId: string; replayed: boolean }
  | { status: 'refused'; code: string; message: string };

export interface PostBatchResponse {
  /** Each item's outcome, in the request's order; empty when an atomic batch was refused. */
  items: BatchItemResultDto[];
  /** An atomic batch's refusal (nothing posted): the item's index and why; null otherwise. */
  refusal: { index: number; code: string; message: string } | null;
}

export interface EntryLineDto extends EntryLineInput {
  /** The account's posted balance right after this line (credits − debits). */
  balanceAfterMinor: string;
}

export interface EntryDto {
  entryId: string;
  transferId: string | null;
  holdId: string | null;
  reversesEntryId: string | null;
  currency: string;
  description: string;
  postedAt: string;
  lines: EntryLineDto[];
}

export interface BalanceDto {
  accountId: string;
  currency: string;
  postedMinor: string;
  pendingMinor: string;
  availableMinor: string;
}

/** What one ledger transaction did to one account's balance row. */
export interface LedgerTxAccountStep {
  accountId: string;
  /** The row's version once the transaction committed: one more than before it, so versions are the account's commit order. */
  version: string;
  /** Signed, minor units. */
  postedDeltaMinor: string;
  pendingDeltaMinor: string;
}

/**
 * Carried by every event a ledger transaction writes (absent from events
 * written before it existed): which transaction, how many events it wrote
 * across both topics, and its step on each account it changed. A consumer
 * that applies a transaction only once it holds all its events, and only when
 * each account is at the version right before, shows only states the ledger had.
 */
export interface LedgerTxStamp {
  txId: string;
  eventCount: number;
  accounts: LedgerTxAccountStep[];
}

/**
 * `ledger.entry.v1`, type `entry.posted`: one event per account the entry
 * touches (aggregateId = that account), so each account's events stay ordered
 * on its partition. The payload is the whole entry.
 */
export type EntryPostedPayload = EntryDto & { accountId: string; ledgerTx?: LedgerTxStamp };

/** `ledger.hold.v1`, types `hold.reserved|captured|voided|expired`; aggregateId = the source account. */
export type HoldEventPayload = HoldDto & { ledgerTx?: LedgerTxStamp };
export const HOLD_EVENT_TYPES = ['hold.reserved', 'hold.captured', 'hold.voided', 'hold.expired'] as const;

// ------------------------------------------------------------ reconciliation

/** Ids asked for at once on the reconciliation routes (a URL stays well under 8 KiB). */
export const RECONCILIATION_IDS_MAX = 100;
export const RECONCILIATION_PAGE_LIMIT_MAX = 500;

export interface BalanceRowDto {
  accountId: string;
  currency: string;
  postedMinor: string;
  pendingMinor: string;
}

export interface BalancePageDto {
  items: BalanceRowDto[];
  /** The last id of this page when more may follow, else null. */
  nextCursor: string | null;
}

export interface BalanceCheckRowDto extends BalanceRowDto {
  /** Σ credits − Σ debits of the account's entry lines. */
  postedFromLinesMinor: string;
  /** Σ amounts of the holds reserved on the account. */
  pendingFromHoldsMinor: string;
}

export interface BalanceCheckPageDto {
  /** Balance rows compared on this page. */
  checked: number;
  /** Only the rows that disagree. */
  items: BalanceCheckRowDto[];
  nextCursor: string | null;
}

export interface TransferEntriesDto {
  transferId: string;
  /** Its entries that are not reversals, oldest first. */
  entryIds: string[];
}

export interface TransferEntriesPageDto {
  items: TransferEntriesDto[];
  nextCursor: string | null;
}

export interface EntryLinkDto {
  entryId: string;
  /** The entry's transfer id; for a reversal that names none, that of the entry it reverses; else null. */
  transferId: string | null;
  reversesEntryId: string | null;
}

export interface EntryLinksPageDto {
  items: EntryLinkDto[];
  nextCursor: string | null;
}

export interface AccountNetDto {
  accountId: string;
  /** Σ credits − Σ debits of the transfer's entry lines on the account, minor units. */
  net: string;
}

export interface TransferReversalsDto {
  transferId: string;
  /** Its reversing entries (entries that reverse one of its entries). */
  reversalEntryIds: string[];
  /** The accounts its entries, reversals included, do not net to zero on. */
  unbalancedAccounts: AccountNetDto[];
}

export interface TransferReversalsPageDto {
  items: TransferReversalsDto[];
  nextCursor: string | null;
}

export interface ReservedHoldDto {
  holdId: string;
  transferId: string;
  fromAccountId: string;
  amountMinor: string;
  currency: string;
}

export interface ReservedHoldsPageDto {
  items: ReservedHoldDto[];
  nextCursor: string | null;
}
