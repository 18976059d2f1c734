/**
 * Ports for tests that start a stack of their own beside the one the suite
 * uses: every port variable of deploy/defaults.env shifted, and a check that a
 * port answers.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseEnvFile, ROOT_DIR } from '../../lib/config';

/** Every port variable of deploy/defaults.env (as overridden by this run's environment), shifted by `shift`. */
export function shiftedPorts(shift: number): Record<string, string> {
  const defaults = parseEnvFile(readFileSync(path.join(ROOT_DIR, 'deploy', 'defaults.env'), 'utf8'));
  const ports: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) {
    if (/PORT$/.test(name)) ports[name] = String(Number(process.env[name] || value) + shift);
  }
  return ports;
}

/** Whether something accepts connections on 127.0.0.1:port within `timeoutMs`. */
export function portOpen(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
