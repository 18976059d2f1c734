/**
 * Setup of the unit tier (`*.unit.test.ts`, jest.config.js): those files run
 * with no infrastructure started, so one that reaches PostgreSQL, Kafka,
 * Temporal, Prometheus or a service of the stack is misfiled. Without this
 * guard it would hang on retries when no stack runs, or pass silently on a
 * developer's machine where `npm start` left one up.
 *
 * Every TCP connection to a port of deploy/defaults.env (as the environment
 * shifts it) is refused at once, and the test that tried fails naming the
 * port's variable, even when the code under test swallowed the error. A test
 * that hangs anyway stops at UNIT_TEST_TIMEOUT_MS. Servers a test starts on a
 * port of its own (listen on 0) are reached as usual.
 *
 * The guard is on from this file's load to its last test: `npm test` runs the
 * stack tier's files in the same process (--runInBand), and they must connect.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseEnvFile, ROOT_DIR } from '../../lib/config';

const UNIT_TEST_TIMEOUT_MS = 10_000;

/** The stack's ports by number: each `*PORT` variable of deploy/defaults.env, the environment's value first. */
function stackPorts(): Map<number, string> {
  const defaults = parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8'));
  const ports = new Map<number, string>();
  for (const [name, value] of Object.entries(defaults)) {
    if (!name.endsWith('PORT')) continue; // PGPORT too
    const port = Number(process.env[name] ?? value);
    if (Number.isInteger(port) && port > 0) ports.set(port, name);
  }
  return ports;
}

/** The port of Socket#connect's arguments: (port, host), (options), or net.connect's normalized [options, callback]. */
function portOf(args: unknown[]): number | undefined {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const port = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
  const n = Number(port);
  return typeof port !== 'undefined' && Number.isInteger(n) ? n : undefined;
}

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
// Symbol.for: the same key in every test file's module registry, so the original is kept once per worker process.
const ORIGINAL = Symbol.for('credit-ledger.unit-guard.original-connect');
const proto = net.Socket.prototype as unknown as Record<symbol | 'connect', Connect>;
proto[ORIGINAL] ??= proto.connect;
const original = proto[ORIGINAL];

const ports = stackPorts();
const attempts: string[] = [];

proto.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const port = portOf(args);
  const variable = port === undefined ? undefined : ports.get(port);
  if (variable === undefined) return original.apply(this, args);
  const attempt = `port ${port} (${variable})`;
  attempts.push(attempt);
  const error = Object.assign(
    new Error(`a unit test tried to reach the stack at ${attempt}: a test that needs infrastructure is named *.test.ts, not *.unit.test.ts (docs/architecture.md, Tests)`),
    { code: 'ECONNREFUSED' },
  );
  process.nextTick(() => this.destroy(error));
  return this;
};

jest.setTimeout(UNIT_TEST_TIMEOUT_MS);

/** Fails the test (or the file, after its last one) that made attempts, though the code under test swallowed the errors. */
function failOnAttempts(): void {
  if (attempts.length === 0) return;
  const tried = [...new Set(attempts.splice(0))].join(', ');
  throw new Error(
    `this unit test tried to reach the stack at ${tried} (or a client an earlier test of this process left retrying did): ` +
      'a test that needs infrastructure is named *.test.ts, not *.unit.test.ts (docs/architecture.md, Tests)',
  );
}

afterEach(failOnAttempts);
afterAll(() => {
  try {
    failOnAttempts();
  } finally {
    proto.connect = original;
  }
});
