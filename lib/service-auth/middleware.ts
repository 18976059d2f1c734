/**
 * The check every internal service (accounts, ledger, read model) runs before
 * its routes: `Authorization: Bearer <token>` must be the token of a caller it
 * accepts, or the answer is 401 problem+json. The shell (lib/http.ts) mounts it
 * after /healthz, /readyz and /metrics, which stay open for probes and
 * Prometheus, and before the body is read and the routes are matched, so an
 * unknown path is a 401 too and tells nothing about the routes.
 *
 * Tokens are compared in constant time (SHA-256 digests of the offered and
 * the accepted token, timingSafeEqual, every accepted token tried) and never
 * logged; the caller's name goes on res.locals.caller, the request's span
 * (attribute `caller`) and the shell's log lines about the request.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { AppError } from '../errors';
import type { CallerToken } from './tokens';

export interface ServiceAuthOptions {
  /** The service's name, in the WWW-Authenticate realm and the messages. */
  service: string;
  callers: readonly CallerToken[];
  logger: Logger;
  registry: Registry;
}

/** The span attribute and log field naming the authenticated caller. */
export const CALLER_ATTRIBUTE = 'caller';

export function requireServiceCaller(options: ServiceAuthOptions) {
  if (options.callers.length === 0) throw new Error(`${options.service}: no caller is accepted; give it at least one caller=token`);
  const accepted = options.callers.map(({ caller, token }) => ({ caller, digest: digest(token) }));
  const refusals = new Counter({
    name: 'service_auth_refusals_total',
    help: 'Requests refused for a missing or unknown service credential (401), by reason.',
    labelNames: ['reason'],
    registers: [options.registry],
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const offered = bearerToken(req.headers.authorization);
    const caller = offered === undefined ? undefined : callerOf(accepted, digest(offered));
    if (caller !== undefined) {
      res.locals.caller = caller;
      trace.getActiveSpan()?.setAttribute(CALLER_ATTRIBUTE, caller);
      return next();
    }
    const reason = offered === undefined ? 'missing' : 'unknown';
    refusals.inc({ reason });
    options.logger.warn({ method: req.method, path: req.path, remoteAddress: req.socket.remoteAddress, reason }, 'request without a valid service credential refused');
    res.setHeader('WWW-Authenticate', `Bearer realm="${options.service}"`);
    next(
      new AppError(
        401,
        'unauthorized',
        'Unauthorized',
        offered === undefined
          ? `The ${options.service} service answers its known callers only: send Authorization: Bearer <token>.`
          : `The credential is not one the ${options.service} service accepts.`,
      ),
    );
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Compares with every accepted token, without stopping at a match, so the time taken says nothing about which. */
function callerOf(accepted: readonly { caller: string; digest: Buffer }[], offered: Buffer): string | undefined {
  let found: string | undefined;
  for (const { caller, digest: expected } of accepted) {
    if (timingSafeEqual(expected, offered) && found === undefined) found = caller;
  }
  return found;
}
