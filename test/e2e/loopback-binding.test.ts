/**
 * Internal services bind to 127.0.0.1 by default (BIND_HOST): on the running
 * stack, every service port listens on the loopback address only, never on a
 * wildcard or an outside interface. Read from the kernel's socket tables
 * (/proc/net/tcp and tcp6), so it is what the machine really exposes.
 */
import { readFileSync } from 'node:fs';
import { config, ensureSystem } from '../support/system';

const SERVICE_PORTS: Record<string, number> = {
  gateway: config.GATEWAY_PORT,
  accounts: config.ACCOUNTS_PORT,
  ledger: config.LEDGER_PORT,
  'read-model': config.READ_MODEL_PORT,
  'worker metrics': config.WORKER_METRICS_PORT,
  'worker Temporal metrics': config.WORKER_TEMPORAL_METRICS_PORT,
};

const TCP_LISTEN = '0A';
const LOOPBACK_V4 = '0100007F';
const LOOPBACK_V6 = '00000000000000000000000001000000';

/** Local addresses (kernel hex) of the listening sockets on `port`, from both tables. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length > 3 && fields[3] === TCP_LISTEN && fields[1].endsWith(`:${hexPort}`))
      .map((fields) => fields[1].split(':')[0]),
  );
}

beforeAll(() => ensureSystem());

it('when the stack runs with the default BIND_HOST, then every service port listens on loopback only', () => {
  expect(config.BIND_HOST).toBe('127.0.0.1');
  const exposure = Object.fromEntries(Object.entries(SERVICE_PORTS).map(([service, port]) => [service, listeningAddresses(port)]));
  for (const [service, addresses] of Object.entries(exposure)) {
    expect({ service, listening: addresses.length > 0 }).toEqual({ service, listening: true });
    expect({ service, outside: addresses.filter((a) => a !== LOOPBACK_V4 && a !== LOOPBACK_V6) }).toEqual({ service, outside: [] });
  }
});
