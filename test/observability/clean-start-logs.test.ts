/**
 * Proves a clean start of the native stack logs no error: a fresh stack
 * (`deploy/stack up` on an empty data directory, as a newcomer's `npm start`),
 * the README's curl section (docs/examples/first-transfer.sh) and a transfer
 * refused for insufficient funds leave no ERROR, FATAL or PANIC line in any of
 * its logs (PostgreSQL's and Kafka's included), and the logs read as one
 * format: every line of the five services is pino JSON with snake_case keys.
 * The refusal is one INFO line with its transfer_id and failure_code, not an
 * SDK `Activity failed` WARN.
 *
 * How: a stack of its own, on every port of deploy/defaults.env (as this run's
 * environment overrides them) shifted by PORT_SHIFT and a data directory of its
 * own, so nothing another test does (hostile input, reconciliation mismatches,
 * drills) can add a line; it is stopped and deleted afterwards, also on failure.
 * The error-line matcher is itself checked against a line of each format, so a
 * matcher that misses them cannot let this test pass.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../../lib/config';
import { portOpen, shiftedPorts } from '../support/ports';
import { call, type JsonAnswer } from '../support/service';
import { eventually } from '../support/system';
import { errorLinesIn, isErrorLine } from './support/error-lines';

const execFileAsync = promisify(execFile);

/** Far from the default ports, the helpers' shifted sets and test/deploy/checkout-0700's, below Linux's ephemeral range. */
const PORT_SHIFT = 22_000;
const STACK_TIMEOUT_MS = 8 * 60_000;
const EXTERNAL_ROOT = '/var/lib/postgresql/credit-ledger/';
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const SERVICES = ['accounts', 'ledger', 'read-model', 'worker', 'gateway'];

const ports = shiftedPorts(PORT_SHIFT);
const dataDir = path.join(ROOT_DIR, '.data', 'clean-start-test');
const logDir = path.join(dataDir, 'logs');
const env = { ...process.env, ...ports, DATA_DIR: dataDir };
const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;

async function stack(...args: string[]): Promise<void> {
  try {
    await execFileAsync(path.join(ROOT_DIR, 'deploy', 'stack'), args, { cwd: ROOT_DIR, env, timeout: STACK_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`deploy/stack ${args.join(' ')} failed: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.slice(-4000));
  }
}

/** Where PostgreSQL's cluster went when `postgres` could not enter the data directory (a checkout under a 0700 directory). */
function externalPostgresHome(): string | null {
  try {
    const target = readlinkSync(path.join(dataDir, 'postgres'));
    return target.startsWith(EXTERNAL_ROOT) ? path.dirname(target) : null;
  } catch {
    return null;
  }
}

async function removeStack(): Promise<void> {
  const home = externalPostgresHome();
  if (existsSync(dataDir)) await stack('down').catch((error: Error) => console.error(error.message));
  if (home) {
    if (existsSync(path.join(home, 'data', 'postmaster.pid'))) {
      await execFileAsync('runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', path.join(home, 'data'), '-m', 'immediate', 'stop'], { cwd: '/' }).catch(
        () => undefined,
      );
    }
    rmSync(home, { recursive: true, force: true });
  }
  rmSync(dataDir, { recursive: true, force: true });
}

function logLines(name: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(logDir, `${name}.log`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return { not_json: line };
      }
    });
}

beforeAll(async () => {
  const busy = [];
  for (const [name, port] of Object.entries(ports)) if (await portOpen(Number(port))) busy.push(`${name}=${port}`);
  if (busy.length > 0) throw new Error(`ports of this test's stack are in use (another run of it?): ${busy.join(', ')}`);
  await removeStack(); // what a run that was killed left
  await stack('up');
}, STACK_TIMEOUT_MS + 60_000);

afterAll(() => removeStack(), 3 * 60_000);

describe('the logs of a clean start', () => {
  it('when a line of any of the stack log formats reports an error, then the matcher finds it; info lines it leaves alone', () => {
    const errors = [
      '{"level":"error","time":"2026-01-01T00:00:00.000Z","service":"read-model","msg":"skipping malformed event"}',
      '{"level":"fatal","time":"2026-01-01T00:00:00.000Z","service":"worker","msg":"worker stopped unexpectedly"}',
      '{"level":"ERROR","timestamp":"2026-01-01T00:00:00.000Z","logger":"kafkajs","message":"[Consumer] Crash"}',
      '2026-01-01 00:00:00.000 UTC [42] FATAL:  password authentication failed for user "ledger"',
      '2026-01-01 00:00:00.000 UTC [42] ERROR:  duplicate key value violates unique constraint',
      '[2026-01-01 00:00:00,000] ERROR [KafkaApi-1] Error when handling request (kafka.server.KafkaApis)',
      'ts=2026-01-01T00:00:00.000Z caller=main.go:1 level=error msg="opening storage failed"',
      'time=2026-01-01T00:00:00.000 level=ERROR msg="service failures" operation=PollWorkflowTaskQueue',
    ];
    const fine = [
      '{"level":"info","time":"2026-01-01T00:00:00.000Z","service":"worker","failure_code":"INTERNAL_ERROR","msg":"transfer status recorded"}',
      '2026-01-01 00:00:00.000 UTC [42] LOG:  database system is ready to accept connections',
      '[2026-01-01 00:00:00,000] INFO [KafkaRaftServer nodeId=1] Kafka Server started (kafka.server.KafkaRaftServer)',
    ];
    expect(errors.filter((line) => !isErrorLine(line))).toEqual([]);
    expect(fine.filter(isErrorLine)).toEqual([]);
  });

  it(
    'when the README curl section and a refused transfer run on a fresh stack, then no log has an error line, services log snake_case JSON, and the refusal is one INFO line',
    async () => {
      // Act: the README's first transfer, then Alice (5000 cents) tries to send 6000.
      const output = (await execFileAsync('bash', [path.join(ROOT_DIR, 'docs', 'examples', 'first-transfer.sh')], { env: { ...env, API: gateway }, timeout: 60_000 }))
        .stdout;
      const funding = JSON.parse(output.trim().split('\n')[0] ?? 'null') as { status: string; fromAccountId: string; toAccountId: string };
      expect(funding.status).toBe('posted');
      const refused: JsonAnswer = await call(gateway, 'POST', '/v1/transfers?wait=true', {
        fromAccountId: funding.toAccountId,
        toAccountId: funding.fromAccountId,
        amount: '6000',
        currency: 'USD',
        description: 'more than Alice has',
      }, { 'Idempotency-Key': `clean-start-refused-${Date.now()}` });
      expect([refused.body.status, refused.body.failureCode]).toEqual(['failed', 'INSUFFICIENT_FUNDS']);
      // The read model has applied the funding (the whole event path ran), and the refusal's line is written.
      const balance = await eventually(() => call(gateway, 'GET', `/v1/accounts/${funding.toAccountId}/balance`), (r) => r.body?.posted === '5000');
      expect(balance.body.posted).toBe('5000');
      const refusalLines = () => logLines('worker').filter((line) => line.msg === 'transfer refused; releasing its hold');
      await eventually(async () => refusalLines(), (lines) => lines.length > 0, 10_000);

      // Assert: no error line anywhere.
      expect(errorLinesIn(logDir)).toEqual([]);
      expect(readFileSync(path.join(logDir, 'postgres.log'), 'utf8')).not.toContain('password authentication failed');
      // One JSON shape: pino's, with snake_case keys only (kafkajs and the Temporal SDK included).
      for (const service of SERVICES) {
        const odd = logLines(service).filter((line) => typeof line.level !== 'string' || line.service !== service || Object.keys(line).some((key) => !/^[a-z0-9_]+$/.test(key)));
        expect({ service, odd }).toEqual({ service, odd: [] });
      }
      // The refusal: once, at INFO, with its ids; the SDK's failure line is not above DEBUG.
      expect(refusalLines().map((line) => [line.level, line.transfer_id, line.failure_code])).toEqual([['info', refused.body.id, 'INSUFFICIENT_FUNDS']]);
      expect(logLines('worker').filter((line) => line.msg === 'Activity failed')).toEqual([]);
    },
    3 * 60_000,
  );
});
