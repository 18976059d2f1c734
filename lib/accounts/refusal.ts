/**
 * The one rule for whether accounts may take part in a money movement: each
 * exists, is active, and holds the movement's currency. The ledger applies it
 * when it reserves a hold or posts an entry; nothing else decides it.
 *
 * The checks run in this order over all the accounts (every missing one
 * before any frozen one, before any currency mismatch), so a movement with
 * several faults always reports the same one.
 */
import { required } from '../assert';
import type { AccountDto } from '../contracts/accounts';
import type { AccountRefusalCode } from '../transfers/refusal-codes';

export type { AccountRefusalCode } from '../transfers/refusal-codes';

export interface AccountRefusal {
  code: AccountRefusalCode;
  message: string;
}

/** Why the accounts `accountIds` (looked up into `found`) cannot move `currency`, or null when they can. */
export function accountRefusal(accountIds: string[], found: ReadonlyMap<string, AccountDto>, currency: string): AccountRefusal | null {
  const missing = accountIds.find((id) => !found.has(id));
  if (missing) return { code: 'ACCOUNT_NOT_FOUND', message: `account ${missing} does not exist` };
  const accounts = accountIds.map((id) => required(found.get(id), `account ${id}, found`));
  const frozen = accounts.find((a) => a.status !== 'active');
  if (frozen) return { code: 'ACCOUNT_FROZEN', message: `account ${frozen.id} is frozen` };
  const other = accounts.find((a) => a.currency !== currency);
  if (other) return { code: 'CURRENCY_MISMATCH', message: `account ${other.id} holds ${other.currency}, not ${currency}` };
  return null;
}
