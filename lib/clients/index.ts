/** HTTP clients of the accounts, ledger and read-model services, built from the process configuration. */
import { requireServiceTokens, type Config } from '../config';
import { AccountsClient } from './accounts';
import { LedgerClient } from './ledger';

export * from './errors';
export * from './accounts';
export * from './ledger';
export * from './read-model';

/** Throws at once, naming the variable, when this process lacks its token for either service. */
export function createServiceClients(config: Config, options: { timeoutMs?: number } = {}): { accounts: AccountsClient; ledger: LedgerClient } {
  const tokens = requireServiceTokens(config, ['accounts', 'ledger']);
  return {
    accounts: new AccountsClient({ baseUrl: config.accountsUrl, token: tokens.accounts, timeoutMs: options.timeoutMs }),
    ledger: new LedgerClient({ baseUrl: config.ledgerUrl, token: tokens.ledger, timeoutMs: options.timeoutMs }),
  };
}
