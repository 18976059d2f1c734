/**
 * API-key authentication of /v1: with API_KEYS set, every request needs
 * `Authorization: Bearer <key>`. Keys are compared in constant time and never
 * logged.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../lib/errors';

export function requireApiKey(keys: string[]) {
  const accepted = keys.map((key) => Buffer.from(key));
  return (req: Request, _res: Response, next: NextFunction): void => {
    const key = /^Bearer (?<key>.+)$/.exec(req.headers.authorization ?? '')?.groups?.key;
    const offered = key !== undefined ? Buffer.from(key) : undefined;
    if (offered && accepted.some((key) => key.length === offered.length && timingSafeEqual(key, offered))) return next();
    next(
      new AppError(401, 'unauthorized', 'Unauthorized', offered ? 'The API key is not valid.' : 'Send an API key: Authorization: Bearer <key>.'),
    );
  };
}
