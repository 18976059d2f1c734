/**
 * Service credentials (lib/service-auth) without a database: the formats and
 * their refusals, the credential directories deploy/stack and compose write
 * and lib/config.ts reads, a service that refuses to start without callers,
 * and the shell's check on a real server: the caller's name goes to the log
 * lines about a request, a token never does, refusals are counted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import pino from 'pino';
import { loadConfig, requireCallerTokens, requireServiceTokens } from '../config';
import { asyncHandler, closeServer, createServiceApp, finishServiceApp, listen } from '../http';
import { createRegistry } from '../telemetry/metrics';
import { parseCallerTokens } from './tokens';
import { CREDENTIAL_HOLDERS, INTERNAL_SERVICES, writeCredentialDirectory } from './topology';
import { required } from '../assert';

const TOKEN_A = 'a'.repeat(40);
const TOKEN_B = 'B-b_b.b~b+b/'.repeat(4);

describe('caller=token lists', () => {
  it('when well formed, then each entry is a caller and its token, a caller listed twice keeping both (rotation)', () => {
    expect(parseCallerTokens(` gateway=${TOKEN_A}, gateway=${TOKEN_B} ,`, 'X')).toEqual([
      { caller: 'gateway', token: TOKEN_A },
      { caller: 'gateway', token: TOKEN_B },
    ]);
  });

  it.each([
    ['a short token', 'gateway=changeme'],
    ['no caller', `=${TOKEN_A}`],
    ['no separator', TOKEN_A],
    ['an upper-case caller', `Gateway=${TOKEN_A}`],
    ['a space in the token', `gateway=${TOKEN_A} ${TOKEN_A}`],
  ])('when an entry has %s, then it is refused naming the variable, never echoing the token', (_what, text) => {
    const error = (() => {
      try {
        parseCallerTokens(text, 'LEDGER_CALLER_TOKENS');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^LEDGER_CALLER_TOKENS: /);
    expect(error?.message).not.toContain(TOKEN_A);
    expect(error?.message).not.toContain('changeme');
  });
});

describe('credential directories', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'service-tokens-')), 'set');
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('when written, then every holder gets its own directory (0700, files 0600), and a second run keeps the set', () => {
    expect(writeCredentialDirectory(dir)).toBe(true);
    expect(readdirSync(dir).filter((name) => !name.startsWith('.')).sort()).toEqual([...CREDENTIAL_HOLDERS].sort());
    expect(statSync(path.join(dir, 'gateway')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'gateway', 'LEDGER_TOKEN')).mode & 0o777).toBe(0o600);
    const before = readFileSync(path.join(dir, 'ledger', 'LEDGER_CALLER_TOKENS'), 'utf8');
    expect(writeCredentialDirectory(dir)).toBe(false);
    expect(readFileSync(path.join(dir, 'ledger', 'LEDGER_CALLER_TOKENS'), 'utf8')).toBe(before);
  });

  it('when each holder loads its directory, then every caller presents exactly the token its service accepts for it, and holds no other service’s list', () => {
    writeCredentialDirectory(dir);
    const loaded = new Map(CREDENTIAL_HOLDERS.map((holder) => [holder, loadConfig({ SERVICE_TOKENS_DIR: path.join(dir, holder) })]));
    const configOf = (holder: string) => required(loaded.get(holder as (typeof CREDENTIAL_HOLDERS)[number]), `the configuration of ${holder}`);
    for (const [service, spec] of Object.entries(INTERNAL_SERVICES) as [keyof typeof INTERNAL_SERVICES, (typeof INTERNAL_SERVICES)[keyof typeof INTERNAL_SERVICES]][]) {
      const accepted = configOf(service).callerTokens[service];
      expect(accepted.map((entry) => entry.caller)).toEqual(spec.callers);
      for (const { caller, token } of accepted) expect({ service, caller, token: configOf(caller)[spec.tokenVariable] }).toEqual({ service, caller, token });
      for (const holder of CREDENTIAL_HOLDERS.filter((h) => h !== service)) expect({ holder, service, list: configOf(holder).callerTokens[service] }).toEqual({ holder, service, list: [] });
    }
    // The dashboards and the trace sink hold nothing; a holder calls only its services.
    expect(configOf('operator').ACCOUNTS_CALLER_TOKENS).toBe('');
    expect(configOf('read-model').ACCOUNTS_TOKEN).toBe('');
  });

  it('when a variable is set in the environment too, then the environment wins over the file', () => {
    writeCredentialDirectory(dir);
    const config = loadConfig({ SERVICE_TOKENS_DIR: path.join(dir, 'gateway'), LEDGER_TOKEN: TOKEN_A });
    expect(config.LEDGER_TOKEN).toBe(TOKEN_A);
    expect(config.ACCOUNTS_TOKEN).not.toBe('');
  });
});

describe('starting without credentials', () => {
  it('when a service has no callers configured, then it refuses to start, saying which variable to set', () => {
    expect(() => requireCallerTokens(loadConfig({ LEDGER_CALLER_TOKENS: '' }), 'ledger')).toThrow(/^LEDGER_CALLER_TOKENS is empty: the ledger service refuses to start/);
  });

  it('when a caller lacks its token for a service it calls, then it refuses to start, naming the variable', () => {
    expect(() => requireServiceTokens(loadConfig({ ACCOUNTS_TOKEN: TOKEN_A }), ['accounts', 'ledger'])).toThrow(/^LEDGER_TOKEN is empty/);
  });

  it('when a token is malformed, then the configuration is refused naming it', () => {
    expect(() => loadConfig({ LEDGER_TOKEN: 'short' })).toThrow(/invalid configuration: LEDGER_TOKEN must be at least 32 characters/);
  });
});

describe('the shell of an internal service', () => {
  let server: Server;
  let baseUrl: string;
  const lines: string[] = [];
  const registry = createRegistry('service-auth-test');

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const app = createServiceApp({ logger, registry, readiness: {}, internal: { service: 'ledger', callers: [{ caller: 'gateway', token: TOKEN_A }, { caller: 'worker', token: TOKEN_B }] } });
    const router = Router();
    router.get('/who', asyncHandler(async (_req, res) => void res.json({ caller: res.locals.caller })));
    router.post('/fails', asyncHandler(async () => {
      throw new Error('boom');
    }));
    app.use(router);
    finishServiceApp(app, logger);
    server = await listen(app, 0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => closeServer(server));

  it('when a request carries a caller’s token, then the route sees that caller, and a failure’s log line names it without any token', async () => {
    const who = await fetch(`${baseUrl}/who`, { headers: { authorization: `Bearer ${TOKEN_B}` } });
    expect(await who.json()).toEqual({ caller: 'worker' });
    lines.length = 0;
    const failed = await fetch(`${baseUrl}/fails`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN_A}` } });
    expect(failed.status).toBe(500);
    expect(lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'request failed')).toMatchObject({ caller: 'gateway', path: '/fails' });
    expect(lines.join('\n')).not.toContain(TOKEN_A);
  });

  it('when a token is refused, then the warning says why and where, never the token, and the refusal is counted by reason', async () => {
    lines.length = 0;
    const offered = 'z'.repeat(40);
    const answer = await fetch(`${baseUrl}/who`, { headers: { authorization: `Bearer ${offered}` } });
    await fetch(`${baseUrl}/who`);
    expect(answer.status).toBe(401);
    const warnings = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request without a valid service credential refused');
    expect(warnings.map((w) => ({ reason: w.reason, path: w.path }))).toEqual([
      { reason: 'unknown', path: '/who' },
      { reason: 'missing', path: '/who' },
    ]);
    expect(lines.join('\n')).not.toContain(offered);
    const metrics = await registry.getSingleMetricAsString('service_auth_refusals_total');
    expect(metrics).toMatch(/service_auth_refusals_total\{reason="unknown",service="service-auth-test"\} 1/);
    expect(metrics).toMatch(/service_auth_refusals_total\{reason="missing",service="service-auth-test"\} 1/);
  });
});
