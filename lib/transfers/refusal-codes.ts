/**
 * The codes a money movement is refused with and a transfer fails with, one
 * typed list each, every other list built from them: the ledger's refusals
 * (lib/contracts/ledger.ts, services/ledger), the accounts rule
 * (lib/accounts/refusal.ts), the refusals a repeated reserve gets again
 * (services/ledger/holds.ts), a transfer's failure codes (the workflow, the
 * gateway) and the OpenAPI descriptions (api/openapi). Pure code with no
 * imports: the workflow bundle includes it.
 */

/** The accounts of a movement cannot take part in it (lib/accounts/refusal.ts decides which). */
export const ACCOUNT_REFUSAL_CODES = ['ACCOUNT_NOT_FOUND', 'ACCOUNT_FROZEN', 'CURRENCY_MISMATCH'] as const;
export type AccountRefusalCode = (typeof ACCOUNT_REFUSAL_CODES)[number];

/**
 * Why a transfer's hold may be refused: its accounts, or funds below the
 * source's credit limit. The public contract's business failures of a
 * transfer; a repeat of the reserve is refused the same way.
 */
export const RESERVE_REFUSAL_CODES = [...ACCOUNT_REFUSAL_CODES, 'INSUFFICIENT_FUNDS'] as const;
export type ReserveRefusalCode = (typeof RESERVE_REFUSAL_CODES)[number];

/** Every code the ledger refuses a request with (a 422 whose problem carries `code`). */
export const LEDGER_REFUSAL_CODES = [
  ...RESERVE_REFUSAL_CODES,
  'HOLD_NOT_RESERVED',
  'ENTRY_ALREADY_REVERSED',
  'UNBALANCED_ENTRY',
  'TOO_FEW_LINES',
  'MIXED_CURRENCY',
] as const;
export type LedgerRefusalCode = (typeof LEDGER_REFUSAL_CODES)[number];

/** The failure code of a rejected transfer (status `cancelled`), so a rejection is told apart from a cancel. */
export const REJECTED_FAILURE_CODE = 'REJECTED';

/**
 * The failure code of a transfer whose workflow closed without recording an
 * outcome (terminated or timed out in the Temporal UI or CLI): the gateway
 * records it `failed` and releases its hold (api/closed-workflows.ts).
 */
export const WORKFLOW_TERMINATED_FAILURE_CODE = 'WORKFLOW_TERMINATED';

/** A failure that is no business refusal (a bug, a contract mismatch between services); the hold is released all the same. */
export const INTERNAL_ERROR_FAILURE_CODE = 'INTERNAL_ERROR';

/**
 * The failure code of an item of an atomic batch that was not refused itself:
 * another item was (the batch's `failureCode` and `failureIndex` name it),
 * and an atomic batch posts all of its items or none.
 */
export const BATCH_ABORTED_FAILURE_CODE = 'BATCH_ABORTED';

/**
 * Failure codes a transfer may end with: a refused reserve (the public
 * contract's), and WORKFLOW_TERMINATED; the ledger may also refuse a capture
 * (HOLD_NOT_RESERVED when the hold expired); INTERNAL_ERROR; BATCH_ABORTED (an
 * item of an atomic batch another item failed); REJECTED goes with
 * `cancelled`, not `failed`.
 */
export const TRANSFER_FAILURE_CODES = [
  ...RESERVE_REFUSAL_CODES,
  'HOLD_NOT_RESERVED',
  INTERNAL_ERROR_FAILURE_CODE,
  WORKFLOW_TERMINATED_FAILURE_CODE,
  REJECTED_FAILURE_CODE,
  BATCH_ABORTED_FAILURE_CODE,
] as const;
export type TransferFailureCode = (typeof TRANSFER_FAILURE_CODES)[number] | (string & {});

/** Codes in a sentence, for the OpenAPI text: "A, B or C". */
export function codesInWords(codes: readonly string[], last = 'or'): string {
  return codes.length < 2 ? codes.join('') : `${codes.slice(0, -1).join(', ')} ${last} ${codes[codes.length - 1]}`;
}
