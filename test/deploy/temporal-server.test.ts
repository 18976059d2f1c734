/**
 * The stack's Temporal server, in whichever TEMPORAL_MODE it runs (the dev
 * server, or the real server of deploy/temporal-server/): every port it
 * listens on is on loopback, and in server mode each is one that
 * deploy/defaults.env gives it (so stacks at other port offsets can run
 * beside it); its namespace has the transfer workflows' search attributes.
 * Read from the kernel's socket tables and asked of the server (the CLI).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tcpPortsOf, temporalServerPid } from '../../bench/support';
import { loadConfig, parseEnvFile, ROOT_DIR } from '../../lib/config';
import { TEMPORAL_CLI_PATH } from '../../lib/tools';
import { readSearchAttributes } from '../../deploy/search-attributes';
import { listeningAddresses, LOOPBACK_V4, LOOPBACK_V6, shiftedPorts } from '../support/ports';

const config = loadConfig();
const mode = process.env.TEMPORAL_MODE || parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8')).TEMPORAL_MODE;
/** The search attributes deploy/stack registers and the workflows set (test/deploy/shared-names.unit.test.ts). */
const SEARCH_ATTRIBUTES = readSearchAttributes();

/** The ports the configuration gives the Temporal server of `mode` (as this run's environment overrides defaults.env). */
function configuredPorts(): number[] {
  const ports = shiftedPorts(0);
  const own = Object.keys(ports).filter((name) => name.startsWith('TEMPORAL_SERVER_'));
  return ['TEMPORAL_PORT', 'TEMPORAL_METRICS_PORT', ...(mode === 'server' ? own : [])].map((name) => Number(ports[name]));
}

it(`when the stack runs Temporal in ${mode} mode, then the server listens on loopback only, on configured ports in server mode`, () => {
  const pid = temporalServerPid(config.TEMPORAL_PORT);
  expect({ listenerOnTemporalPort: pid !== undefined }).toEqual({ listenerOnTemporalPort: true });
  const listening = tcpPortsOf([pid], true);
  expect(listening).toEqual(expect.arrayContaining([config.TEMPORAL_PORT, configuredPorts()[1]]));
  for (const port of listening) {
    expect({ port, outside: listeningAddresses(port).filter((a) => a !== LOOPBACK_V4 && a !== LOOPBACK_V6) }).toEqual({ port, outside: [] });
  }
  // The dev server picks free ports for its inner services; the real server has only those of its configuration.
  if (mode === 'server') expect({ unconfigured: listening.filter((port) => !configuredPorts().includes(port)) }).toEqual({ unconfigured: [] });
});

it('when the stack is up, then its namespace has the transfer workflows\' search attributes', () => {
  const answer = execFileSync(TEMPORAL_CLI_PATH, ['operator', 'search-attribute', 'list', '--address', config.temporalAddress, '--namespace', config.TEMPORAL_NAMESPACE, '-o', 'json'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const custom = (JSON.parse(answer) as { customAttributes?: Record<string, string> }).customAttributes ?? {};
  const expected = Object.fromEntries(SEARCH_ATTRIBUTES.map(({ name, type }) => [name, `INDEXED_VALUE_TYPE_${type.toUpperCase()}`]));
  expect(custom).toEqual(expect.objectContaining(expected));
});
