/**
 * runService checks a service's tokens before anything is opened, and fails
 * through its one fatal handler: the ledger's and the gateway's real main.ts,
 * started as their own processes (through tsx) with no service tokens
 * anywhere, exit 1 after one fatal line naming the service ("<title> failed
 * to start") and the missing variable, without ever reaching PostgreSQL (no
 * pool is made, so no port is needed).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT_DIR = path.resolve(__dirname, '..', '..');

/** The environment without any service credential, so loadConfig finds none (deploy/defaults.env has none). */
function withoutTokens(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'info' };
  for (const key of Object.keys(env)) if (/(_CALLER_TOKENS|_TOKEN|^SERVICE_TOKENS_DIR)$/.test(key)) delete env[key];
  return env;
}

function run(main: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, main)], { env: withoutTokens(), cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const lines = out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, lines });
    });
  });
}

it('when an internal service has no callers, then it exits 1 after one fatal line naming it and the variable', async () => {
  const { code, lines } = await run('services/ledger/main.ts');
  expect(code).toBe(1);
  const fatal = lines.filter((line) => line.level === 'fatal');
  expect(fatal).toHaveLength(1);
  expect(fatal[0]).toMatchObject({ service: 'ledger', msg: 'ledger failed to start' });
  expect(JSON.stringify(fatal[0]?.err)).toContain('LEDGER_CALLER_TOKENS is empty');
}, 60_000);

it('when the gateway has no token for a service it calls, then it exits 1 naming the token', async () => {
  const { code, lines } = await run('api/main.ts');
  expect(code).toBe(1);
  const fatal = lines.filter((line) => line.level === 'fatal');
  expect(fatal).toEqual([expect.objectContaining({ service: 'gateway', msg: 'gateway failed to start' })]);
  expect(JSON.stringify(fatal[0]?.err)).toContain('ACCOUNTS_TOKEN is empty');
}, 60_000);
