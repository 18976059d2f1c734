/**
 * The narrowing helpers: a present value comes back as it is (falsy ones
 * included: only undefined is "missing"), an absent one throws an Error that
 * names what the caller expected.
 */
import { firstOf, lastOf, required } from './assert';

it('when the value is there, even falsy, then required returns it', () => {
  expect(required(0, 'count')).toBe(0);
  expect(required('', 'name')).toBe('');
  expect(required(null, 'cursor')).toBeNull();
});

it('when the value is undefined, then required throws naming it', () => {
  expect(() => required(undefined, 'the inserted row')).toThrow('the inserted row is missing');
});

it('when a list has items, then firstOf and lastOf return its ends', () => {
  expect(firstOf(['a', 'b', 'c'], 'letters')).toBe('a');
  expect(lastOf(['a', 'b', 'c'], 'letters')).toBe('c');
  expect(lastOf(['only'], 'letters')).toBe('only');
});

it('when a list is empty, then firstOf and lastOf throw naming it', () => {
  expect(() => firstOf([], 'page rows')).toThrow('the first of page rows is missing');
  expect(() => lastOf([], 'page rows')).toThrow('the last of page rows is missing');
});
