/**
 * Where the ledger learns an account's currency, credit limit and status.
 *
 * Choice: the ledger asks the accounts service (the source of truth), in one
 * request for every account of the movement, at the moment it reserves a hold
 * or posts an entry, rather than following the accounts events. A freeze
 * therefore takes effect on the very next money movement, with no projection
 * lag to reason about; the price is that the ledger needs the accounts service
 * up to move money (it answers 503 otherwise, and the saga retries). Capturing
 * a hold does not ask again: the hold was authorized when it was reserved (a
 * frozen account takes part in no *new* transfer), and currency and credit
 * limit never change, so the copy in ledger_accounts is only refreshed, never
 * trusted for status.
 */
import { accountRefusal } from '../../lib/accounts/refusal';
import { required } from '../../lib/assert';
import { TransientServiceError, type AccountsApi } from '../../lib/clients';
import type { AccountDto } from '../../lib/contracts/accounts';
import { UNLIMITED } from '../../lib/contracts/accounts';
import { ruleViolation, unavailable } from '../../lib/errors';

export interface AccountDirectory {
  /** The existing accounts among `accountIds`, by id; throws when the service cannot be asked. */
  getAccounts(accountIds: string[]): Promise<ReadonlyMap<string, AccountDto>>;
}

export interface KnownAccount {
  accountId: string;
  currency: string;
  creditLimitMinor: bigint | null;
}

/**
 * Fetches the accounts of a movement and applies the one refusal rule
 * (lib/accounts/refusal.ts); a refusal is a 422 carrying the transfer failure
 * code of the contract.
 */
export async function requireActiveAccounts(
  directory: AccountDirectory,
  accountIds: string[],
  currency: string,
): Promise<KnownAccount[]> {
  const unique = [...new Set(accountIds)];
  const found = await directory.getAccounts(unique);
  const refusal = accountRefusal(unique, found, currency);
  if (refusal) throw ruleViolation(refusal.code, refusal.message);
  return unique.map((id) => {
    // accountRefusal refused any id the directory did not find.
    const account = required(found.get(id), `account ${id} in the directory's answer`);
    return {
      accountId: account.id,
      currency: account.currency,
      creditLimitMinor: account.creditLimit === UNLIMITED ? null : BigInt(account.creditLimit),
    };
  });
}

/** The directory backed by the accounts service's HTTP API; an unreachable service is a 503 (the caller retries). */
export function httpAccountDirectory(client: AccountsApi): AccountDirectory {
  return {
    async getAccounts(accountIds) {
      try {
        return await client.getAccounts(accountIds);
      } catch (error) {
        if (error instanceof TransientServiceError) throw unavailable('accounts', `the accounts service cannot be reached: ${error.message}`);
        throw error;
      }
    },
  };
}
