/**
 * Request validation with zod: one schema per payload is the validator and the
 * TypeScript type (and, in the gateway, the OpenAPI fragment). A failure becomes
 * a 400 problem listing every invalid field.
 */
import type { z } from 'zod';
import { validationError, type FieldError } from './errors';

export type Checked<T> = { ok: true; data: T; errors: [] } | { ok: false; data: undefined; errors: FieldError[] };

/** Validates one part of a request (body, query, a header); `prefix` names it in field paths. */
export function check<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): Checked<z.infer<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data, errors: [] };
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
  return { ok: false, data: undefined, errors };
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const checked = check(schema, value, prefix);
  if (!checked.ok) throw validationError(checked.errors);
  return checked.data;
}

/** Throws one 400 listing the errors of every part, so a client sees all of them at once. */
export function throwIfInvalid(...parts: Checked<unknown>[]): void {
  const errors = parts.flatMap((part) => part.errors);
  if (errors.length > 0) throw validationError(errors);
}
