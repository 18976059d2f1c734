/**
 * Limits on the shape of a client's JSON value (metadata) that must hold
 * before anything recursive touches it. JSON.parse takes any depth, but
 * JSON.stringify, zod and the request hash recurse, so a value nested deeper
 * than the call stack (30,000 levels fit in 60 KB) would throw a RangeError
 * there. Both walks here are loops over an explicit stack, never recursion.
 */
import type { JsonPath } from './validation';

/**
 * Keys a JavaScript object cannot hold as an ordinary property: assigning
 * `__proto__` (as every copy of an object does) sets the prototype instead,
 * so the key silently vanishes from the copy. Such a key is refused, never
 * stored as something other than what was sent.
 */
export const UNSTORABLE_KEYS: ReadonlySet<string> = new Set(['__proto__']);
export const UNSTORABLE_KEY_MESSAGE = 'is a key that cannot be stored as sent (__proto__); use another name';

/**
 * Whether `value` nests objects and arrays more than `maxDepth` levels deep
 * (a scalar is level 0, an object or array holding only scalars level 1).
 * Stops at the first level past the limit, so a hostile value costs no more
 * than the limit's worth of work along its deepest branch.
 */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: current, depth } = next;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const item of Object.values(current)) stack.push({ value: item, depth: depth + 1 });
  }
  return false;
}

/** The path of every key in UNSTORABLE_KEYS at any depth of `value` (walk only a value whose depth is bounded). */
export function unstorableKeyPaths(value: unknown): JsonPath[] {
  const found: JsonPath[] = [];
  const stack: Array<{ value: unknown; path: JsonPath }> = [{ value, path: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: current, path } = next;
    if (current === null || typeof current !== 'object') continue;
    for (const key of Object.keys(current)) {
      const at = [...path, Array.isArray(current) ? Number(key) : key];
      if (UNSTORABLE_KEYS.has(key)) found.push(at);
      else stack.push({ value: (current as Record<string, unknown>)[key], path: at });
    }
  }
  return found;
}
