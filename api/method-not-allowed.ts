/**
 * 405 Method Not Allowed (with `Allow`) for a method the OpenAPI document does
 * not list on a path it does list (RFC 9110 §15.5.6), instead of the 404 of a
 * path that names nothing. Read from the document itself, so the two agree.
 */
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../lib/errors';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface PathMethods {
  pattern: RegExp;
  allow: string[];
}

type Paths = Record<string, Record<string, unknown>>;

/** `/v1/accounts/{id}/freeze` → /^\/v1\/accounts\/[^/]+\/freeze$/ */
function templatePattern(template: string): RegExp {
  const parts = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^/]+')}$`);
}

export function methodNotAllowed(document: { paths?: Paths }) {
  const paths: PathMethods[] = Object.entries(document.paths ?? {}).map(([template, item]) => {
    const methods = Object.keys(item).filter((key) => METHODS.includes(key));
    // Express answers HEAD wherever it answers GET.
    if (methods.includes('get')) methods.push('head');
    return { pattern: templatePattern(template), allow: methods.map((method) => method.toUpperCase()) };
  });
  return (req: Request, res: Response, next: NextFunction): void => {
    const known = paths.find((path) => path.pattern.test(req.path));
    if (!known || known.allow.includes(req.method)) return next();
    res.setHeader('Allow', known.allow.join(', '));
    next(new AppError(405, 'method-not-allowed', 'Method not allowed', `${req.method} is not allowed on ${req.path}; allowed: ${known.allow.join(', ')}.`));
  };
}
