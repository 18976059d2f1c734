/** HTTP clients of the accounts, ledger and read-model services, built from the process configuration. */
import type { Config } from '../config';
import { AccountsClient } from './accounts';
import { LedgerClient } from './ledger';

export * from './errors';
export * from './accounts';
export * from './ledger';
export * from './read-model';

export function createServiceClients(config: Config, options: { timeoutMs?: number } = {}): { accounts: AccountsClient; ledger: LedgerClient } {
  return {
    accounts: new AccountsClient({ baseUrl: config.accountsUrl, timeoutMs: options.timeoutMs }),
    ledger: new LedgerClient({ baseUrl: config.ledgerUrl, timeoutMs: options.timeoutMs }),
  };
}
