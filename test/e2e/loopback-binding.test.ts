/**
 * Every process binds to 127.0.0.1 by default (GATEWAY_BIND_HOST for the
 * gateway and the dashboards page, INTERNAL_BIND_HOST for the rest): on the running
 * stack, every service port listens on the loopback address only, never on a
 * wildcard or an outside interface. Read from the kernel's socket tables
 * (/proc/net/tcp and tcp6), so it is what the machine really exposes.
 */
import { listeningAddresses, LOOPBACK_V4, LOOPBACK_V6 } from '../support/ports';
import { config, ensureSystem } from '../support/system';

const SERVICE_PORTS: Record<string, number> = {
  gateway: config.GATEWAY_PORT,
  dashboards: config.DASHBOARDS_PORT,
  accounts: config.ACCOUNTS_PORT,
  ledger: config.LEDGER_PORT,
  'read-model': config.READ_MODEL_PORT,
  'worker metrics': config.WORKER_METRICS_PORT,
  'worker Temporal metrics': config.WORKER_TEMPORAL_METRICS_PORT,
};

beforeAll(() => ensureSystem());

it('when the stack runs with the default bind hosts, then every service port listens on loopback only', () => {
  expect({ gateway: config.GATEWAY_BIND_HOST, internal: config.INTERNAL_BIND_HOST }).toEqual({ gateway: '127.0.0.1', internal: '127.0.0.1' });
  const exposure = Object.fromEntries(Object.entries(SERVICE_PORTS).map(([service, port]) => [service, listeningAddresses(port)]));
  for (const [service, addresses] of Object.entries(exposure)) {
    expect({ service, listening: addresses.length > 0 }).toEqual({ service, listening: true });
    expect({ service, outside: addresses.filter((a) => a !== LOOPBACK_V4 && a !== LOOPBACK_V6) }).toEqual({ service, outside: [] });
  }
});
