/**
 * The per-principal limit on writes (POST, PUT, PATCH, DELETE of /v1):
 * RATE_LIMIT_WRITES_PER_MINUTE requests in each fixed minute per principal
 * (rate-limiter-flexible's in-memory counter: per gateway process, so N
 * gateways allow N times as much). Past it: 429 problem+json, code
 * RATE_LIMITED, with Retry-After (whole seconds until the minute frees a
 * request). Reads are not limited. Keyed by the principal's id, so one
 * client's burst never slows another. 0 turns it off.
 */
import type { RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../lib/errors';
import { principalOf } from './principal';

export const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WINDOW_SECONDS = 60;

export function writeRateLimit(perMinute: number, registry: Registry): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
  const limited = new Counter({ name: 'rate_limited_requests_total', help: 'Writes refused 429 by the per-principal rate limit.', registers: [registry] });
  return (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    limiter.consume(principalOf(res).id).then(
      () => next(),
      (rejection: unknown) => {
        // The limiter rejects with its state when the limit is reached, with an Error only when it fails itself.
        if (!(rejection instanceof RateLimiterRes)) return next(rejection);
        limited.inc();
        const retryAfterS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(retryAfterS));
        next(tooManyRequests(perMinute, retryAfterS));
      },
    );
  };
}

function tooManyRequests(perMinute: number, retryAfterS: number): AppError {
  return new AppError(429, 'rate-limited', 'Too many requests', `At most ${perMinute} writes a minute per client; retry after ${retryAfterS} s.`, { code: 'RATE_LIMITED' });
}
