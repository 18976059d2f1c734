/**
 * The assertions every internal service's credential test makes
 * (lib/service-auth): each route of the app, as its router lists it, refuses
 * a request without a token, with an unknown one or another scheme (401
 * problem+json, WWW-Authenticate, nothing done), and lets the accepted token
 * through; the probes and /metrics answer without one; an unknown path is a
 * 401 too, so the routes cannot be mapped from outside.
 */
import type { Express } from 'express';
import { generateToken } from '../../lib/service-auth/tokens';
import { appRoutes, type AppRoute } from './routes';
import { call } from './service';

export const OPEN_PATHS = ['/healthz', '/readyz', '/metrics'];

export function guardedRoutes(app: Express): AppRoute[] {
  return appRoutes(app).filter((route) => !OPEN_PATHS.includes(route.pattern));
}

/** A body every route accepts as JSON (its validation, past the credential, may still refuse it). */
const bodyOf = (route: AppRoute) => (route.method === 'POST' ? {} : undefined);

export async function refusals(baseUrl: string, routes: AppRoute[], headers: Record<string, string>) {
  return Promise.all(
    routes.map(async (route) => {
      const answer = await call(baseUrl, route.method, route.path, bodyOf(route), headers);
      return {
        route: `${route.method} ${route.pattern}`,
        status: answer.status,
        type: answer.headers.get('content-type'),
        code: answer.body?.code,
        challenge: answer.headers.get('www-authenticate'),
      };
    }),
  );
}

export const refused = (routes: AppRoute[], service: string) =>
  routes.map((route) => ({
    route: `${route.method} ${route.pattern}`,
    status: 401,
    type: 'application/problem+json; charset=utf-8',
    code: 'UNAUTHORIZED',
    challenge: `Bearer realm="${service}"`,
  }));

/** Headers that must all be refused: none, an unknown token, the right token's neighbour, another scheme. */
export function badCredentials(token: string): Record<string, Record<string, string>> {
  return {
    none: {},
    unknown: { authorization: `Bearer ${generateToken()}` },
    truncated: { authorization: `Bearer ${token.slice(0, -1)}` },
    basic: { authorization: `Basic ${Buffer.from(`test:${token}`).toString('base64')}` },
    empty: { authorization: 'Bearer ' },
  };
}
