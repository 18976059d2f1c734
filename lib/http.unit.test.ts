/**
 * The shared HTTP shell (lib/http.ts), on a real server on a free loopback port:
 * keep-alive connections outlive a client's idle pause, and an error answered
 * through the error middleware is counted under its route's full pattern.
 */
import net from 'node:net';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Router } from 'express';
import pino from 'pino';
import { AppError } from './errors';
import { asyncHandler, closeServer, createServiceApp, finishServiceApp, listen } from './http';
import { createRegistry } from './telemetry/metrics';

/** Longer than Node's default keepAliveTimeout (5 s), which the shell must not use. */
const IDLE_PAUSE_MS = 6_000;

let server: Server;
let port: number;
const registry = createRegistry('http-test');

beforeAll(async () => {
  const logger = pino({ level: 'silent' });
  const app = createServiceApp({ logger, registry, readiness: {} });
  const router = Router();
  router.get('/things/:id', asyncHandler(async () => {
    throw new AppError(409, 'thing-conflict', 'Conflict', 'always');
  }));
  app.use('/v1', router);
  finishServiceApp(app, logger);
  server = await listen(app, 0, '127.0.0.1');
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => closeServer(server));

/** Sends raw HTTP/1.1 GETs on one socket, waiting for each answer's status line. */
function rawConnection() {
  const socket = net.connect({ host: '127.0.0.1', port });
  let received = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  return {
    async get(path: string): Promise<string | null> {
      const before = received.length;
      if (closed) return null;
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      const deadline = Date.now() + 5_000;
      while (!/HTTP\/1\.1 \d{3}/.test(received.slice(before)) && !closed && Date.now() < deadline) await sleep(20);
      return /HTTP\/1\.1 (\d{3})/.exec(received.slice(before))?.[1] ?? null;
    },
    end: () => socket.destroy(),
  };
}

it('when a client reuses a keep-alive connection after 6 s idle, then the server still answers on it', async () => {
  const connection = rawConnection();
  try {
    expect(await connection.get('/healthz')).toBe('200');
    await sleep(IDLE_PAUSE_MS);
    expect(await connection.get('/healthz')).toBe('200');
  } finally {
    connection.end();
  }
});

it('when a mounted route answers through the error middleware, then the request is counted under its full route pattern', async () => {
  const connection = rawConnection();
  try {
    expect(await connection.get('/v1/things/42')).toBe('409');
  } finally {
    connection.end();
  }
  const counted = (await registry.getSingleMetric('http_requests_total')!.get()).values;
  expect(counted).toContainEqual(expect.objectContaining({ labels: { method: 'GET', route: '/v1/things/:id', status: '409' }, value: 1 }));
});
