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

/** Sends JSON (or nothing) and parses the answer; never throws on a 4xx/5xx. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer<T>> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}
