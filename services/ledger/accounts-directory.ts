/**
 * Where the ledger learns an account's currency, credit limit and status.
 *
 * Choice: the ledger asks the accounts service (the source of truth) at the
 * moment it reserves a hold, captures one or posts an entry, rather than
 * following the accounts events. A freeze therefore takes effect on the very
 * next money movement, with no projection lag to reason about; the price is
 * that the ledger needs the accounts service up to move money (it answers 503
 * otherwise, and the saga retries). Currency and credit limit never change, so
 * the copy in ledger_accounts is only refreshed, never trusted for status.
 */
import { AccountNotFoundError, TransientServiceError, type AccountsApi } from '../../lib/clients';
import type { AccountDto } from '../../lib/contracts/accounts';
import { UNLIMITED } from '../../lib/contracts/accounts';
import { ruleViolation, unavailable } from '../../lib/errors';

export interface AccountDirectory {
  /** The account, or null when it does not exist; throws when the service cannot be asked. */
  getAccount(accountId: string): Promise<AccountDto | null>;
}

export interface KnownAccount {
  accountId: string;
  currency: string;
  creditLimitMinor: bigint | null;
}

/**
 * Fetches the accounts of a movement and checks each exists, is active and is
 * in `currency`; refusals carry the transfer failure codes of the contract.
 */
export async function requireActiveAccounts(
  directory: AccountDirectory,
  accountIds: string[],
  currency: string,
): Promise<KnownAccount[]> {
  const unique = [...new Set(accountIds)];
  const accounts = await Promise.all(unique.map((id) => directory.getAccount(id)));
  return accounts.map((account, i) => {
    if (!account) throw ruleViolation('ACCOUNT_NOT_FOUND', `account ${unique[i]} does not exist`);
    if (account.status !== 'active') throw ruleViolation('ACCOUNT_FROZEN', `account ${account.id} is frozen`);
    if (account.currency !== currency) {
      throw ruleViolation('CURRENCY_MISMATCH', `account ${account.id} is in ${account.currency}, not ${currency}`);
    }
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
    async getAccount(accountId) {
      try {
        return await client.getAccount(accountId);
      } catch (error) {
        if (error instanceof AccountNotFoundError) return null;
        if (error instanceof TransientServiceError) throw unavailable('accounts', `the accounts service cannot be reached: ${error.message}`);
        throw error;
      }
    },
  };
}
