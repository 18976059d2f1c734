/**
 * Boots a service's Express app on an ephemeral loopback port for a test, and
 * gives a small JSON client for it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { closeServer, listen } from '../../lib/http';

export interface RunningApp {
  baseUrl: string;
  close(): Promise<void>;
}

export async function startApp(app: Express): Promise<RunningApp> {
  const server: Server = await listen(app, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

export interface JsonAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Whether fetch failed because the server closed a kept-alive socket just as
 * the request went out on it: the server never read the request. The server
 * closes idle sockets after 65 s (lib/http.ts) and undici its own a little
 * earlier, but a test process whose event loop was blocked for seconds (ts-jest
 * compiling the next test file on a busy machine) wakes up late and reuses one.
 */
function closedIdleSocket(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return error instanceof TypeError && cause?.code === 'UND_ERR_SOCKET';
}

/** Sends JSON (or nothing) and parses the answer; never throws on a 4xx/5xx. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer<T>> {
  const send = () =>
    fetch(baseUrl + path, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // Once, on a fresh socket (the closed one has left the pool).
  const response = await send().catch((error: unknown) => (closedIdleSocket(error) ? send() : Promise.reject(error)));
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
