/**
 * The depth and key walks that run before anything recursive sees a client's
 * JSON: exactly the limit passes and one more level fails, for objects and
 * arrays alike; 30,000 levels (which overflow JSON.stringify's stack) are
 * judged without throwing; and every `__proto__` key, own property of what
 * JSON.parse made, is found with its path at any depth.
 */
import { exceedsDepth, unstorableKeyPaths } from './json-limits';

const nestedArrays = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels));
const nestedObjects = (levels: number) => JSON.parse('{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1));

it.each([
  ['arrays', nestedArrays],
  ['objects', nestedObjects],
])('when %s nest 32 levels, then they are within 32, and 33 levels are not', (_name, nested) => {
  expect(exceedsDepth(nested(32), 32)).toBe(false);
  expect(exceedsDepth(nested(33), 32)).toBe(true);
});

it('when a scalar is checked, then it has no depth', () => {
  expect(exceedsDepth('x', 0)).toBe(false);
  expect(exceedsDepth({}, 0)).toBe(true);
});

it('when a value nests 30,000 levels (too deep for JSON.stringify), then it is judged too deep without throwing', () => {
  const deep = nestedArrays(30_000);
  expect(() => JSON.stringify(deep)).toThrow(RangeError);
  expect(exceedsDepth(deep, 32)).toBe(true);
});

it('when __proto__ keys are anywhere, then each is found by its path, and other prototype names are not', () => {
  const value = JSON.parse('{"__proto__":{"x":1},"constructor":1,"a":[{"b":{"__proto__":null}},{"prototype":2}]}');
  expect(unstorableKeyPaths(value)).toEqual(expect.arrayContaining([['__proto__'], ['a', 0, 'b', '__proto__']]));
  expect(unstorableKeyPaths(value)).toHaveLength(2);
});
