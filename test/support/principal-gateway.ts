/**
 * A keyed gateway (keyed-gateway.ts) with one API client, every role and a
 * fresh key, per principal named at start: `as(principal)` calls it with that
 * client's key, through the gateway's own authentication.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { createLogger } from '../../lib/logger';
import { apiClient, bearer, startKeyedGateway } from './keyed-gateway';
import { call, type JsonAnswer } from './service';

export interface PrincipalGateway {
  baseUrl: string;
  as(principal: string): (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function startPrincipalGateway(
  transfers: Pool,
  options: { principals: readonly string[]; writeRateLimitPerMinute?: number },
): Promise<PrincipalGateway> {
  const keys = new Map(options.principals.map((id) => [id, `key-${id}-${randomUUID()}`]));
  const clients = [...keys].map(([id, key]) => apiClient(id, key));
  const app = await startKeyedGateway(clients, transfers, createLogger('gateway-principal-test', 'silent'), options);
  return {
    baseUrl: app.baseUrl,
    as: (principal) => {
      const key = keys.get(principal);
      if (key === undefined) throw new Error(`${principal} is not one of the principals this gateway was started with`);
      return (method, path, body, headers = {}) => call(app.baseUrl, method, path, body, { ...bearer(key), ...headers });
    },
    close: () => app.close(),
  };
}
