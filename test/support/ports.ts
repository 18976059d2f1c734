/**
 * Ports for tests that start a stack of their own beside the one the suite
 * uses: every port variable of deploy/defaults.env shifted, a check that a
 * port answers, and the addresses a port listens on.
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

const TCP_LISTEN = '0A';
export const LOOPBACK_V4 = '0100007F';
export const LOOPBACK_V6 = '00000000000000000000000001000000';

/**
 * Local addresses (the kernel's hex: LOOPBACK_V4, LOOPBACK_V6, ...) of the
 * listening sockets on `port`, from /proc/net/tcp and tcp6: what the machine
 * really exposes.
 */
export function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) =>
    readFileSync(table, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // sl, local_address (ADDRESS:PORT), rem_address, st
      .flatMap(([, local, , state]) => (local !== undefined && state === TCP_LISTEN && local.endsWith(`:${hexPort}`) ? [local.slice(0, local.lastIndexOf(':'))] : [])),
  );
}
