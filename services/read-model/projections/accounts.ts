/**
 * account.created / frozen / unfrozen carry the whole account as it is after
 * the change, so the newest event (by occurredAt) wins and an older one that
 * arrives late is ignored.
 */
import type { PoolClient } from '../../../lib/pg';
import type { AccountFacts } from '../events';
import { NO_CHANGE, type BalanceChanges } from './balances';

export async function projectAccount(client: PoolClient, account: AccountFacts, occurredAt: string, balances: BalanceChanges): Promise<void> {
  await client.query(
    `INSERT INTO accounts (account_id, code, currency, credit_limit, status, created_at, last_event_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (account_id) DO UPDATE
        SET code = EXCLUDED.code,
            currency = EXCLUDED.currency,
            credit_limit = EXCLUDED.credit_limit,
            status = EXCLUDED.status,
            last_event_at = EXCLUDED.last_event_at
      WHERE accounts.last_event_at <= EXCLUDED.last_event_at`,
    [account.id, account.code, account.currency, account.creditLimit, account.status, account.createdAt, occurredAt],
  );
  // The account is now known to the balance queries, with zero sums until entries arrive.
  balances.add(account.id, account.currency, NO_CHANGE);
}
