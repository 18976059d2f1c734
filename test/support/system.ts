/**
 * The whole system for end-to-end tests: `deploy/stack up` (idempotent) starts
 * the infrastructure and every service process on its configured port, so a
 * test talks to the real gateway exactly as a client would.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { operatorConfig } from './credentials';
import { call, type JsonAnswer } from './service';

/** This run's configuration, with the stack's operator tokens: a test that calls an internal service directly sends them. */
export const config = operatorConfig();
export const GATEWAY_URL = `http://127.0.0.1:${config.GATEWAY_PORT}`;

export function ensureSystem(): void {
  const stack = path.resolve(__dirname, '..', '..', 'deploy', 'stack');
  execFileSync(stack, ['up'], { stdio: 'inherit', timeout: 10 * 60_000 });
}

export const api = {
  get: (p: string, headers?: Record<string, string>) => call(GATEWAY_URL, 'GET', p, undefined, headers),
  post: (p: string, body?: unknown, headers?: Record<string, string>) => call(GATEWAY_URL, 'POST', p, body, headers),
};

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value either way. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await read();
  }
  return value;
}

export async function createAccount(currency: string, creditLimit = '0'): Promise<string> {
  const res = await api.post('/v1/accounts', { code: `e2e-${Math.random().toString(36).slice(2)}-${Date.now()}`, name: 'E2E account', currency, creditLimit });
  if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

let keySeq = 0;
export const newKey = (): string => `e2e-key-${process.pid}-${Date.now()}-${++keySeq}`;

export function transfer(fromAccountId: string, toAccountId: string, amount: string, currency = 'USD', extra: Record<string, unknown> = {}) {
  return { fromAccountId, toAccountId, amount, currency, description: 'e2e', ...extra };
}

/** Posts a transfer with ?wait=true; then polls until it is terminal (or awaiting approval). */
export async function transferAndSettle(body: unknown, key = newKey()): Promise<JsonAnswer> {
  const created = await api.post('/v1/transfers?wait=true', body, { 'Idempotency-Key': key });
  if (created.status !== 201 && created.status !== 200) return created;
  return settle(created.body.id);
}

export async function settle(id: string, timeoutMs = 60_000): Promise<JsonAnswer> {
  return eventually(() => api.get(`/v1/transfers/${id}`), (r) => r.status === 200 && r.body.status !== 'pending', timeoutMs);
}

/** Funds an account from a fresh unlimited account of the same currency. */
export async function fund(accountId: string, amount: string, currency = 'USD'): Promise<void> {
  const source = await createAccount(currency, 'unlimited');
  const res = await transferAndSettle(transfer(source, accountId, amount, currency));
  if (res.body.status !== 'posted') throw new Error(`funding did not post: ${JSON.stringify(res.body)}`);
}
