/**
 * Where the next keyset page starts: after the last key of a full page, after
 * the last answered row when the look-ahead row came back, nowhere otherwise
 * (a short page, an empty one, or a selection by ids that has no limit).
 */
import { keyAfterFullPage, lookaheadPage } from './pages';

describe('keyAfterFullPage', () => {
  it('when the page is full, then the next starts after its last key', () => {
    expect(keyAfterFullPage(['a', 'b', 'c'], 3)).toBe('c');
  });

  it('when the page is short, empty or has no limit, then there is no next page', () => {
    expect(keyAfterFullPage(['a', 'b'], 3)).toBeNull();
    expect(keyAfterFullPage([], 3)).toBeNull();
    expect(keyAfterFullPage(['a', 'b', 'c'], null)).toBeNull();
  });
});

describe('lookaheadPage', () => {
  it('when the look-ahead row came back, then it is not answered and the next page starts after the last answered row', () => {
    expect(lookaheadPage([1, 2, 3, 4], 3)).toEqual({ items: [1, 2, 3], continueAfter: 3 });
  });

  it('when no row came back past the limit, then every row is answered and there is no next page', () => {
    expect(lookaheadPage([1, 2, 3], 3)).toEqual({ items: [1, 2, 3], continueAfter: null });
    expect(lookaheadPage([1], 3)).toEqual({ items: [1], continueAfter: null });
    expect(lookaheadPage([], 3)).toEqual({ items: [], continueAfter: null });
  });
});
