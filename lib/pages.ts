/**
 * The two ways this code base reads keyset pages, with where the next page
 * starts. Both hand back the row (or key) to continue after only when there is
 * one, so a cursor is never built from a row that is not there.
 */

/**
 * A page read with LIMIT `limit`: a full page may have more after it, so the
 * next starts after its last key; a short page was the last (null).
 */
export function keyAfterFullPage<K>(keys: readonly K[], limit: number | null): K | null {
  const last = keys.at(-1);
  return limit !== null && keys.length === limit && last !== undefined ? last : null;
}

/**
 * A page read with LIMIT `limit + 1`: the row past the limit is not answered,
 * it only tells that another page follows, which starts after the last row
 * answered (`continueAfter`; null on the last page).
 */
export function lookaheadPage<T>(rows: readonly T[], limit: number): { items: T[]; continueAfter: T | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, continueAfter: rows.length > limit && last !== undefined ? last : null };
}
