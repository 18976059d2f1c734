/**
 * The accounts service's HTTP API (internal, :7101) and its events. The account
 * resource has the public contract's shape, so the gateway passes it through
 * and only adds the balance from the read model.
 */

export type AccountStatus = 'active' | 'frozen';

/** `creditLimit`: minor units as a string, or "unlimited" (a funding / settlement account). */
export interface AccountDto {
  id: string;
  code: string;
  name: string;
  currency: string;
  creditLimit: string;
  status: AccountStatus;
  /** The principal that opened it (the gateway's API client id); null for accounts opened before principals were recorded. */
  createdBy: string | null;
  createdAt: string;
}

export const UNLIMITED = 'unlimited';

/**
 * Routes (JSON in and out, problem+json errors):
 *   POST /accounts                 { code, name, currency, creditLimit?, createdBy? } + optional Idempotency-Key
 *                                  (createdBy: the gateway's principal, 1..64 characters)
 *                                  → 201 AccountDto; replay of a key → 200 + Idempotent-Replayed: true;
 *                                    duplicate code → 409 (slug account-code-taken); key reused with another body → 422
 *   GET  /accounts/:id             → 200 AccountDto | 404
 *   POST /accounts/lookup          { ids: uuid[] (1..100) } → 200 { items: AccountDto[] }, in the order asked,
 *                                    missing ids left out (the ledger's one lookup per money movement)
 *   GET  /accounts?limit&cursor    → 200 { items: AccountDto[], nextCursor } newest first
 *   GET  /accounts?code=…          → the same page holding only the account with that code (at most one)
 *   GET  /accounts?createdBy=…     → only the accounts that principal opened (combines with the others)
 *   POST /accounts/:id/freeze      → 200 AccountDto (idempotent)
 *   POST /accounts/:id/unfreeze    → 200 AccountDto (idempotent)
 */
/** The most ids one POST /accounts/lookup names; a client with more asks in pages of this many. */
export const LOOKUP_IDS_MAX = 100;

export const ACCOUNT_EVENT_TYPES = ['account.created', 'account.frozen', 'account.unfrozen'] as const;
export type AccountEventType = (typeof ACCOUNT_EVENT_TYPES)[number];

/** Payload of every `accounts.account.v1` event: the account as it is after the change. */
export type AccountEventPayload = AccountDto;
