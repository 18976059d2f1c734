/**
 * Reads the compiler cannot prove defined (noUncheckedIndexedAccess makes every
 * indexed read `T | undefined`) but the code knows are there: the row an
 * `INSERT … RETURNING` returns, the group a regex always captures, the last item
 * of a page known not to be empty. A broken expectation is a programmer error,
 * so these throw at once, naming what was missing, instead of letting
 * `undefined` travel on into a query, a cursor or an answer. Free of Node
 * built-ins: workflow code uses it too.
 */

/** `value`, or an Error naming `what` when it is undefined. */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is missing`);
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
