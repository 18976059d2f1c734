/** The accounts service's domain metrics (names fixed by the design). */
import { Counter, type Registry } from '../../lib/telemetry/metrics';

/** Why a creation was refused; a closed set keeps the label's cardinality bounded. */
export type AccountCreationErrorReason = 'invalid_request' | 'code_taken' | 'idempotency_key_reused';

export interface AccountsMetrics {
  accountCreated(): void;
  accountCreationFailed(reason: AccountCreationErrorReason): void;
}

export function createAccountsMetrics(registry: Registry): AccountsMetrics {
  const createdTotal = new Counter({
    name: 'accounts_created_total',
    help: 'Accounts created (idempotent replays not counted).',
    registers: [registry],
  });
  const creationErrorsTotal = new Counter({
    name: 'account_creation_errors_total',
    help: 'Account creations refused, by reason.',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    accountCreated: () => createdTotal.inc(),
    accountCreationFailed: (reason) => creationErrorsTotal.inc({ reason }),
  };
}
