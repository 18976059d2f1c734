/**
 * Request validation with zod: one schema per payload is the validator and the
 * TypeScript type (and, in the gateway, the OpenAPI fragment). A failure becomes
 * a 400 problem listing every invalid field.
 */
import type { z } from 'zod';
import { validationError, type FieldError } from './errors';

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
  throw validationError(errors);
}
