/**
 * The accounts domain: open an account, read it, list them, freeze and
 * unfreeze. Every change commits together with its `accounts.account.v1`
 * event in the outbox, so an event is published if and only if the change
 * happened.
 */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { conflict, notFound, ruleViolation } from '../../lib/errors';
import { TOPICS } from '../../lib/kafka';
import type { Logger } from '../../lib/logger';
import { formatAmountMinor } from '../../lib/money';
import { appendToOutbox, type OutboxEvent } from '../../lib/outbox';
import { lookaheadPage } from '../../lib/pages';
import { inTransaction, type Pool, type PoolClient } from '../../lib/pg';
import { requestHash } from '../../lib/request-hash';
import {
  UNLIMITED,
  type AccountDto,
  type AccountEventPayload,
  type AccountEventType,
  type AccountStatus,
} from '../../lib/contracts/accounts';
import type { AccountsMetrics } from './metrics';
import * as repository from './repository';
import { encodeCursor, type AccountCursor, type CreateAccountInput } from './schemas';

export interface AccountsDeps {
  pool: Pool;
  logger: Logger;
  metrics: AccountsMetrics;
}

export interface CreateAccountResult {
  account: AccountDto;
  /** True when an earlier request with the same Idempotency-Key created it. */
  replayed: boolean;
}

export interface AccountPage {
  items: AccountDto[];
  nextCursor: string | null;
}

export type Accounts = ReturnType<typeof createAccounts>;

export function createAccounts({ pool, logger, metrics }: AccountsDeps) {
  /**
   * Opens an account. With an idempotency key, the key is claimed first, in
   * the same transaction: a concurrent request with the same key waits for
   * this one to commit and then replays its account, so one key never opens
   * two accounts.
   */
  async function createAccount(input: CreateAccountInput, idempotencyKey?: string): Promise<CreateAccountResult> {
    const account: repository.NewAccount = { id: randomUUID(), ...input };
    const result = await inTransaction(pool, async (client) => {
      if (idempotencyKey !== undefined) {
        const requestHash = hashRequest(input);
        const claimed = await repository.claimIdempotencyKey(client, idempotencyKey, { requestHash, accountId: account.id });
        if (!claimed) return replay(client, idempotencyKey, requestHash);
      }
      const created = await repository.insertAccount(client, account);
      if (!created) {
        metrics.accountCreationFailed('code_taken');
        throw conflict('account-code-taken', `An account with code "${input.code}" already exists.`, 'ACCOUNT_CODE_TAKEN');
      }
      await appendToOutbox(client, [accountEvent('account.created', created)]);
      return { account: created, replayed: false };
    });
    trace.getActiveSpan()?.setAttribute('ledger.account.id', result.account.id);
    if (result.replayed) {
      logger.info({ account_id: result.account.id }, 'account creation replayed for its idempotency key');
    } else {
      metrics.accountCreated();
      logger.info({ account_id: result.account.id, currency: result.account.currency }, 'account created');
    }
    return { account: toDto(result.account), replayed: result.replayed };
  }

  /** The account an earlier request with this key created, if that request had the same body. */
  async function replay(client: PoolClient, idempotencyKey: string, requestHash: string) {
    const stored = await repository.findIdempotencyKey(client, idempotencyKey);
    // The claim found a committed row, and keys are never deleted.
    if (!stored) throw new Error('idempotency key conflicted but cannot be read');
    if (stored.requestHash !== requestHash) {
      metrics.accountCreationFailed('idempotency_key_reused');
      throw ruleViolation('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request body.');
    }
    const account = await repository.findAccount(client, stored.accountId);
    // The foreign key guarantees it.
    if (!account) throw new Error(`idempotency key points at missing account ${stored.accountId}`);
    return { account, replayed: true };
  }

  async function getAccount(id: string): Promise<AccountDto> {
    const account = await repository.findAccount(pool, id);
    if (!account) throw notFound('Account', id);
    // DEBUG, not INFO: a transfer reads its accounts several times, and so does every balance query.
    logger.debug({ account_id: id, currency: account.currency, status: account.status }, 'account read');
    return toDto(account);
  }

  /**
   * The existing accounts among `ids`, in the order asked; a missing id is
   * left out. One query for every account of a money movement.
   */
  async function getAccounts(ids: string[]): Promise<AccountDto[]> {
    const byId = new Map((await repository.findAccounts(pool, [...new Set(ids)])).map((a) => [a.id, a]));
    return [...new Set(ids)].flatMap((id) => {
      const account = byId.get(id);
      return account ? [toDto(account)] : [];
    });
  }

  /** One page, newest first (only the account with `code` when given); `nextCursor` is null on the last page. */
  async function listAccounts(page: { limit: number; cursor?: AccountCursor; code?: string; createdBy?: string }): Promise<AccountPage> {
    // One row more than asked tells whether another page follows.
    const records = await repository.listAccounts(pool, { limit: page.limit + 1, after: page.cursor, code: page.code, createdBy: page.createdBy });
    const { items, continueAfter: last } = lookaheadPage(records, page.limit);
    const nextCursor = last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null;
    return { items: items.map(toDto), nextCursor };
  }

  const freezeAccount = (id: string) => changeStatus(id, 'frozen', 'account.frozen');
  const unfreezeAccount = (id: string) => changeStatus(id, 'active', 'account.unfrozen');

  /** Idempotent: an account already in `status` is returned as it is, and no event is written. */
  async function changeStatus(id: string, status: AccountStatus, eventType: AccountEventType): Promise<AccountDto> {
    const { account, changed } = await inTransaction(pool, async (client) => {
      const updated = await repository.changeStatus(client, id, status);
      if (updated) {
        await appendToOutbox(client, [accountEvent(eventType, updated)]);
        return { account: updated, changed: true };
      }
      const current = await repository.findAccount(client, id);
      if (!current) throw notFound('Account', id);
      return { account: current, changed: false };
    });
    trace.getActiveSpan()?.setAttribute('ledger.account.id', id);
    if (changed) logger.info({ account_id: id, currency: account.currency, status }, eventType.replace('.', ' '));
    return toDto(account);
  }

  return { createAccount, getAccount, getAccounts, listAccounts, freezeAccount, unfreezeAccount };
}

export function toDto(account: repository.AccountRecord): AccountDto {
  return {
    id: account.id,
    code: account.code,
    name: account.name,
    currency: account.currency,
    creditLimit: account.creditLimitMinor === null ? UNLIMITED : formatAmountMinor(account.creditLimitMinor),
    status: account.status,
    createdBy: account.createdBy,
    createdAt: account.createdAt.toISOString(),
  };
}

function accountEvent(type: AccountEventType, account: repository.AccountRecord): OutboxEvent<AccountEventPayload> {
  return { topic: TOPICS.account, type, aggregateId: account.id, payload: toDto(account) };
}

/**
 * What makes two requests "the same" for an idempotency key: the normalized
 * body (unknown fields ignored). Not `createdBy`: who asks is no part of what
 * is asked (whose keys are whose is the gateway's concern).
 */
function hashRequest(input: CreateAccountInput): string {
  const creditLimit = input.creditLimitMinor === null ? UNLIMITED : input.creditLimitMinor.toString();
  return requestHash({ code: input.code, name: input.name, currency: input.currency, creditLimit });
}
