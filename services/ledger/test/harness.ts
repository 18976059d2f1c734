/**
 * A ledger service for tests: the real app on the real `ledger` database, with
 * an in-memory account directory in place of the accounts service (the rules
 * under test here are the ledger's; the end-to-end tests use the real
 * accounts service). Each test makes its own accounts with random ids, so
 * tests never see each other's balances.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '../../../lib/config';
import type { AccountDto } from '../../../lib/contracts/accounts';
import { createLogger } from '../../../lib/logger';
import { OUTBOX_MIGRATIONS_DIR } from '../../../lib/outbox';
import { createPool, migrate, type Pool } from '../../../lib/pg';
import { createRegistry } from '../../../lib/telemetry/metrics';
import { testCredential } from '../../../test/support/credentials';
import { call, startApp, type JsonAnswer, type RunningApp } from '../../../test/support/service';
import type { AccountDirectory } from '../accounts-directory';
import type { LedgerDeps } from '../deps';
import { createLedgerMetrics } from '../metrics';
import { createLedgerApp } from '../server';

export const MIGRATIONS_DIR = path.join(__dirname, '..', 'db', 'migrations');

export class InMemoryDirectory implements AccountDirectory {
  readonly accounts = new Map<string, AccountDto>();
  /** Every lookup asked of the directory, so a test can tell which operations consult the accounts. */
  readonly lookups: string[][] = [];
  async getAccounts(accountIds: string[]): Promise<ReadonlyMap<string, AccountDto>> {
    this.lookups.push(accountIds);
    return new Map(accountIds.flatMap((id) => (this.accounts.has(id) ? [[id, this.accounts.get(id)!] as const] : [])));
  }
  add(currency: string, creditLimit: string): string {
    const id = randomUUID();
    this.accounts.set(id, {
      id,
      code: `test-${id}`,
      name: 'test account',
      currency,
      creditLimit,
      status: 'active',
      createdBy: null,
      createdAt: new Date().toISOString(),
    });
    return id;
  }
  setStatus(id: string, status: 'active' | 'frozen'): void {
    this.accounts.set(id, { ...this.accounts.get(id)!, status });
  }
}

export interface LedgerHarness {
  app: RunningApp;
  pool: Pool;
  deps: LedgerDeps;
  directory: InMemoryDirectory;
  /** The token the app accepts (caller `test`); post and get send it. */
  token: string;
  post(path: string, body?: unknown): Promise<JsonAnswer>;
  get(path: string): Promise<JsonAnswer>;
  balance(accountId: string): Promise<{ posted: bigint; pending: bigint; available: bigint }>;
  /** Funds `accountId` from a fresh unlimited account with a direct entry. */
  fund(accountId: string, currency: string, amountMinor: bigint): Promise<void>;
  close(): Promise<void>;
}

export async function startLedger(): Promise<LedgerHarness> {
  const config = loadConfig();
  const pool = createPool(config, 'ledger', { applicationName: 'ledger-test', maxConnections: 20 });
  await migrate(pool, OUTBOX_MIGRATIONS_DIR, MIGRATIONS_DIR);
  const registry = createRegistry('ledger-test');
  const directory = new InMemoryDirectory();
  const deps: LedgerDeps = { pool, directory, metrics: createLedgerMetrics(registry), logger: createLogger('ledger-test', process.env.TEST_LOG_LEVEL ?? 'silent') };
  const credential = testCredential();
  const app = await startApp(createLedgerApp(deps, registry, {}, credential.callers));
  const post = (p: string, body?: unknown) => call(app.baseUrl, 'POST', p, body, credential.headers);
  const get = (p: string) => call(app.baseUrl, 'GET', p, undefined, credential.headers);
  return {
    app,
    pool,
    deps,
    directory,
    token: credential.token,
    post,
    get,
    async balance(accountId) {
      const { body } = await get(`/accounts/${accountId}/balance`);
      return { posted: BigInt(body.postedMinor), pending: BigInt(body.pendingMinor), available: BigInt(body.availableMinor) };
    },
    async fund(accountId, currency, amountMinor) {
      const funding = directory.add(currency, 'unlimited');
      const res = await post('/entries', {
        entryId: randomUUID(),
        currency,
        description: 'funding',
        lines: [
          { accountId: funding, direction: 'debit', amountMinor: amountMinor.toString() },
          { accountId, direction: 'credit', amountMinor: amountMinor.toString() },
        ],
      });
      if (res.status !== 201) throw new Error(`funding failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async close() {
      await app.close();
      await pool.end();
    },
  };
}

export function transferLines(fromAccountId: string, toAccountId: string, amountMinor: bigint | string) {
  return [
    { accountId: fromAccountId, direction: 'debit', amountMinor: amountMinor.toString() },
    { accountId: toAccountId, direction: 'credit', amountMinor: amountMinor.toString() },
  ];
}
