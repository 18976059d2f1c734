/**
 * Request validation with zod: one schema per payload is the validator and the
 * TypeScript type (and, in the gateway, the OpenAPI fragment). A failure becomes
 * a 400 problem listing every invalid field.
 */
import type { z } from 'zod';
import { assert } from './assert';
import { validationError, type FieldError } from './errors';

export type Checked<T> = { ok: true; data: T; errors: [] } | { ok: false; data: undefined; errors: FieldError[] };

/** Validates one part of a request (body, query, a header); `prefix` names it in field paths. */
export function check<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): Checked<z.infer<S>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, data: result.data, errors: [] };
  const errors: FieldError[] = result.error.issues.map((issue) => ({ field: fieldPath(prefix, issue.path) || '(body)', message: issue.message }));
  return { ok: false, data: undefined, errors };
}

/**
 * A field as the contract names it: object keys dot-separated, array
 * positions in brackets (`transfers[3].amount`, `metadata.a.b[1].c`); a
 * key that looks like a number is still a key (`metadata.0`).
 */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let field = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') field += `[${segment}]`;
    else field += field === '' ? String(segment) : `.${String(segment)}`;
  }
  return field;
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const checked = check(schema, value, prefix);
  if (!checked.ok) throw validationError(checked.errors);
  return checked.data;
}

/** Throws one 400 listing the errors of every part, so a client sees all of them at once. */
/** The data of a part `throwIfInvalid` has let through (a check that was skipped fails here, naming `what`). */
export function validData<T>(checked: Checked<T>, what: string): T {
  assert(checked.ok, `${what} validated before use`);
  return checked.data;
}

export function throwIfInvalid(...parts: Checked<unknown>[]): void {
  const errors = parts.flatMap((part) => part.errors);
  if (errors.length > 0) throw validationError(errors);
}

/**
 * Text PostgreSQL cannot store: a NUL character (refused by text columns and,
 * as `\u0000`, by jsonb) and a UTF-16 surrogate without its partner (jsonb
 * refuses its escape; a text column would silently get U+FFFD instead). With
 * the `u` flag a well-formed pair is one code point, so `\p{Cs}` matches only a
 * lone half. Every schema that takes text from a client applies this rule, so
 * such input is a 400 naming the field before anything is written.
 */
const UNSTORABLE_TEXT = /\u0000|\p{Cs}/u;
export const UNSTORABLE_TEXT_MESSAGE = 'must not contain a NUL character (\\u0000) or a lone UTF-16 surrogate';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE_TEXT.test(text);
}

/** The string schema `schema` with the storable-text rule added. */
export function storableText<S extends z.ZodString>(schema: S): S {
  return schema.refine(isStorableText, { message: UNSTORABLE_TEXT_MESSAGE }) as S;
}

export type JsonPath = Array<string | number>;

/**
 * Where a parsed JSON value holds unstorable text: the path of every string
 * value, and of every object key, that breaks the rule (a key is named by its
 * own path, as a client sees it as a field). A loop over an explicit stack, not
 * recursion: the nesting depth is the client's choice (bounded only by the
 * body size), so it must not be the call stack's.
 */
export function unstorableTextPaths(value: unknown): JsonPath[] {
  const found: JsonPath[] = [];
  const stack: Array<{ value: unknown; path: JsonPath }> = [{ value, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: current, path } = next;
    if (typeof current === 'string') {
      if (!isStorableText(current)) found.push(path);
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        if (!isStorableText(key)) found.push([...path, key]);
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return found;
}

/** A zod check for JSON values (metadata): one issue per unstorable string or key, at its path. */
export function refineStorableJson(value: unknown, ctx: z.RefinementCtx): void {
  for (const path of unstorableTextPaths(value)) ctx.addIssue({ code: 'custom', message: UNSTORABLE_TEXT_MESSAGE, path });
}
