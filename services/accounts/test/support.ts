/**
 * Boots the accounts app on port 0 against a schema of its own in the real
 * accounts database (outbox and accounts migrations applied), so a test file
 * sees only its own rows, whatever else runs against the database.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../../lib/config';
import { closeServer, listen } from '../../../lib/http';
import { createLogger } from '../../../lib/logger';
import { OUTBOX_MIGRATIONS_DIR } from '../../../lib/outbox';
import { createIsolatedSchema, type IsolatedSchema } from '../../../lib/outbox/test/support';
import { createRegistry, type Registry } from '../../../lib/telemetry/metrics';
import { ACCOUNTS_MIGRATIONS_DIR } from '../repository';
import { createAccountsApp } from '../server';
import { testCredential } from '../../../test/support/credentials';

export interface TestAccountsService {
  config: Config;
  db: IsolatedSchema;
  registry: Registry;
  baseUrl: string;
  /** The credential the app accepts (caller `test`); `request` sends it unless told otherwise. */
  headers: { authorization: string };
  stop(): Promise<void>;
}

export async function startAccountsService(): Promise<TestAccountsService> {
  const config = loadConfig();
  const db = await createIsolatedSchema(config, 'accounts', [OUTBOX_MIGRATIONS_DIR, ACCOUNTS_MIGRATIONS_DIR]);
  const registry = createRegistry('accounts');
  const logger = createLogger('accounts', 'silent');
  const credential = testCredential();
  const server: Server = await listen(createAccountsApp({ pool: db.pool, logger, registry, callers: credential.callers }), 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  credentials.set(`http://127.0.0.1:${port}`, credential.headers);
  return {
    config,
    db,
    registry,
    baseUrl: `http://127.0.0.1:${port}`,
    headers: credential.headers,
    async stop() {
      await closeServer(server);
      await db.drop();
    },
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  // Tests read whatever the service answered; the assertions give it a shape.
  body: any;
}

/** The credential of each service this file started, by base URL, so `request` sends it. */
const credentials = new Map<string, { authorization: string }>();

export async function request(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...credentials.get(baseUrl), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}
