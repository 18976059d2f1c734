/**
 * Authentication of /v1: with API clients configured (API_CLIENTS_FILE,
 * api/clients.ts), every request needs `Authorization: Bearer <key>`, and the
 * key's client becomes the request's principal (api/principal.ts). The
 * offered key is hashed and compared with every stored hash in constant time;
 * neither the key nor its hash is ever logged. Without clients (development
 * mode) every request is the development principal, holding every role.
 */
import { timingSafeEqual } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../lib/errors';
import { keySha256, type ApiClient } from './clients';
import { DEVELOPMENT_PRINCIPAL, setPrincipal, type Principal } from './principal';

/** The span attribute naming the caller (its id, never its key). */
export const PRINCIPAL_ATTRIBUTE = 'ledger.principal.id';

export function authenticate(clients: readonly ApiClient[]) {
  const known = clients.map((client) => ({
    hash: Buffer.from(client.keySha256, 'hex'),
    principal: Object.freeze({ id: client.id, roles: Object.freeze([...client.roles]), development: false }) as Principal,
  }));
  return (req: Request, res: Response, next: NextFunction): void => {
    if (known.length === 0) return admit(res, DEVELOPMENT_PRINCIPAL, next);
    const key = /^Bearer (?<key>.+)$/.exec(req.headers.authorization ?? '')?.groups?.key;
    if (key === undefined) return next(unauthorized('Send an API key: Authorization: Bearer <key>.'));
    const offered = Buffer.from(keySha256(key), 'hex');
    let found: Principal | undefined;
    // Every stored hash is compared, found or not: the time taken says nothing about which client matched.
    for (const client of known) if (timingSafeEqual(client.hash, offered)) found = client.principal;
    if (!found) return next(unauthorized('The API key is not valid.'));
    admit(res, found, next);
  };
}

function admit(res: Response, principal: Principal, next: NextFunction): void {
  setPrincipal(res, principal);
  trace.getActiveSpan()?.setAttribute(PRINCIPAL_ATTRIBUTE, principal.id);
  next();
}

const unauthorized = (detail: string) => new AppError(401, 'unauthorized', 'Unauthorized', detail);
