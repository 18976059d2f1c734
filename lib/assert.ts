/**
 * Assertions: the one module for what the code knows must hold. A broken
 * expectation is a programmer error (TigerBeetle's split: assertions for
 * programmer errors, handled errors for operating ones), so these throw at
 * once, naming what was expected, instead of letting a wrong value travel on
 * into a query, a balance or an answer.
 *
 * `assert` states an invariant where it can break (a hold's pending amount
 * never below zero, a posting's debits equal to its credits). `required`,
 * `firstOf` and `lastOf` narrow the reads the compiler cannot prove defined
 * (noUncheckedIndexedAccess makes every indexed read `T | undefined`) but the
 * code knows are there: the row an `INSERT … RETURNING` returns, the group a
 * regex always captures, the last item of a page known not to be empty.
 *
 * Free of Node built-ins: workflow code uses it too (a throw is deterministic).
 */

/** Thrown when an assertion fails; its message starts with "assertion:" and names what was expected. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Throws an AssertionError saying `expected` when `condition` is false. */
export function assert(condition: boolean, expected: string): asserts condition {
  if (!condition) throw new AssertionError(`assertion: expected ${expected}`);
}

/** `value`, or an Error naming `what` when it is undefined. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AssertionError(`${what} is missing`);
  return value;
}

/** `value`, or an Error naming `what` when it is null or undefined (a lookup that answers null for "none"). */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new AssertionError(`${what} is missing`);
  return value;
}

/** The first item of `items`, which must not be empty. */
export function firstOf<T>(items: readonly T[], what: string): T {
  return required(items[0], `the first of ${what}`);
}

/** The last item of `items`, which must not be empty. */
export function lastOf<T>(items: readonly T[], what: string): T {
  return required(items.at(-1), `the last of ${what}`);
}
